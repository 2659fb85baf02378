package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cosmos72/gomacro/ast2"
	"github.com/cosmos72/gomacro/base"
	basereflect "github.com/cosmos72/gomacro/base/reflect"
	"github.com/cosmos72/gomacro/fast"
	xr "github.com/cosmos72/gomacro/xreflect"

	"aeir/kernel/display"
	"aeir/kernel/imports"
)

// evaluator wraps the gomacro interpreter of one kernel. It is not safe
// for concurrent use, except for interrupt.
type evaluator struct {
	ir *fast.Interp
	// renderers are the interfaces that interpreted types may implement
	// to display richly (display.HTMLer, image.Image, ...), as the
	// interpreter sees them.
	renderers []xr.Type
	// goPanic is told what a goroutine started by a cell's go statement
	// panicked with (goroutines.go); nil: the panic is only logged.
	goPanic func(msg string)
}

// evalError is a failed cell: what Jupyter shows as ename and evalue.
type evalError struct {
	Name  string // CompileError, Panic, Interrupt, ImportError, MagicError, ShellError
	Value string
	Trace []string
}

func (e *evalError) Error() string { return e.Name + ": " + e.Value }

// displayPaths are the import paths under which cells find the display
// package; gophernotes' path makes its notebooks run unchanged.
var displayPaths = []string{"display", "github.com/gopherdata/gophernotes"}

func newEvaluator() (*evaluator, error) {
	pkg, ok := imports.Packages["aeir/kernel/display"]
	if !ok {
		return nil, errors.New("the display package table is missing: run kernel/gen.sh")
	}
	for _, p := range displayPaths {
		imports.Packages[p] = pkg
	}
	// gomacro prints a warning for each generic function of the standard
	// library it meets while starting; the kernel's stdout is not the
	// notebook's, but keep the terminal clean too.
	stdout := os.Stdout
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stdout = null
		defer null.Close()
	}
	ir := fast.New()
	os.Stdout = stdout
	ir.Comp.Stdout = io.Discard
	ir.Comp.Stderr = io.Discard
	ir.Comp.Filepath = "cell"

	// gophernotes pre-imports "display" and declares Display(Data) error.
	got, err := ir.ImportPackagesOrError(map[string]fast.PackageName{"display": "display", "image": "_"})
	if err != nil {
		return nil, err
	}
	ir.DeclFunc("Display", display.Display)

	e := &evaluator{ir: ir}
	e.declareGoHelpers()
	for _, name := range []string{"Renderer", "SimpleRenderer", "HTMLer", "JavaScripter", "JPEGer", "JSONer",
		"Latexer", "Markdowner", "PNGer", "PDFer", "SVGer"} {
		if t := got["display"].Types[name]; t != nil {
			e.renderers = append(e.renderers, t)
		}
	}
	if t := got["image"].Types["Image"]; t != nil {
		e.renderers = append(e.renderers, t)
	}
	return e, nil
}

// interrupt asks the running cell to stop at its next interpreted
// statement. It may be called from any goroutine.
func (e *evaluator) interrupt() { e.ir.Interrupt(nil) }

// clearInterrupt forgets an interrupt that came too late to stop the
// previous cell, so that it cannot stop the next one.
func (e *evaluator) clearInterrupt() { e.ir.PrepareEnv().Run.Signals.Async = base.SigNone }

// result is what a cell's last expression gave.
type result struct {
	values []xr.Value
	types  []xr.Type
}

// eval compiles and runs one cell. Every failure, including a panic in
// interpreted or compiled code and an interrupt, comes back as an
// *evalError; the interpreter stays usable.
func (e *evaluator) eval(code string) (res result, err error) {
	phase := "CompileError"
	c := e.ir.Comp
	defer func() {
		if r := recover(); r != nil {
			err = panicError(phase, r)
			if phase == "CompileError" {
				e.resetCompiler()
			}
		}
	}()
	c.Options &^= base.OptShowPrompt | base.OptTrapPanic
	c.Line = 0 // error positions count lines from the top of the cell
	e.resetCompiler()

	nodes := c.ParseBytes([]byte(code))
	if err := checkImports(nodes); err != nil {
		return res, err
	}
	if err := e.checkStringConversions(nodes); err != nil {
		return res, err
	}
	rewriteGoStmts(nodes)
	src := ast2.AnyToAst(nodes, "cell")
	if src == nil {
		return res, nil
	}
	expr := e.ir.CompileAst(src)
	phase = "Panic"
	res.values, res.types = e.ir.RunExpr(expr)
	if len(nodes) > 0 && isPrintCall(nodes[len(nodes)-1]) {
		// A cell ending in fmt.Println(...) shows what it printed, not
		// the byte count and nil error Println returns.
		res = result{}
	}
	return res, nil
}

// resetCompiler drops what a failed compilation left in the top-level
// compiler. gomacro compiles a block (a for, if or switch with its own
// variables) by first appending a "push a new scope" statement to the
// top-level code buffer; a compile error inside the block leaves that
// statement there, and gomacro does not clear the buffer before compiling
// a var declaration, so the next cell would run the stale statement first
// and index a scope of the wrong size ("index out of range [1] with
// length 0"). The loop, function and label state is cleared for the same
// reason.
func (e *evaluator) resetCompiler() {
	c := e.ir.Comp
	c.Code.Clear()
	c.Loop = nil
	c.Func = nil
	c.Labels = nil
	c.FuncMaker = nil
}

// isPrintCall reports whether n is a call statement of fmt.Print,
// Printf, Println or their Fprint variants.
func isPrintCall(n ast.Node) bool {
	if s, ok := n.(*ast.ExprStmt); ok {
		n = s.X
	}
	call, ok := n.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok || pkg.Name != "fmt" {
		return false
	}
	switch sel.Sel.Name {
	case "Print", "Printf", "Println", "Fprint", "Fprintf", "Fprintln":
		return true
	}
	return false
}

// panicError turns what a failed cell panicked with into an *evalError.
func panicError(phase string, r interface{}) *evalError {
	if sig, ok := r.(base.Signal); ok && sig == base.SigInterrupt {
		return &evalError{Name: "Interrupt", Value: "interrupted by the user", Trace: []string{"Interrupt: interrupted by the user"}}
	}
	var msg string
	switch v := r.(type) {
	case error:
		msg = v.Error()
	default:
		msg = fmt.Sprint(v)
	}
	name := phase
	if _, ok := r.(runtime.Error); ok {
		name = "Panic"
	}
	// gomacro's compile errors start with "cell:LINE:COL: "; keep them.
	trace := []string{name + ": " + msg}
	return &evalError{Name: name, Value: msg, Trace: trace}
}

// checkImports refuses imports the kernel has no compiled table for, with
// a message that says what to do; gomacro would otherwise try to build a
// plugin, which this kernel does not support.
func checkImports(nodes []ast.Node) error {
	var missing []string
	for _, n := range nodes {
		ast.Inspect(n, func(n ast.Node) bool {
			spec, ok := n.(*ast.ImportSpec)
			if !ok || spec.Path == nil {
				return true
			}
			path, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return true
			}
			if _, ok := imports.Packages[path]; !ok {
				missing = append(missing, path)
			}
			return true
		})
	}
	if len(missing) == 0 {
		return nil
	}
	return &evalError{
		Name: "ImportError",
		Value: fmt.Sprintf("package %s is not compiled into this kernel; add it to kernel/gen.sh, "+
			"then run scripts/kernel.sh gen and build (packages available: %s)",
			strings.Join(quoteAll(missing), ", "), availableSummary()),
	}
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strconv.Quote(v)
	}
	return out
}

// availableSummary lists the non-standard packages compiled in.
func availableSummary() string {
	var out []string
	for p := range imports.Packages {
		if strings.HasPrefix(p, "aeir/") || strings.HasPrefix(p, "gonum.org/") || strings.HasPrefix(p, "github.com/go-gota/") {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// render turns a cell's values into the bundle of its execute_result, or
// ok=false when there is nothing to show (no values, or only nils).
func (e *evaluator) render(res result) (d display.Data, ok bool) {
	vals := make([]interface{}, len(res.values))
	nonNil := -1
	count := 0
	for i, v := range res.values {
		if !v.IsValid() || v == fast.None {
			continue
		}
		vals[i] = basereflect.ValueInterface(v)
		if vals[i] != nil {
			nonNil = i
			count++
		}
	}
	if count == 0 {
		return d, false
	}
	if count == 1 {
		var t xr.Type
		if nonNil < len(res.types) {
			t = res.types[nonNil]
		}
		if rd, ok := e.rich(res.values[nonNil], vals[nonNil], t); ok {
			return rd, true
		}
	}
	parts := make([]string, 0, len(vals))
	for _, v := range vals {
		parts = append(parts, fmt.Sprint(v))
	}
	return display.MakeData(display.MIMETypeText, strings.Join(parts, " ")), true
}

// rich renders one value richly when the display package knows its
// compiled type, or when its interpreted type implements one of the
// display interfaces (gomacro emulates methods of interpreted types, so a
// plain type assertion cannot see them: the value is converted to the
// interface through the interpreter, which wraps it in a proxy).
func (e *evaluator) rich(v xr.Value, x interface{}, t xr.Type) (display.Data, bool) {
	if display.CanRender(x) {
		return display.Auto(x), true
	}
	if t == nil || t.Kind() == 0 {
		return display.Data{}, false
	}
	for _, iface := range e.renderers {
		if !t.Implements(iface) {
			continue
		}
		conv := e.ir.Comp.Converter(t, iface)
		if conv == nil {
			continue
		}
		p := basereflect.ValueInterface(conv(v))
		if p != nil && display.CanRender(p) {
			// The proxy's own text is meaningless: show the value's.
			return display.AutoText(p, fmt.Sprint(x)), true
		}
	}
	return display.Data{}, false
}

// complete returns the completions at byte offset pos of code, and the
// byte offset where the word they replace starts.
func (e *evaluator) complete(code string, pos int) (matches []string, start int) {
	head, matches, _ := e.ir.CompleteWords(code, pos)
	if len(matches) == 0 {
		return nil, pos
	}
	return matches, len(head)
}

// inspect describes the identifier or selector (a.b.c) around byte offset
// pos: its type and, for constants, its value. found is false when there
// is nothing there the interpreter knows.
func (e *evaluator) inspect(code string, pos int) (text string, found bool) {
	word := wordAt(code, pos)
	if word == "" {
		return "", false
	}
	defer func() {
		if recover() != nil {
			text, found = "", false
		}
	}()
	// Compile only: a selector chain has no side effects and nothing runs.
	ex := e.ir.Compile(word)
	e.ir.Comp.Code.Clear()
	if ex == nil || ex.Type == nil {
		return "", false
	}
	text = word + ": " + ex.Type.String()
	if ex.Const() {
		text += " = " + fmt.Sprint(ex.Value)
	}
	return text, true
}

// wordAt returns the dotted identifier chain around byte offset pos.
func wordAt(code string, pos int) string {
	if pos > len(code) {
		pos = len(code)
	}
	isWord := func(r rune) bool { return r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	start := pos
	for start > 0 {
		r, n := utf8.DecodeLastRuneInString(code[:start])
		if !isWord(r) {
			break
		}
		start -= n
	}
	end := pos
	for end < len(code) {
		r, n := utf8.DecodeRuneInString(code[end:])
		if !isWord(r) {
			break
		}
		end += n
	}
	w := strings.Trim(code[start:end], ".")
	if w == "" || unicode.IsDigit([]rune(w)[0]) {
		return ""
	}
	return w
}

// isComplete tells whether code is a complete cell ("complete"), needs
// more lines ("incomplete", with the indent for the next line) or cannot
// parse ("invalid").
func (e *evaluator) isComplete(code string) (status, indent string) {
	if strings.TrimSpace(code) == "" {
		return "complete", ""
	}
	fset := token.NewFileSet()
	file := fset.AddFile("cell", -1, len(code))
	var (
		s        scanner.Scanner
		depth    int
		last     token.Token
		unclosed bool
	)
	s.Init(file, []byte(code), func(p token.Position, msg string) {
		if strings.Contains(msg, "not terminated") {
			unclosed = true
		}
	}, 0)
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue
		}
		switch tok {
		case token.LPAREN, token.LBRACE, token.LBRACK:
			depth++
		case token.RPAREN, token.RBRACE, token.RBRACK:
			depth--
		}
		last = tok
	}
	switch {
	case depth < 0:
		return "invalid", ""
	case unclosed || depth > 0:
		return "incomplete", strings.Repeat("\t", depth)
	case last.IsOperator() && last != token.RPAREN && last != token.RBRACE && last != token.RBRACK &&
		last != token.INC && last != token.DEC && last != token.SEMICOLON:
		return "incomplete", "\t"
	}
	if err := e.parses(code); err != nil {
		return "invalid", ""
	}
	return "complete", ""
}

// parses reports whether gomacro's parser accepts code (nothing runs).
func (e *evaluator) parses(code string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	line := e.ir.Comp.Line
	e.ir.Comp.ParseBytes([]byte(code))
	e.ir.Comp.Line = line
	return nil
}
