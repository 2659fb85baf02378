//go:build !noasm

package nn

// defaultKernel on amd64 is gonum's Sgemm, whose SSE assembly beats the
// pure-Go kernel (see BenchmarkGemm).
const defaultKernel = kernelGonum
