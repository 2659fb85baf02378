//go:build js && wasm

package web

import "aeir/eval"

// The ranking's dot products on the page's SIMD kernels (package
// aeir/wasm/simd, linked by site/simd.js; see nn/simd_wasm.go for how the
// calls work): one call scores the whole gallery or corpus, with eval's
// own summation order, so the scores are eval.Similarity's bits.

//go:wasmimport aeirsimd ready
func simdReady() int32

//go:wasmimport aeirsimd dots
//go:noescape
func simdDots(q, set *float32, n, d int32, out *float32)

var simdOn = simdReady() != 0

// similarity is eval.Similarity of one query q against the n rows of set.
func similarity(dst, q, set []float32, n, d int) []float32 {
	if !simdOn || d == 0 || d%4 != 0 || n == 0 || len(q) != d || len(set) != n*d {
		return eval.Similarity(dst, q, 1, set, n, d)
	}
	if cap(dst) >= n {
		dst = dst[:n]
	} else {
		dst = make([]float32, n)
	}
	simdDots(&q[0], &set[0], int32(n), int32(d), &dst[0])
	return dst
}
