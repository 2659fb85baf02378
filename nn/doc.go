// Package nn is a small float32 neural-network core: tensors, layers with
// hand-written forward and backward passes, optimisers, a fast pure-Go
// matrix multiply and a checksummed model file format.
//
// It is the one implementation of the network arithmetic that the AEIR CLI
// trainer, the WebAssembly demo and the notebooks share. It uses no cgo and
// no unsafe and builds for GOOS=js GOARCH=wasm; the only assembly is the
// AVX2/FMA matrix-multiply kernel in gemm_avx_amd64.s and gonum's SSE one
// (Go assembler, amd64 only, both disabled with the noasm build tag). Under
// WebAssembly the hot loops (matrix product, packing, im2col and col2im,
// ReLU, max-pooling, bias) run in simd128 kernels the page links in
// (simd_wasm.go, package aeir/wasm/simd), with the pure-Go kernels' exact
// results, and in the pure-Go ones where the page has none.
//
// # Conventions
//
// Tensors are row-major float32 arrays whose first dimension is the batch.
// Images are NCHW. A Layer caches what its Backward needs during Forward;
// Backward(dy) returns dL/dx and accumulates dL/dθ into Param.G, which the
// caller clears with ZeroGrads before each step. Layers own their output and
// gradient buffers and reuse them from call to call (they grow only when the
// batch grows), so the Tensor returned by Forward or Backward is valid only
// until the next call on the same layer; copy it to keep it. A training step
// allocates (almost) nothing after its first call.
//
// Shapes that do not fit are programmer errors and panic with a message that
// names the layer and the shapes. Bad data (a corrupt model file) is
// reported as an error.
//
// Randomness is explicit: constructors that initialise weights take a
// *rand.Rand (math/rand/v2; NewRand(seed) makes a PCG one) and Dropout owns
// its own seeded generator, so equal seeds give identical networks and
// runs. The package has no global mutable state apart from the internal
// worker goroutines and scratch buffers of Gemm, whose results do not
// depend on the number of workers.
//
// # Contents
//
//   - Tensor, Ensure, Param, ZeroGrads: data and parameters.
//   - Gemm: float32 matrix product; the project's AVX2/FMA kernel on
//     amd64 CPUs that have it, gonum's SSE Sgemm on older amd64, the
//     simd128 kernel in a page that provides it, a register-tiled pure-Go
//     kernel elsewhere (and as WebAssembly's fallback), all split
//     over cores by a zero-allocation worker pool (see gemm.go).
//   - Layers: Linear, Conv2D, MaxPool2D, GlobalAvgPool, ReLU, LeakyReLU,
//     Dropout, BatchNorm, LayerNorm, L2Norm, GradReverse, Flatten,
//     Sequential, and EmbeddingBag (ids in, sparse gradient). Twin makes a
//     copy that shares the weights, to run one encoder on two batches.
//   - Optimisers: Adam, AdamW, SGD, with Schedule (ConstantLR,
//     WarmupCosine), ClipGradNorm and State/SetState for exact resumption.
//   - BCEWithLogits, the loss of domain discriminators.
//   - Save, Load, SaveFile, LoadFile, CopyTensors: the checksummed model
//     file format (see Save for the layout).
//
// # A typical step
//
//	net := nn.NewSequential(
//		nn.NewLinear(rng, 512, 256), nn.NewReLU(),
//		nn.NewLinear(rng, 256, 1))
//	opt := nn.NewAdamW(1e-3, 0.01)
//	params := net.Params()
//	for step := range steps {
//		nn.ZeroGrads(params)
//		logits := net.Forward(x, true)
//		loss, dlogits := nn.BCEWithLogits(logits, y)
//		net.Backward(dlogits)
//		nn.ClipGradNorm(params, 5)
//		opt.Step(params)
//		_ = loss
//	}
package nn
