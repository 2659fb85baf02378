//go:build !(js && wasm)

package web

import "aeir/eval"

// similarity is eval.Similarity of one query q against the n rows of set
// (on the page, the SIMD kernels compute it: simd_wasm.go).
func similarity(dst, q, set []float32, n, d int) []float32 {
	return eval.Similarity(dst, q, 1, set, n, d)
}
