package main

import (
	"fmt"
	"go/ast"
	"reflect"
)

// A panic in a goroutine ends a Go program, and it would end the kernel
// too: gomacro runs a cell's `go f(x)` as a goroutine of its own with no
// recover. The kernel therefore rewrites every go statement of a cell
// before compiling it,
//
//	go f(a, b)       →  go _aeirGo(f, _aeirArgs(a, b))
//	go f(a, bs...)   →  go _aeirGoSlice(f, _aeirArgs(a), bs)
//	go close(ch)     →  go _aeirGo(func() { close(ch) }, _aeirArgs())
//
// so that the function and its arguments are still evaluated by the
// calling goroutine, as the go statement specifies, and the goroutine runs
// a compiled helper that recovers a panic and reports it to the kernel.
// Builtins cannot be passed as values: their arguments are evaluated in
// the new goroutine (the only difference from Go).
//
// A goroutine that compiled code starts (inside a library) is out of
// reach: a panic there still ends the kernel.

const (
	goHelper      = "_aeirGo"
	goSliceHelper = "_aeirGoSlice"
	argsHelper    = "_aeirArgs"
)

var builtins = map[string]bool{
	"append": true, "cap": true, "clear": true, "close": true, "complex": true, "copy": true,
	"delete": true, "imag": true, "len": true, "make": true, "max": true, "min": true, "new": true,
	"panic": true, "print": true, "println": true, "real": true, "recover": true,
}

// declareGoHelpers makes the helpers that rewritten go statements call.
func (e *evaluator) declareGoHelpers() {
	e.ir.DeclFunc(argsHelper, func(args ...interface{}) []interface{} { return args })
	e.ir.DeclFunc(goHelper, func(f interface{}, args []interface{}) {
		defer e.recoverGoroutine()
		callArgs(f, args, nil, false)
	})
	e.ir.DeclFunc(goSliceHelper, func(f interface{}, args []interface{}, rest interface{}) {
		defer e.recoverGoroutine()
		callArgs(f, args, rest, true)
	})
}

// recoverGoroutine reports a goroutine's panic instead of letting it end
// the process.
func (e *evaluator) recoverGoroutine() {
	r := recover()
	if r == nil {
		return
	}
	msg := fmt.Sprint(r)
	if err, ok := r.(error); ok {
		msg = err.Error()
	}
	if e.goPanic != nil {
		e.goPanic(msg)
	}
}

// callArgs calls the function f with args, each converted to its
// parameter's type: an argument passed through interface{} has lost its
// untyped-constant type (go f(1) with f(float64) gives an int here) and a
// nil its type. With slice, rest is the slice of the final ... parameter.
func callArgs(f interface{}, args []interface{}, rest interface{}, slice bool) {
	fv := reflect.ValueOf(f)
	if fv.Kind() != reflect.Func {
		panic(fmt.Sprintf("go statement: %T is not a function", f))
	}
	if fv.IsNil() {
		panic("go statement: call of a nil function")
	}
	ft := fv.Type()
	in := make([]reflect.Value, 0, len(args)+1)
	for i, a := range args {
		var pt reflect.Type
		switch {
		case ft.IsVariadic() && !slice && i >= ft.NumIn()-1:
			pt = ft.In(ft.NumIn() - 1).Elem()
		case i < ft.NumIn():
			pt = ft.In(i)
		default:
			panic(fmt.Sprintf("go statement: too many arguments in call of %s", ft))
		}
		in = append(in, argValue(a, pt))
	}
	if slice {
		in = append(in, argValue(rest, ft.In(ft.NumIn()-1)))
		fv.CallSlice(in)
		return
	}
	fv.Call(in)
}

func argValue(a interface{}, t reflect.Type) reflect.Value {
	if a == nil {
		return reflect.Zero(t)
	}
	v := reflect.ValueOf(a)
	if !v.Type().AssignableTo(t) && v.Type().ConvertibleTo(t) {
		v = v.Convert(t)
	}
	return v
}

// rewriteGoStmts rewrites the go statements in nodes as described above,
// in place, nested ones included.
func rewriteGoStmts(nodes []ast.Node) {
	for _, n := range nodes {
		ast.Inspect(n, func(n ast.Node) bool {
			g, ok := n.(*ast.GoStmt)
			if !ok || g.Call == nil {
				return true
			}
			call := g.Call
			args := func(xs []ast.Expr) ast.Expr {
				return &ast.CallExpr{Fun: ast.NewIdent(argsHelper), Lparen: call.Lparen, Args: xs, Rparen: call.Rparen}
			}
			if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && builtins[id.Name] {
				lit := &ast.FuncLit{
					Type: &ast.FuncType{Func: call.Pos(), Params: &ast.FieldList{}},
					Body: &ast.BlockStmt{Lbrace: call.Pos(), List: []ast.Stmt{&ast.ExprStmt{X: call}}, Rbrace: call.End()},
				}
				g.Call = &ast.CallExpr{Fun: ast.NewIdent(goHelper), Lparen: call.Lparen, Args: []ast.Expr{lit, args(nil)}, Rparen: call.Rparen}
				return true
			}
			if call.Ellipsis.IsValid() && len(call.Args) > 0 {
				n := len(call.Args)
				g.Call = &ast.CallExpr{Fun: ast.NewIdent(goSliceHelper), Lparen: call.Lparen,
					Args: []ast.Expr{call.Fun, args(call.Args[:n-1]), call.Args[n-1]}, Rparen: call.Rparen}
				return true
			}
			g.Call = &ast.CallExpr{Fun: ast.NewIdent(goHelper), Lparen: call.Lparen,
				Args: []ast.Expr{call.Fun, args(call.Args)}, Rparen: call.Rparen}
			return true
		})
	}
}
