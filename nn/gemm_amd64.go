//go:build !noasm

package nn

import "golang.org/x/sys/cpu"

// haveAVX reports whether the CPU (and the OS) support the AVX2 and FMA
// instructions of the sgemm4x24 kernel.
var haveAVX = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// defaultKernel on amd64 is our AVX2/FMA kernel where the CPU has it and
// otherwise gonum's Sgemm, whose SSE assembly beats the pure-Go kernel
// (see BenchmarkGemm).
var defaultKernel = func() gemmKernel {
	if haveAVX {
		return kernelAVX
	}
	return kernelGonum
}()

// sgemm4x24 adds (add) or writes (!add) alpha times the product of a
// packed 4×kc panel of A and a kc×24 block of B (row stride ldb) into the
// 4×24 block of C at c (row stride ldc). Implemented in gemm_avx_amd64.s.
//
//go:noescape
func sgemm4x24(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha float32, add bool)
