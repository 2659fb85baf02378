//go:build js && wasm

// Package jsapi is what the page's two Go programs (the search engine,
// aeir/wasm, and the user-gallery engine, aeir/wasm/user) share of their
// syscall/js binding: publishing a table of methods as one global
// object, and turning Go values into JavaScript ones and back.
//
// Every published method returns an object; a failure is {error:
// "message", input: true|false}, where input marks a problem with what
// the user typed or dropped (shown as it is) rather than with the files
// or the program. A Go panic is caught and reported the same way, so the
// program never exits under the page.
package jsapi

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"strings"
	"syscall/js"

	"aeir/web"
)

// Serve publishes api as the global object name, calls the global
// function ready (if the page defined one) and never returns.
func Serve(name, ready string, api map[string]func(args []js.Value) any) {
	obj := js.Global().Get("Object").New()
	for method, f := range api {
		obj.Set(method, js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
			defer func() {
				if r := recover(); r != nil {
					ret = Fail(fmt.Errorf("internal error in %s: %v", method, r))
					println(string(debug.Stack()))
				}
			}()
			return f(args)
		}))
	}
	js.Global().Set(name, obj)
	if r := js.Global().Get(ready); r.Type() == js.TypeFunction {
		r.Invoke()
	}
	select {}
}

// Fail is a method's failure result.
func Fail(err error) any {
	return map[string]any{"error": err.Error(), "input": web.IsInput(err)}
}

// Bytes copies a JavaScript Uint8Array into Go.
func Bytes(v js.Value) []byte {
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b
}

// Uint8Array copies b into a new JavaScript Uint8Array.
func Uint8Array(b []byte) js.Value {
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

// ReaderAt reads a JavaScript Uint8Array of N bytes, copying only the
// bytes asked for.
type ReaderAt struct {
	V js.Value
	N int
}

func (b ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(b.N) {
		return 0, io.EOF
	}
	end := min(int64(b.N), off+int64(len(p)))
	n := js.CopyBytesToGo(p, b.V.Call("subarray", off, end))
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Float32Array copies x into a new JavaScript Float32Array.
func Float32Array(x []float32) js.Value {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return js.Global().Get("Float32Array").New(Uint8Array(b).Get("buffer"))
}

// Hits is a ranking as [[index, score], …].
func Hits(hs []web.Hit) []any {
	out := make([]any, len(hs))
	for r, h := range hs {
		out[r] = []any{h.Index, float64(h.Score)}
	}
	return out
}

// Texts reads sentences given as an array of strings or as one string of
// them separated by NUL characters (one call across the JavaScript
// boundary instead of one a sentence).
func Texts(v js.Value) []string {
	if v.Type() == js.TypeString {
		return strings.Split(v.String(), "\x00")
	}
	texts := make([]string, v.Length())
	for j := range texts {
		texts[j] = v.Index(j).String()
	}
	return texts
}

// Ints reads an Int32Array or an array of numbers; null or undefined
// give nil.
func Ints(v js.Value) []int {
	switch {
	case !v.Truthy():
		return nil
	case v.InstanceOf(js.Global().Get("Int32Array")):
		b := make([]byte, v.Get("byteLength").Int())
		js.CopyBytesToGo(b, js.Global().Get("Uint8Array").New(v.Get("buffer"), v.Get("byteOffset"), len(b)))
		out := make([]int, len(b)/4)
		for j := range out {
			out[j] = int(int32(binary.LittleEndian.Uint32(b[4*j:])))
		}
		return out
	}
	out := make([]int, v.Length())
	for j := range out {
		out[j] = v.Index(j).Int()
	}
	return out
}

// Progress is a func(done, total) calling the JavaScript function v (or
// nothing, when v is not a function).
func Progress(v js.Value) func(done, total int) {
	return func(done, total int) {
		if v.Type() == js.TypeFunction {
			v.Invoke(done, total)
		}
	}
}
