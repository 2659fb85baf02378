//go:build !amd64 || noasm

package nn

// defaultKernel without assembly is the pure-Go kernel, about three times
// faster than gonum's pure-Go Sgemm under WebAssembly (see BenchmarkGemm).
const defaultKernel = kernelPure
