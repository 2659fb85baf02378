package main

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"strings"
)

// gomacro converts an untyped integer or rune constant to a string
// wherever a string is wanted, as if the code said string(65): it accepts
// `var s string = 65` and gives "A", which Go refuses. The interpreter has
// no switch for it, so the kernel type-checks each cell with go/types
// first, on its own (names from earlier cells and imported packages are
// unknown to it, and every error about them is ignored), and reports only
// this one class of error. It is found where the cell itself shows that a
// string is wanted: a declaration, a composite literal or a function of
// the same cell; `s = 65` with s declared in an earlier cell still passes.

// intToString matches go/types' message for the conversion.
var intToString = regexp.MustCompile(`^cannot use .* \(untyped (int|rune) constant( -?\d+)?\) as string value`)

// checkStringConversions returns a CompileError for the first implicit
// conversion of an integer constant to a string in nodes.
func (e *evaluator) checkStringConversions(nodes []ast.Node) (err error) {
	if len(nodes) == 0 {
		return nil
	}
	defer func() {
		if recover() != nil {
			err = nil // an AST go/types cannot handle: leave it to gomacro
		}
	}()
	file := &ast.File{Name: ast.NewIdent("cell")}
	body := &ast.BlockStmt{}
	for _, n := range nodes {
		switch n := n.(type) {
		case *ast.GenDecl:
			if n.Tok == token.IMPORT {
				continue // imported names stay unknown
			}
			file.Decls = append(file.Decls, n)
		case ast.Decl:
			file.Decls = append(file.Decls, n)
		case ast.Stmt:
			body.List = append(body.List, n)
		case ast.Expr:
			body.List = append(body.List, &ast.ExprStmt{X: n})
		default:
			return nil
		}
	}
	if len(body.List) > 0 {
		file.Decls = append(file.Decls, &ast.FuncDecl{
			Name: ast.NewIdent("_"),
			Type: &ast.FuncType{Params: &ast.FieldList{}},
			Body: body,
		})
	}
	fset := &e.ir.Comp.Fileset.FileSet
	var found *types.Error
	conf := types.Config{
		Error: func(err error) {
			if te, ok := err.(types.Error); ok && found == nil && intToString.MatchString(te.Msg) {
				found = &te
			}
		},
	}
	conf.Check("cell", fset, []*ast.File{file}, nil)
	if found == nil {
		return nil
	}
	pos := e.ir.Comp.Fileset.Position(found.Pos)
	msg := found.Msg
	if i := strings.Index(msg, " as string value"); i >= 0 {
		msg += "; Go does not convert an integer constant to a string implicitly (write string(rune(n)) for the character, strconv.Itoa(n) for the digits)"
	}
	return &evalError{Name: "CompileError", Value: fmt.Sprintf("cell:%d:%d: %s", pos.Line, pos.Column, msg)}
}
