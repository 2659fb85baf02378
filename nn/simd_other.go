//go:build !(js && wasm)

package nn

// Outside WebAssembly there are no SIMD kernels (simd_wasm.go): kernelSIMD
// is never chosen.

func (g *gemmArgs) macroSIMD(s *gemmScratch, ic, mc, jc, nc, kc int, add bool) {
	panic("nn: the SIMD kernel needs WebAssembly")
}

func packBSIMD(dst, b []float32, ldb int, trans bool, pc, kc, jc, nc int) {
	panic("nn: the SIMD kernel needs WebAssembly")
}

func packASIMD(dst, a []float32, lda int, trans bool, ic, mc, pc, kc int) {
	panic("nn: the SIMD kernel needs WebAssembly")
}

func reluFast(xs, ys []float32) bool { return false }

func maxPool2Fast(x, y []float32, arg []int32, plo, phi, h, w int) int { return 0 }

func addBiasFast(src, dst []float32, bias float32) bool { return false }

func im2colFast(c *Conv2D, col []float32, i0, i1 int) bool { return false }

func col2imFast(c *Conv2D, col []float32, i0, i1 int) bool { return false }

func (g *gemmArgs) gemvSIMD(i, j0, j1 int, overwrite bool) {
	panic("nn: the SIMD kernel needs WebAssembly")
}
