package onnx

import (
	"fmt"
	"strconv"
)

// builder appends nodes and initializers to a graph, naming every
// intermediate value after its operator and a running number.
type builder struct {
	g    *GraphProto
	n    int
	ones map[int]string // ones[k]: a k×1 column of ones
}

func newBuilder(name string) *builder {
	return &builder{g: &GraphProto{Name: name}, ones: map[int]string{}}
}

// weight adds a float32 initializer and returns its name.
func (b *builder) weight(name string, data []float32, dims ...int64) string {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	if n != int64(len(data)) {
		panic(fmt.Sprintf("onnx: initializer %s: %d values for shape %v", name, len(data), dims))
	}
	b.g.Initializer = append(b.g.Initializer, &TensorProto{Name: name, Dims: dims, DataType: Float, Floats: data})
	return name
}

// op adds a node with one output and returns the output's name.
func (b *builder) op(opType string, inputs []string, attrs ...*Attribute) string {
	b.n++
	out := opType + "_" + strconv.Itoa(b.n)
	b.g.Nodes = append(b.g.Nodes, &NodeProto{
		Name: out, OpType: opType, Inputs: inputs, Outputs: []string{out}, Attrs: attrs,
	})
	return out
}

// rename makes the last node's output the given graph-output name.
func (b *builder) rename(name string) {
	last := b.g.Nodes[len(b.g.Nodes)-1]
	last.Outputs[0] = name
}

// column returns a k×1 initializer of ones (a row sum as a MatMul).
func (b *builder) column(k int) string {
	if s, ok := b.ones[k]; ok {
		return s
	}
	c := make([]float32, k)
	for i := range c {
		c[i] = 1
	}
	s := b.weight("ones_"+strconv.Itoa(k), c, int64(k), 1)
	b.ones[k] = s
	return s
}

// linear is y = x·Wᵀ + b as MatMul and Add, with W (out×in, row-major, as
// nn.Linear stores it) transposed into an in×out initializer and b stored
// as 1×out. Gemm is avoided on purpose: onnx-go v0.5.0's Gemm writes its
// result into the bias at batch 1, so repeated runs drift; its broadcast
// of a 1-D bias also guesses the axis by size and fails when the batch
// equals the width, which a 1×out bias avoids.
func (b *builder) linear(x, name string, w, bias []float32, in, out int) string {
	wt := make([]float32, in*out)
	for o := range out {
		for i := range in {
			wt[i*out+o] = w[o*in+i]
		}
	}
	mm := b.op("MatMul", []string{x, b.weight(name+".weight_t", wt, int64(in), int64(out))})
	return b.op("Add", []string{mm, b.weight(name+".bias", append([]float32(nil), bias...), 1, int64(out))})
}

// l2norm is y = x / max(‖x‖₂, ε) row-wise for N×d input, with ops every
// target runtime has: the sum of squares is a MatMul with a column of
// ones (onnx-go has no ReduceSum, ReduceL2 or Pow), the floor ε is
// Relu(‖x‖ − ε) + ε (see floor), and the division broadcasts the N×1
// norms. The result
// equals nn.L2Norm's up to float32 rounding of the sum (nn sums in
// float64).
func (b *builder) l2norm(x string, d int, eps float32) string {
	// Mul(x, x) would name one value twice, and onnx-go keeps one graph
	// edge per pair of nodes, so it would see a single input: square x
	// against an Identity copy of it instead.
	sq := b.op("Mul", []string{x, b.op("Identity", []string{x})})
	ss := b.op("MatMul", []string{sq, b.column(d)})
	nrm := b.op("Sqrt", []string{ss})
	return b.op("Div", []string{x, b.floor(nrm, "l2_eps", eps)})
}

// floor is max(x, c) for a constant c, written as Relu(x − c) + c: exact
// in float32 whenever x ≥ c is an integer or x ≫ c, and c itself below
// it. onnx-go v0.5.0's Max returns x + c for 1×1 inputs (the batch-1
// case), so Max is not used.
func (b *builder) floor(x, name string, c float32) string {
	k := b.weight(name, []float32{c}, 1, 1)
	return b.op("Add", []string{b.op("Relu", []string{b.op("Sub", []string{x, k})}), k})
}

func intsAttr(name string, vs ...int64) *Attribute {
	return &Attribute{Name: name, Type: attrInts, Ints: vs}
}

func intAttr(name string, v int64) *Attribute {
	return &Attribute{Name: name, Type: attrInt, I: v}
}
