//go:build (!amd64 || noasm) && !(js && wasm)

package nn

// haveAVX is false without assembly: kernelAVX is never chosen.
const haveAVX = false

// defaultKernel without assembly is the pure-Go kernel, about three times
// faster than gonum's pure-Go Sgemm under WebAssembly (see BenchmarkGemm).
const defaultKernel = kernelPure

func sgemm4x24(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha float32, add bool) {
	panic("nn: the AVX kernel needs amd64 assembly")
}
