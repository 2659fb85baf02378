package simd

import (
	"encoding/binary"
	"math"
)

// The WebAssembly binary format, as much of it as the kernels need
// (WebAssembly Core Specification 2.0, chapter 5 "Binary Format", and
// its fixed-width SIMD instructions): integers are LEB128, every section
// is its id, its size and its contents, every vector its length and its
// elements.

// Value types.
const (
	i32  = 0x7f
	f32  = 0x7d
	v128 = 0x7b
)

// Section ids.
const (
	secType     = 1
	secImport   = 2
	secFunction = 3
	secExport   = 7
	secCode     = 10
)

// uleb appends v as unsigned LEB128.
func uleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// sleb appends v as signed LEB128.
func sleb(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 && c&0x40 == 0 || v == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// name appends a UTF-8 name: its byte length, then its bytes.
func name(b []byte, s string) []byte {
	return append(uleb(b, uint64(len(s))), s...)
}

// section appends a section: id, size, contents.
func section(b []byte, id byte, body []byte) []byte {
	b = append(b, id)
	b = uleb(b, uint64(len(body)))
	return append(b, body...)
}

// asm builds one function body. Locals are numbered parameters first;
// local adds one of the given type and returns its index.
type asm struct {
	params, results []byte
	locals          []byte
	code            []byte
}

func newFunc(params, results []byte) *asm {
	return &asm{params: params, results: results}
}

func (a *asm) local(t byte) uint32 {
	a.locals = append(a.locals, t)
	return uint32(len(a.params) + len(a.locals) - 1)
}

func (a *asm) op(ops ...byte) *asm { a.code = append(a.code, ops...); return a }

func (a *asm) u32(v uint32) *asm { a.code = uleb(a.code, uint64(v)); return a }

// Control. Blocks and loops here take and leave nothing (block type 0x40).
func (a *asm) block() *asm            { return a.op(0x02, 0x40) }
func (a *asm) loop() *asm             { return a.op(0x03, 0x40) }
func (a *asm) if_() *asm              { return a.op(0x04, 0x40) }
func (a *asm) else_() *asm            { return a.op(0x05) }
func (a *asm) end() *asm              { return a.op(0x0b) }
func (a *asm) br(depth uint32) *asm   { return a.op(0x0c).u32(depth) }
func (a *asm) brIf(depth uint32) *asm { return a.op(0x0d).u32(depth) }

// Locals.
func (a *asm) get(l uint32) *asm { return a.op(0x20).u32(l) }
func (a *asm) set(l uint32) *asm { return a.op(0x21).u32(l) }
func (a *asm) tee(l uint32) *asm { return a.op(0x22).u32(l) }

// Constants.
func (a *asm) i32c(v int32) *asm { a.op(0x41); a.code = sleb(a.code, int64(v)); return a }
func (a *asm) f32c(v float32) *asm {
	a.op(0x43)
	a.code = binary.LittleEndian.AppendUint32(a.code, math.Float32bits(v))
	return a
}

// i32 arithmetic and comparisons.
func (a *asm) i32Add() *asm  { return a.op(0x6a) }
func (a *asm) i32Sub() *asm  { return a.op(0x6b) }
func (a *asm) i32Mul() *asm  { return a.op(0x6c) }
func (a *asm) i32Shl() *asm  { return a.op(0x74) }
func (a *asm) i32ShrS() *asm { return a.op(0x75) }
func (a *asm) i32GeS() *asm  { return a.op(0x4e) }
func (a *asm) i32LtS() *asm  { return a.op(0x48) }
func (a *asm) i32GtS() *asm  { return a.op(0x4a) }
func (a *asm) i32Eq() *asm   { return a.op(0x46) }
func (a *asm) i32Eqz() *asm  { return a.op(0x45) }
func (a *asm) i32And() *asm  { return a.op(0x71) }
func (a *asm) i32Or() *asm   { return a.op(0x72) }
func (a *asm) selectOp() *asm {
	return a.op(0x1b)
}

// Scalar f32 memory and arithmetic; memarg is the alignment exponent and
// the offset.
func (a *asm) f32Load(off uint32) *asm  { return a.op(0x2a).u32(2).u32(off) }
func (a *asm) f32Store(off uint32) *asm { return a.op(0x38).u32(2).u32(off) }
func (a *asm) f32Add() *asm             { return a.op(0x92) }
func (a *asm) f32Mul() *asm             { return a.op(0x94) }

// SIMD: the 0xfd prefix, then the opcode as LEB128 (two bytes from 0x80).
func (a *asm) simd(op uint32) *asm { return a.op(0xfd).u32(op) }

// v128 loads and stores assume 4-byte alignment (the float32 slices of Go
// are aligned so; the hint does not change the result).
func (a *asm) v128Load(off uint32) *asm    { return a.simd(0x00).u32(2).u32(off) }
func (a *asm) loadSplat32(off uint32) *asm { return a.simd(0x09).u32(2).u32(off) }
func (a *asm) v128Store(off uint32) *asm   { return a.simd(0x0b).u32(2).u32(off) }
func (a *asm) v128Zero() *asm {
	a.simd(0x0c)
	a.code = append(a.code, make([]byte, 16)...)
	return a
}
func (a *asm) f32x4Splat() *asm { return a.simd(0x13) }
func (a *asm) f32x4Lane(l byte) *asm {
	return a.simd(0x1f).op(l)
}
func (a *asm) f32x4ReplaceLane(l byte) *asm {
	return a.simd(0x20).op(l)
}
func (a *asm) i32x4Splat() *asm { return a.simd(0x11) }
func (a *asm) i32x4Add() *asm   { return a.simd(0xae) }
func (a *asm) f32x4Gt() *asm    { return a.simd(0x44) }
func (a *asm) bitselect() *asm  { return a.simd(0x52) }

// shuffle picks 16 bytes from the two operands (0–15 the first, 16–31
// the second).
func (a *asm) shuffle(lanes [16]byte) *asm {
	a.simd(0x0d)
	a.code = append(a.code, lanes[:]...)
	return a
}

// i32x4Const pushes four int32 lanes.
func (a *asm) i32x4Const(l0, l1, l2, l3 int32) *asm {
	a.simd(0x0c)
	for _, v := range []int32{l0, l1, l2, l3} {
		a.code = binary.LittleEndian.AppendUint32(a.code, uint32(v))
	}
	return a
}
func (a *asm) f32x4Add() *asm { return a.simd(0xe4) }
func (a *asm) f32x4Mul() *asm { return a.simd(0xe6) }
func (a *asm) f32x4Max() *asm { return a.simd(0xe9) }

// body encodes the function's code entry: size, locals (run-length
// grouped by type), expression, end.
func (a *asm) body() []byte {
	var groups []byte
	n := 0
	for i := 0; i < len(a.locals); {
		j := i
		for j < len(a.locals) && a.locals[j] == a.locals[i] {
			j++
		}
		groups = uleb(groups, uint64(j-i))
		groups = append(groups, a.locals[i])
		n++
		i = j
	}
	f := uleb(nil, uint64(n))
	f = append(f, groups...)
	f = append(f, a.code...)
	f = append(f, 0x0b)
	return append(uleb(nil, uint64(len(f))), f...)
}

// export is one function of the module and its exported name.
type export struct {
	name string
	f    *asm
}

// module encodes a module that imports its memory as env.memory and
// exports fns.
func module(fns []export) []byte {
	b := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

	var types []byte
	types = uleb(types, uint64(len(fns)))
	for _, e := range fns {
		types = append(types, 0x60)
		types = uleb(types, uint64(len(e.f.params)))
		types = append(types, e.f.params...)
		types = uleb(types, uint64(len(e.f.results)))
		types = append(types, e.f.results...)
	}
	b = section(b, secType, types)

	imp := uleb(nil, 1)
	imp = name(imp, "env")
	imp = name(imp, "memory")
	imp = append(imp, 0x02, 0x00) // memory, limits with a minimum only
	imp = uleb(imp, 1)            // at least one 64-KiB page
	b = section(b, secImport, imp)

	funcs := uleb(nil, uint64(len(fns)))
	for i := range fns {
		funcs = uleb(funcs, uint64(i))
	}
	b = section(b, secFunction, funcs)

	exp := uleb(nil, uint64(len(fns)))
	for i, e := range fns {
		exp = name(exp, e.name)
		exp = append(exp, 0x00) // a function
		exp = uleb(exp, uint64(i))
	}
	b = section(b, secExport, exp)

	code := uleb(nil, uint64(len(fns)))
	for _, e := range fns {
		code = append(code, e.f.body()...)
	}
	return section(b, secCode, code)
}
