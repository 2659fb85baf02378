// Package simd generates the WebAssembly module of the browser engine's
// SIMD kernels (simd128, f32x4): the matrix product of package nn on
// packed panels, the packing of B, and ReLU. The module imports its memory
// (env.memory): the page hands it the Go engine's own linear memory, so
// the kernels read and write Go's float32 slices in place, at the
// addresses Go passes (see nn/simd_wasm.go for the Go side and
// site/simd.js for the JavaScript that links the two instances).
//
// The module is written here instruction by instruction, in Go, and
// encoded by this package (enc.go); nothing is assembled by an outside
// tool and no binary is committed: `aeir export site` (web/deploy) and
// `go run ./wasm/simd/gen` write it.
//
// Every kernel computes each result with the same float32 operations in
// the same order as the pure-Go code it replaces, so the SIMD path and the
// pure-Go WebAssembly path give identical bits (TestKernelsMatchGo).
package simd

// Tile sizes of the matrix kernel: a 4×8 register tile (eight f32x4
// accumulators), over A packed in panels of MR rows and B packed in
// panels of NR columns (nn's packA and packB layouts).
const (
	MR = 4
	NR = 8
)

// Export names, as the Go side imports them through site/simd.js.
const (
	NameGemm   = "gemm"
	NamePackB  = "packB"
	NameReLU   = "relu"
	NamePool   = "maxPool2"
	NamePackBT = "packBT"
	NameDots   = "dots"
	NamePackA  = "packA"
	NameIm2col = "im2col"
	NameCol2im = "col2im"
	NameGemvT  = "gemvT"
	NameBias   = "addBias"
)

// Module returns the encoded module.
func Module() []byte {
	return module([]export{
		{NameGemm, gemmMacro()},
		{NamePackB, packB()},
		{NameReLU, relu()},
		{NamePool, maxPool2()},
		{NamePackBT, packBT()},
		{NameDots, dots()},
		{NamePackA, packA()},
		{NameIm2col, im2col()},
		{NameCol2im, col2im()},
		{NameGemvT, gemvT()},
		{NameBias, addBias()},
	})
}

// gemmMacro is gemm(kc, mc, nc, pa, pb, c, ldc, alpha, tmp, add): it adds
// alpha times the product of the packed mc×kc block of A at pa (panels of MR
// rows, MR·kc floats each) and the packed kc×nc block of B at pb (panels of
// NR columns) into the mc×nc block of C at c (row stride ldc floats). Tiles
// cut by the edge of C go through the MR·NR floats at tmp. Like nn's
// pure-Go macro and kernel4x2, each element of a tile is summed over p in
// order from zero (c += a·b, rounded after the multiply and the add), then
// added to C as c + alpha·tile — or, with add 0, stored as 0 + alpha·tile
// whatever C held (the bits of nn's clearing C first, without the pass).
func gemmMacro() *asm {
	a := newFunc([]byte{i32, i32, i32, i32, i32, i32, i32, f32, i32, i32}, nil)
	const kc, mc, nc, pa, pb, c, ldc, alpha, tmp, add = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
	jr, ir, bp, cp, p, ap, bq := a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32)
	mr, nr, ldc4, i, j, row := a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32)
	const nv = NR / 4 // vectors a row of the tile
	var acc [nv * MR]uint32
	for q := range acc {
		acc[q] = a.local(v128)
	}
	var bv [nv]uint32
	for q := range bv {
		bv[q] = a.local(v128)
	}
	av, alv := a.local(v128), a.local(v128)

	a.get(ldc).i32c(2).i32Shl().set(ldc4)
	a.get(alpha).f32x4Splat().set(alv)
	a.i32c(0).set(jr)
	a.block().loop() // columns: jr = 0, NR, … < nc
	a.get(jr).get(nc).i32GeS().brIf(1)
	a.get(pb).get(jr).get(kc).i32Mul().i32c(2).i32Shl().i32Add().set(bp)
	// nr = min(NR, nc − jr)
	a.i32c(NR).get(nc).get(jr).i32Sub().tee(nr).get(nr).i32c(NR).i32GeS().selectOp().set(nr)
	a.i32c(0).set(ir)
	a.block().loop() // rows: ir = 0, MR, … < mc
	a.get(ir).get(mc).i32GeS().brIf(1)
	for q := range acc {
		a.v128Zero().set(acc[q])
	}
	a.get(pa).get(ir).get(kc).i32Mul().i32c(2).i32Shl().i32Add().set(ap)
	a.get(bp).set(bq)
	a.get(kc).set(p)
	// one p: NR/4 vectors of B, MR broadcasts of A, MR·NR/4 multiply-adds
	step := func(offA, offB uint32) {
		for h := range nv {
			a.get(bq).v128Load(offB + uint32(16*h)).set(bv[h])
		}
		for r := range MR {
			a.get(ap).loadSplat32(offA + uint32(4*r)).set(av)
			for h := range nv {
				a.get(acc[nv*r+h]).get(av).get(bv[h]).f32x4Mul().f32x4Add().set(acc[nv*r+h])
			}
		}
	}
	a.block().loop() // two p at a time: p = kc, kc−2, … ≥ 2
	a.get(p).i32c(2).i32LtS().brIf(1)
	step(0, 0)
	step(4*MR, 4*NR)
	a.get(ap).i32c(8 * MR).i32Add().set(ap)
	a.get(bq).i32c(8 * NR).i32Add().set(bq)
	a.get(p).i32c(2).i32Sub().set(p)
	a.br(0)
	a.end().end()
	a.get(p).if_() // an odd kc's last p
	step(0, 0)
	a.end()
	// mr = min(MR, mc − ir); cp = &C[ir, jr]
	a.i32c(MR).get(mc).get(ir).i32Sub().tee(mr).get(mr).i32c(MR).i32GeS().selectOp().set(mr)
	a.get(c).get(ir).get(ldc).i32Mul().get(jr).i32Add().i32c(2).i32Shl().i32Add().set(cp)
	a.get(mr).i32c(MR).i32Eq().get(nr).i32c(NR).i32Eq().i32And()
	a.if_() // a whole tile: C += alpha·tile, NR/4 vectors a row
	a.get(cp).set(row)
	for r := range MR {
		for h := range nv {
			off := uint32(16 * h)
			a.get(row).get(row).v128Load(off).v128Zero().get(add).selectOp()
			a.get(alv).get(acc[nv*r+h]).f32x4Mul().f32x4Add().v128Store(off)
		}
		if r < MR-1 {
			a.get(row).get(ldc4).i32Add().set(row)
		}
	}
	a.else_() // an edge tile: through tmp, element by element
	for q := range acc {
		a.get(tmp).get(acc[q]).v128Store(uint32(16 * q))
	}
	a.i32c(0).set(i)
	a.block().loop()
	a.get(i).get(mr).i32GeS().brIf(1)
	a.i32c(0).set(j)
	a.block().loop()
	a.get(j).get(nr).i32GeS().brIf(1)
	a.get(cp).get(i).get(ldc).i32Mul().get(j).i32Add().i32c(2).i32Shl().i32Add().tee(row)
	a.get(row).f32Load(0).f32c(0).get(add).selectOp()
	a.get(alpha)
	a.get(tmp).get(i).i32c(NR).i32Mul().get(j).i32Add().i32c(2).i32Shl().i32Add().f32Load(0)
	a.f32Mul().f32Add().f32Store(0)
	a.get(j).i32c(1).i32Add().set(j)
	a.br(0)
	a.end().end()
	a.get(i).i32c(1).i32Add().set(i)
	a.br(0)
	a.end().end()
	a.end() // if
	a.get(ir).i32c(MR).i32Add().set(ir)
	a.br(0)
	a.end().end()
	a.get(jr).i32c(NR).i32Add().set(jr)
	a.br(0)
	a.end().end()
	return a
}

// packB is packB(dst, b, ldb, kc, panels): it copies panels whole panels
// of NR columns of the kc×(NR·panels) block of B at b (row stride ldb
// floats, not transposed) to dst, panel after panel, each kc rows of NR
// floats: nn's packB layout.
func packB() *asm {
	a := newFunc([]byte{i32, i32, i32, i32, i32}, nil)
	const dst, b, ldb, kc, panels = 0, 1, 2, 3, 4
	ldb4, src, p := a.local(i32), a.local(i32), a.local(i32)
	a.get(ldb).i32c(2).i32Shl().set(ldb4)
	a.block().loop()
	a.get(panels).i32Eqz().brIf(1)
	a.get(b).set(src)
	a.get(kc).set(p)
	a.block().loop()
	a.get(p).i32Eqz().brIf(1)
	a.get(dst).get(src).v128Load(0).v128Store(0)
	a.get(dst).get(src).v128Load(16).v128Store(16)
	a.get(dst).i32c(4 * NR).i32Add().set(dst)
	a.get(src).get(ldb4).i32Add().set(src)
	a.get(p).i32c(1).i32Sub().set(p)
	a.br(0)
	a.end().end()
	a.get(b).i32c(4 * NR).i32Add().set(b)
	a.get(panels).i32c(1).i32Sub().set(panels)
	a.br(0)
	a.end().end()
	return a
}

// relu is relu(x, y, n): y[i] = max(x[i], 0) for the first n floats, n a
// multiple of 4 (f32x4.max is Go's max: NaN stays NaN, max(−0, 0) = +0).
func relu() *asm {
	a := newFunc([]byte{i32, i32, i32}, nil)
	const x, y, n = 0, 1, 2
	a.block().loop()
	a.get(n).i32c(4).i32LtS().brIf(1)
	a.get(y).get(x).v128Load(0).v128Zero().f32x4Max().v128Store(0)
	a.get(x).i32c(16).i32Add().set(x)
	a.get(y).i32c(16).i32Add().set(y)
	a.get(n).i32c(4).i32Sub().set(n)
	a.br(0)
	a.end().end()
	return a
}

// maxPool2 is maxPool2(x, y, arg, plo, phi, h, w): 2×2 max-pooling with
// stride 2 of planes [plo, phi) of the h×w planes at x (x is the tensor's
// first float: arg holds indices into it), writing the outputs of each
// row of windows to y and their arg-max to arg (int32), the planes'
// outputs one after the other, w/2 outputs a row — but only the first
// w/2 &^ 3 of each row: four windows at a time (the caller does the rest).
// Per window the same comparisons as nn's maxPool2: max(a, b) and b > a
// in the top row, likewise below, then max of the two and the lower
// row's index where its maximum is greater.
func maxPool2() *asm {
	a := newFunc([]byte{i32, i32, i32, i32, i32, i32, i32}, nil)
	const x, y, arg, plo, phi, h, w = 0, 1, 2, 3, 4, 5, 6
	pl, i, j, ho, wo, wo4, base, r0, r1, yp, ap, yrow := a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32)
	va, vb, vc, vd, v0, v1, ab, cd, ia, ic, idx, ones, steps, wv := a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128)
	even := [16]byte{0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27}
	odd := [16]byte{4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31}

	a.get(h).i32c(1).i32ShrS().set(ho)
	a.get(w).i32c(1).i32ShrS().tee(wo).i32c(-4).i32And().set(wo4)
	a.i32c(1).i32x4Splat().set(ones)
	a.i32x4Const(0, 2, 4, 6).set(steps)
	a.get(w).i32x4Splat().set(wv)
	a.get(y).set(yrow)
	a.get(plo).set(pl)
	a.block().loop() // planes
	a.get(pl).get(phi).i32GeS().brIf(1)
	a.i32c(0).set(i)
	a.block().loop() // rows of windows
	a.get(i).get(ho).i32GeS().brIf(1)
	// base = pl·h·w + 2·i·w, the index of the window row's first float
	a.get(pl).get(h).i32Mul().get(w).i32Mul().get(i).get(w).i32Mul().i32c(1).i32Shl().i32Add().set(base)
	a.get(x).get(base).i32c(2).i32Shl().i32Add().tee(r0).get(w).i32c(2).i32Shl().i32Add().set(r1)
	a.get(yrow).set(yp)
	// arg's row is at the same offset from arg as y's from y
	a.get(arg).get(yrow).get(y).i32Sub().i32Add().set(ap)
	a.i32c(0).set(j)
	a.block().loop() // four windows at a time
	a.get(j).get(wo4).i32GeS().brIf(1)
	a.get(r0).v128Load(0).set(v0)
	a.get(r0).v128Load(16).set(v1)
	a.get(v0).get(v1).shuffle(even).set(va)
	a.get(v0).get(v1).shuffle(odd).set(vb)
	a.get(r1).v128Load(0).set(v0)
	a.get(r1).v128Load(16).set(v1)
	a.get(v0).get(v1).shuffle(even).set(vc)
	a.get(v0).get(v1).shuffle(odd).set(vd)
	a.get(va).get(vb).f32x4Max().set(ab)
	a.get(vc).get(vd).f32x4Max().set(cd)
	// idx = base + 2j + (0, 2, 4, 6): the windows' top-left indices
	a.get(base).get(j).i32c(1).i32Shl().i32Add().i32x4Splat().get(steps).i32x4Add().set(idx)
	a.get(idx).get(ones).i32x4Add().get(idx).get(vb).get(va).f32x4Gt().bitselect().set(ia)
	a.get(idx).get(wv).i32x4Add().tee(idx)
	a.get(ones).i32x4Add().get(idx).get(vd).get(vc).f32x4Gt().bitselect().set(ic)
	a.get(yp).get(ab).get(cd).f32x4Max().v128Store(0)
	a.get(ap).get(ic).get(ia).get(cd).get(ab).f32x4Gt().bitselect().v128Store(0)
	a.get(r0).i32c(32).i32Add().set(r0)
	a.get(r1).i32c(32).i32Add().set(r1)
	a.get(yp).i32c(16).i32Add().set(yp)
	a.get(ap).i32c(16).i32Add().set(ap)
	a.get(j).i32c(4).i32Add().set(j)
	a.br(0)
	a.end().end()
	a.get(yrow).get(wo).i32c(2).i32Shl().i32Add().set(yrow)
	a.get(i).i32c(1).i32Add().set(i)
	a.br(0)
	a.end().end()
	a.get(pl).i32c(1).i32Add().set(pl)
	a.br(0)
	a.end().end()
	return a
}

// floatLanes is the byte-lane immediate of i8x16.shuffle that picks the
// four float32 lanes f (0–3 the first operand, 4–7 the second).
func floatLanes(f0, f1, f2, f3 byte) [16]byte {
	var l [16]byte
	for i, f := range []byte{f0, f1, f2, f3} {
		for b := range byte(4) {
			l[4*i+int(b)] = 4*f + b
		}
	}
	return l
}

// packBT is packBT(dst, b, ldb, kc, panels): packB for a transposed B:
// op(B)[p, j] = b[j·ldb + p], so each panel of NR columns is NR rows of b
// (row stride ldb floats) read kc floats along, written as kc rows of NR.
func packBT() *asm { return packRows(NR) }

// packA is packA(dst, a, lda, kc, panels): nn's packA for an untransposed
// A, whose panels of MR rows are read kc floats along, like packBT's.
func packA() *asm { return packRows(MR) }

// packRows is a kernel (dst, src, ld, kc, panels) that writes panels of
// rows consecutive rows of src (row stride ld floats), each kc floats
// long, as kc groups of rows floats (group p: the rows' p-th floats),
// panel after panel: four p at a time as 4×4 transposes, the last kc mod
// 4 one by one. rows is a multiple of 4.
func packRows(rows int) *asm {
	a := newFunc([]byte{i32, i32, i32, i32, i32}, nil)
	const dst, b, ldb, kc, panels = 0, 1, 2, 3, 4
	ldb4, p, kc4, src, out, q := a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32)
	row := make([]uint32, rows)
	for r := range row {
		row[r] = a.local(i32)
	}
	var v [4]uint32
	for r := range v {
		v[r] = a.local(v128)
	}
	t0, t1, t2, t3 := a.local(v128), a.local(v128), a.local(v128), a.local(v128)
	lo01, hi01 := floatLanes(0, 4, 1, 5), floatLanes(2, 6, 3, 7)
	lo02, hi02 := floatLanes(0, 1, 4, 5), floatLanes(2, 3, 6, 7)
	stride := uint32(4 * rows) // bytes from one group of rows floats to the next

	a.get(ldb).i32c(2).i32Shl().set(ldb4)
	a.get(kc).i32c(-4).i32And().set(kc4)
	a.block().loop() // panels
	a.get(panels).i32Eqz().brIf(1)
	for r := range row { // the panel's rows of src
		a.get(b).get(ldb4).i32c(int32(r)).i32Mul().i32Add().set(row[r])
	}
	a.i32c(0).set(p)
	a.block().loop() // four p at a time
	a.get(p).get(kc4).i32GeS().brIf(1)
	a.get(dst).get(p).i32c(int32(stride)).i32Mul().i32Add().set(out)
	for quad := range rows / 4 {
		for r := range 4 {
			a.get(row[4*quad+r]).get(p).i32c(2).i32Shl().i32Add().v128Load(0).set(v[r])
		}
		a.get(v[0]).get(v[1]).shuffle(lo01).set(t0)
		a.get(v[0]).get(v[1]).shuffle(hi01).set(t1)
		a.get(v[2]).get(v[3]).shuffle(lo01).set(t2)
		a.get(v[2]).get(v[3]).shuffle(hi01).set(t3)
		off := uint32(16 * quad)
		a.get(out).get(t0).get(t2).shuffle(lo02).v128Store(off)
		a.get(out).get(t0).get(t2).shuffle(hi02).v128Store(off + stride)
		a.get(out).get(t1).get(t3).shuffle(lo02).v128Store(off + 2*stride)
		a.get(out).get(t1).get(t3).shuffle(hi02).v128Store(off + 3*stride)
	}
	a.get(p).i32c(4).i32Add().set(p)
	a.br(0)
	a.end().end()
	a.block().loop() // the rest, one p at a time
	a.get(p).get(kc).i32GeS().brIf(1)
	a.get(dst).get(p).i32c(int32(stride)).i32Mul().i32Add().set(out)
	a.get(b).get(p).i32c(2).i32Shl().i32Add().set(src)
	a.i32c(0).set(q)
	a.block().loop()
	a.get(q).i32c(int32(rows)).i32GeS().brIf(1)
	a.get(out).get(src).f32Load(0).f32Store(0)
	a.get(out).i32c(4).i32Add().set(out)
	a.get(src).get(ldb4).i32Add().set(src)
	a.get(q).i32c(1).i32Add().set(q)
	a.br(0)
	a.end().end()
	a.get(p).i32c(1).i32Add().set(p)
	a.br(0)
	a.end().end()
	a.get(dst).get(kc).i32c(int32(stride)).i32Mul().i32Add().set(dst)
	a.get(b).get(ldb4).i32c(int32(rows)).i32Mul().i32Add().set(b)
	a.get(panels).i32c(1).i32Sub().set(panels)
	a.br(0)
	a.end().end()
	return a
}

// dots is dots(q, set, n, d, out): out[j] = q·set[j] for the n rows of d
// floats at set, d a multiple of 4 — eval's dot: four accumulators, s_k
// summing the products of the elements t ≡ k (mod 4) in order, one f32x4
// here, and (s0 + s1) + (s2 + s3) at the end.
func dots() *asm {
	a := newFunc([]byte{i32, i32, i32, i32, i32}, nil)
	const q, set, n, d, out = 0, 1, 2, 3, 4
	d4, t, acc := a.local(i32), a.local(i32), a.local(v128)
	a.get(d).i32c(2).i32Shl().set(d4)
	a.block().loop()
	a.get(n).i32Eqz().brIf(1)
	a.v128Zero().set(acc)
	a.i32c(0).set(t)
	a.block().loop()
	a.get(t).get(d4).i32GeS().brIf(1)
	a.get(acc).get(q).get(t).i32Add().v128Load(0).get(set).get(t).i32Add().v128Load(0).f32x4Mul().f32x4Add().set(acc)
	a.get(t).i32c(16).i32Add().set(t)
	a.br(0)
	a.end().end()
	a.get(out)
	a.get(acc).f32x4Lane(0).get(acc).f32x4Lane(1).f32Add()
	a.get(acc).f32x4Lane(2).get(acc).f32x4Lane(3).f32Add()
	a.f32Add().f32Store(0)
	a.get(set).get(d4).i32Add().set(set)
	a.get(out).i32c(4).i32Add().set(out)
	a.get(n).i32c(1).i32Sub().set(n)
	a.br(0)
	a.end().end()
	return a
}

// addBias is addBias(src, dst, n, bias): dst[j] = src[j] + bias for the
// first n floats, n a multiple of 4.
func addBias() *asm {
	a := newFunc([]byte{i32, i32, i32, f32}, nil)
	const src, dst, n, bias = 0, 1, 2, 3
	bv := a.local(v128)
	a.get(bias).f32x4Splat().set(bv)
	a.block().loop()
	a.get(n).i32c(4).i32LtS().brIf(1)
	a.get(dst).get(src).v128Load(0).get(bv).f32x4Add().v128Store(0)
	a.get(src).i32c(16).i32Add().set(src)
	a.get(dst).i32c(16).i32Add().set(dst)
	a.get(n).i32c(4).i32Sub().set(n)
	a.br(0)
	a.end().end()
	return a
}

// zeroN emits: store zeros to the n floats at ptr (both locals, both
// changed), four at a time, then one by one.
func (a *asm) zeroN(ptr, n uint32) {
	a.block().loop()
	a.get(n).i32c(4).i32LtS().brIf(1)
	a.get(ptr).v128Zero().v128Store(0)
	a.get(ptr).i32c(16).i32Add().set(ptr)
	a.get(n).i32c(4).i32Sub().set(n)
	a.br(0)
	a.end().end()
	a.block().loop()
	a.get(n).i32c(1).i32LtS().brIf(1)
	a.get(ptr).f32c(0).f32Store(0)
	a.get(ptr).i32c(4).i32Add().set(ptr)
	a.get(n).i32c(1).i32Sub().set(n)
	a.br(0)
	a.end().end()
}

// copyN emits: copy the n floats at src to dst (locals, all changed).
func (a *asm) copyN(dst, src, n uint32) {
	a.block().loop()
	a.get(n).i32c(4).i32LtS().brIf(1)
	a.get(dst).get(src).v128Load(0).v128Store(0)
	a.get(dst).i32c(16).i32Add().set(dst)
	a.get(src).i32c(16).i32Add().set(src)
	a.get(n).i32c(4).i32Sub().set(n)
	a.br(0)
	a.end().end()
	a.block().loop()
	a.get(n).i32c(1).i32LtS().brIf(1)
	a.get(dst).get(src).f32Load(0).f32Store(0)
	a.get(dst).i32c(4).i32Add().set(dst)
	a.get(src).i32c(4).i32Add().set(src)
	a.get(n).i32c(1).i32Sub().set(n)
	a.br(0)
	a.end().end()
}

// im2col is im2col(x, col, c, h, w, k, pad, nimg): nn's Conv2D.im2col for
// stride 1: the k·k·c rows of col, each the nimg images' ho×wo outputs,
// row (ch, u, v) holding the input pixel (i − pad + u, j − pad + v) of
// channel ch, zero outside the h×w image; x is the first image's first
// float, the images' c planes one after the other.
func im2col() *asm {
	a := newFunc([]byte{i32, i32, i32, i32, i32, i32, i32, i32}, nil)
	const x, col, c, h, w, k, pad, nimg = 0, 1, 2, 3, 4, 5, 6, 7
	ho, wo, l, ch, u, v, img, i := a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32)
	jlo, jhi, dst, src, r, n := a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32)
	// ho = h + 2·pad − k + 1, likewise wo; l = nimg·ho·wo; dst runs through col
	a.get(h).get(pad).i32c(1).i32Shl().i32Add().get(k).i32Sub().i32c(1).i32Add().set(ho)
	a.get(w).get(pad).i32c(1).i32Shl().i32Add().get(k).i32Sub().i32c(1).i32Add().set(wo)
	a.get(nimg).get(ho).i32Mul().get(wo).i32Mul().set(l)
	a.get(col).set(dst)
	loop := func(idx, limit uint32, body func()) {
		a.i32c(0).set(idx)
		a.block().loop()
		a.get(idx).get(limit).i32GeS().brIf(1)
		body()
		a.get(idx).i32c(1).i32Add().set(idx)
		a.br(0)
		a.end().end()
	}
	loop(ch, c, func() {
		loop(u, k, func() {
			loop(v, k, func() {
				// jlo = max(0, pad − v); jhi = max(jlo, min(wo, w + pad − v))
				a.get(pad).get(v).i32Sub().tee(jlo).i32c(0).get(jlo).i32c(0).i32GeS().selectOp().set(jlo)
				a.get(w).get(pad).i32Add().get(v).i32Sub().tee(jhi).get(wo).get(jhi).get(wo).i32LtS().selectOp().set(jhi)
				a.get(jhi).get(jlo).get(jhi).get(jlo).i32GeS().selectOp().set(jhi)
				loop(img, nimg, func() {
					loop(i, ho, func() {
						a.get(i).get(pad).i32Sub().get(u).i32Add().set(r)
						// a row outside the image: zeros
						a.get(r).i32c(0).i32LtS().get(r).get(h).i32GeS().i32Or()
						a.if_()
						a.get(wo).set(n)
						a.zeroN(dst, n)
						a.else_()
						a.get(jlo).set(n)
						a.zeroN(dst, n)
						// src = &x[((img·c + ch)·h + r)·w + jlo − pad + v]
						a.get(x).get(img).get(c).i32Mul().get(ch).i32Add().get(h).i32Mul().get(r).i32Add().get(w).i32Mul()
						a.get(jlo).i32Add().get(pad).i32Sub().get(v).i32Add().i32c(2).i32Shl().i32Add().set(src)
						a.get(jhi).get(jlo).i32Sub().set(n)
						a.copyN(dst, src, n)
						a.get(wo).get(jhi).i32Sub().set(n)
						a.zeroN(dst, n)
						a.end()
					})
				})
			})
		})
	})
	_ = l
	return a
}

// addN emits: add the n floats at src into those at dst (locals, all
// changed).
func (a *asm) addN(dst, src, n uint32) {
	a.block().loop()
	a.get(n).i32c(4).i32LtS().brIf(1)
	a.get(dst).get(dst).v128Load(0).get(src).v128Load(0).f32x4Add().v128Store(0)
	a.get(dst).i32c(16).i32Add().set(dst)
	a.get(src).i32c(16).i32Add().set(src)
	a.get(n).i32c(4).i32Sub().set(n)
	a.br(0)
	a.end().end()
	a.block().loop()
	a.get(n).i32c(1).i32LtS().brIf(1)
	a.get(dst).get(dst).f32Load(0).get(src).f32Load(0).f32Add().f32Store(0)
	a.get(dst).i32c(4).i32Add().set(dst)
	a.get(src).i32c(4).i32Add().set(src)
	a.get(n).i32c(1).i32Sub().set(n)
	a.br(0)
	a.end().end()
}

// col2im is col2im(dx, col, c, h, w, k, pad, nimg): nn's Conv2D.col2im
// for stride 1, the adjoint of im2col: every entry of col is added to the
// input pixel it was read from, in im2col's order (so each pixel's sum
// runs over (u, v) as in Go); dx (the first image's first float) must be
// cleared first.
func col2im() *asm {
	a := newFunc([]byte{i32, i32, i32, i32, i32, i32, i32, i32}, nil)
	const dx, col, c, h, w, k, pad, nimg = 0, 1, 2, 3, 4, 5, 6, 7
	ho, wo, ch, u, v, img, i := a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32)
	jlo, jhi, dst, src, r, n, cp := a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32)
	a.get(h).get(pad).i32c(1).i32Shl().i32Add().get(k).i32Sub().i32c(1).i32Add().set(ho)
	a.get(w).get(pad).i32c(1).i32Shl().i32Add().get(k).i32Sub().i32c(1).i32Add().set(wo)
	a.get(col).set(cp)
	loop := func(idx, limit uint32, body func()) {
		a.i32c(0).set(idx)
		a.block().loop()
		a.get(idx).get(limit).i32GeS().brIf(1)
		body()
		a.get(idx).i32c(1).i32Add().set(idx)
		a.br(0)
		a.end().end()
	}
	loop(ch, c, func() {
		loop(u, k, func() {
			loop(v, k, func() {
				a.get(pad).get(v).i32Sub().tee(jlo).i32c(0).get(jlo).i32c(0).i32GeS().selectOp().set(jlo)
				a.get(w).get(pad).i32Add().get(v).i32Sub().tee(jhi).get(wo).get(jhi).get(wo).i32LtS().selectOp().set(jhi)
				a.get(jhi).get(jlo).get(jhi).get(jlo).i32GeS().selectOp().set(jhi)
				loop(img, nimg, func() {
					loop(i, ho, func() {
						a.get(i).get(pad).i32Sub().get(u).i32Add().set(r)
						a.get(r).i32c(0).i32GeS().get(r).get(h).i32LtS().i32And()
						a.if_() // a row inside the image
						a.get(dx).get(img).get(c).i32Mul().get(ch).i32Add().get(h).i32Mul().get(r).i32Add().get(w).i32Mul()
						a.get(jlo).i32Add().get(pad).i32Sub().get(v).i32Add().i32c(2).i32Shl().i32Add().set(dst)
						a.get(cp).get(jlo).i32c(2).i32Shl().i32Add().set(src)
						a.get(jhi).get(jlo).i32Sub().set(n)
						a.addN(dst, src, n)
						a.end()
						a.get(cp).get(wo).i32c(2).i32Shl().i32Add().set(cp)
					})
				})
			})
		})
	})
	return a
}

// gemvT is gemvT(kc, n, x, w, ldw, c, alpha, add): the matrix product of
// one row of A, x (kc floats), and a transposed B whose n columns are the
// rows of w (row stride ldw floats), without packing: c[j] = base + alpha ·
// Σ_p x[p]·w[j·ldw + p], the sum over p in order from zero, base c[j]
// (add) or 0 — the bits of gemm on packed panels for that one row. Four
// outputs at a time: four rows of w read four floats along and transposed
// with shuffles; the last n mod 4 outputs one by one.
func gemvT() *asm {
	a := newFunc([]byte{i32, i32, i32, i32, i32, i32, f32, i32}, nil)
	const kc, n, x, w, ldw, c, alpha, add = 0, 1, 2, 3, 4, 5, 6, 7
	ldw4, kc4, j, p, cj, xp, s := a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(i32), a.local(f32)
	var r [4]uint32
	for q := range r {
		r[q] = a.local(i32)
	}
	var v [4]uint32
	for q := range v {
		v[q] = a.local(v128)
	}
	acc, col, alv, t0, t1, t2, t3 := a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128), a.local(v128)
	lo01, hi01 := floatLanes(0, 4, 1, 5), floatLanes(2, 6, 3, 7)
	lo02, hi02 := floatLanes(0, 1, 4, 5), floatLanes(2, 3, 6, 7)

	a.get(ldw).i32c(2).i32Shl().set(ldw4)
	a.get(kc).i32c(-4).i32And().set(kc4)
	a.get(alpha).f32x4Splat().set(alv)
	a.i32c(0).set(j)
	a.block().loop() // four outputs at a time
	a.get(j).i32c(4).i32Add().get(n).i32GtS().brIf(1)
	a.get(w).get(j).get(ldw4).i32Mul().i32Add().set(r[0])
	for q := 1; q < 4; q++ {
		a.get(r[q-1]).get(ldw4).i32Add().set(r[q])
	}
	a.v128Zero().set(acc)
	a.i32c(0).set(p)
	a.get(x).set(xp)
	a.block().loop() // four p at a time
	a.get(p).get(kc4).i32GeS().brIf(1)
	for q := range 4 {
		a.get(r[q]).get(p).i32c(2).i32Shl().i32Add().v128Load(0).set(v[q])
	}
	a.get(v[0]).get(v[1]).shuffle(lo01).set(t0)
	a.get(v[0]).get(v[1]).shuffle(hi01).set(t1)
	a.get(v[2]).get(v[3]).shuffle(lo01).set(t2)
	a.get(v[2]).get(v[3]).shuffle(hi01).set(t3)
	for tq, pair := range [4][3]uint32{{t0, t2, 0}, {t0, t2, 1}, {t1, t3, 0}, {t1, t3, 1}} {
		lanes := lo02
		if pair[2] == 1 {
			lanes = hi02
		}
		a.get(acc).get(xp).loadSplat32(uint32(4 * tq)).get(pair[0]).get(pair[1]).shuffle(lanes).f32x4Mul().f32x4Add().set(acc)
	}
	a.get(xp).i32c(16).i32Add().set(xp)
	a.get(p).i32c(4).i32Add().set(p)
	a.br(0)
	a.end().end()
	a.block().loop() // the last kc mod 4 p, lanes gathered one by one
	a.get(p).get(kc).i32GeS().brIf(1)
	a.get(r[0]).get(p).i32c(2).i32Shl().i32Add().f32Load(0).f32x4Splat()
	for q := 1; q < 4; q++ {
		a.get(r[q]).get(p).i32c(2).i32Shl().i32Add().f32Load(0).f32x4ReplaceLane(byte(q))
	}
	a.set(col)
	a.get(acc).get(xp).loadSplat32(0).get(col).f32x4Mul().f32x4Add().set(acc)
	a.get(xp).i32c(4).i32Add().set(xp)
	a.get(p).i32c(1).i32Add().set(p)
	a.br(0)
	a.end().end()
	a.get(c).get(j).i32c(2).i32Shl().i32Add().tee(cj)
	a.get(cj).v128Load(0).v128Zero().get(add).selectOp()
	a.get(alv).get(acc).f32x4Mul().f32x4Add().v128Store(0)
	a.get(j).i32c(4).i32Add().set(j)
	a.br(0)
	a.end().end()
	a.block().loop() // the last n mod 4 outputs
	a.get(j).get(n).i32GeS().brIf(1)
	a.get(w).get(j).get(ldw4).i32Mul().i32Add().set(r[0])
	a.f32c(0).set(s)
	a.i32c(0).set(p)
	a.block().loop()
	a.get(p).get(kc).i32GeS().brIf(1)
	a.get(s).get(x).get(p).i32c(2).i32Shl().i32Add().f32Load(0).get(r[0]).get(p).i32c(2).i32Shl().i32Add().f32Load(0).f32Mul().f32Add().set(s)
	a.get(p).i32c(1).i32Add().set(p)
	a.br(0)
	a.end().end()
	a.get(c).get(j).i32c(2).i32Shl().i32Add().tee(cj)
	a.get(cj).f32Load(0).f32c(0).get(add).selectOp()
	a.get(alpha).get(s).f32Mul().f32Add().f32Store(0)
	a.get(j).i32c(1).i32Add().set(j)
	a.br(0)
	a.end().end()
	return a
}
