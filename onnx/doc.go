// Package onnx is AEIR's ONNX interoperability: it writes the image
// encoder f and the sentence encoder g of a model.Model as standard ONNX
// graphs, runs ONNX models in pure Go through onnx-go, checks exported
// graphs against the Go model in onnx-go and onnxruntime, and uses an
// ONNX image model as a frozen feature extractor (Backbone) for users'
// data sets.
//
// # The exported graphs
//
// Export writes image_encoder.onnx and text_encoder.onnx: ONNX IR version
// 7, opset 13, float32, one input and one output each, a symbolic batch
// dimension "batch", and metadata (ModelProto.metadata_props) keys
// aeir.encoder, aeir.dim, aeir.dataset, aeir.method, aeir.scenario,
// aeir.export_version, aeir.model_file_version, aeir.config (the full
// model.Config as JSON), aeir.tokenizer (text.Tokenizer as JSON),
// aeir.tokenizer.algorithm, aeir.input, aeir.output and, for pixel models,
// aeir.image_size.
//
//	image_encoder.onnx  image float32 [batch, 3, S, S] → embedding float32 [batch, D]
//	    [Conv(3×3, pad 1) → Relu → MaxPool(2×2, stride 2)]ⁿ → Flatten → MatMul → Add → L2 norm
//	text_encoder.onnx   bag float32 [batch, buckets] → embedding float32 [batch, D]
//	    MatMul(bag, E), MatMul(bag, 1) → max(·, 1) → Div → MatMul → Add → Relu → MatMul → Add → L2 norm
//
// The image input is what data.Composite makes: RGB planes in [0, 1],
// straight-alpha RGBA composited over white. The sentence encoder starts
// from the tokeniser's output: row i of bag counts how often each hashed
// id occurs in sentence i (BagCounts); the tokeniser itself (NFKC, words,
// character n-grams, FNV-1a hashing; package text) is described in the
// metadata and is a few dozen lines in any language.
//
// # Choices, and why
//
// Both graphs must run unchanged on onnxruntime (node, web) and on
// onnx-go v0.5.0, whose gorgonia backend has a small operator set and
// some traps. Measured here:
//
//   - Linear layers are MatMul + Add, not Gemm: onnx-go's Gemm writes its
//     result into the bias at batch 1, so repeated runs drift. Biases are
//     1×out initializers: onnx-go broadcasts a 1-D bias by guessing the
//     axis from its length, which goes wrong when the batch equals the
//     width.
//   - The embedding bag is a dense count row times the table. onnx-go has
//     no Gather, ScatterElements or ReduceSum, so ids + offsets with a
//     segment mean cannot run there. The bag's size is bounded by the
//     bucket count (8192 by default: 32 KB per sentence), and the mean
//     divides by max(Σ counts, 1) so an empty sentence gives a zero row as
//     nn.EmbeddingBag does.
//   - L2 normalisation is in the graph, with operators every runtime has:
//     Identity + Mul for the squares (Mul(x, x) names one value twice and
//     onnx-go keeps a single graph edge per pair of nodes, so it would see
//     one input), MatMul with a column of ones for the row sums (no
//     ReduceSum/ReduceL2/Pow in onnx-go), Sqrt, the floor max(‖x‖, ε) as
//     Relu(‖x‖ − ε) + ε, and a broadcasting Div. Max is not used: onnx-go's
//     Max returns x + c instead of max(x, c) for 1×1 inputs (the batch-1
//     case).
//   - Dropout is left out (the graphs are inference graphs).
//   - Float weights are written as raw_data, which every runtime reads.
//
// onnx-go builds its computation graph on the first run and a graph with a
// Conv cannot change batch size afterwards, so GoRunner keeps one onnx-go
// instance per batch size and Backbone runs fixed-size batches, padding
// the last one.
//
// # Protobuf
//
// The ONNX file format is protocol buffers; this package writes and reads
// the subset it needs (ModelProto, GraphProto, NodeProto, AttributeProto,
// TensorProto, ValueInfoProto, TypeProto, TensorShapeProto,
// OperatorSetIdProto, StringStringEntryProto) with a hand-written wire
// encoding in proto.go, about 500 lines with no dependency, instead of
// generated code and a protobuf module: the subset is small and stable,
// the decoder skips unknown fields as protobuf requires, and it is
// fuzzed (FuzzUnmarshal). onnx-go brings its own (gogo) protobuf for its
// own parsing. The exported files pass the ONNX project's checker
// (onnx.checker.check_model with full_check, Debian's python3-onnx 1.12).
//
// # Checks
//
// Check runs both graphs at the given batch sizes, several times on one
// session, in onnx-go (GoRunner) and in onnxruntime-node (ORT, a small node
// script embedded here, run with the onnxruntime-node that scripts/onnx.sh
// install puts in .cache/onnx/node_modules), and reports the largest
// absolute difference from the Go model. The tests require ≤ 1e-5 at batch
// 1 and 32; they skip the onnxruntime part with a message when node or the
// package is missing, and fail instead when AEIR_REQUIRE_ORT=1.
//
// # Backbones
//
// OpenBackbone checks an ONNX image model before running it: one float32
// input [batch, 3, S, S] with a fixed square S, only operators onnx-go
// v0.5.0 runs (GoOps), one output; errors name the file, the offending
// nodes or shape, and the fix. Backbone.Load reads a user's table or
// Karpathy data set (package data/formats) at size S and replaces the
// pixels by features, so a feature model (model.Config.FeatureDim) trains
// on them; `aeir train -image-backbone model.onnx` does this (through
// package run, which calls Features on every image set of a task).
package onnx
