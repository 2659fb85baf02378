package onnx

import (
	"fmt"
	"slices"

	onnxgo "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"
)

// GoRunner runs an ONNX model in pure Go through onnx-go v0.5.0 (gorgonia
// backend), for graphs with one float32 input and one float32 output.
//
// onnx-go builds its computation graph on the first run from the input's
// shape, and a graph with a Conv cannot change its batch size afterwards;
// GoRunner therefore keeps one onnx-go instance per batch size.
type GoRunner struct {
	file []byte
	inst map[int]*goInstance
}

type goInstance struct {
	m *onnxgo.Model
	g *gorgonnx.Graph
}

// NewGoRunner decodes the model once to report problems early.
func NewGoRunner(file []byte) (*GoRunner, error) {
	r := &GoRunner{file: file, inst: map[int]*goInstance{}}
	if _, err := r.instance(-1); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *GoRunner) instance(batch int) (in *goInstance, err error) {
	if in, ok := r.inst[batch]; ok {
		return in, nil
	}
	defer func() {
		if p := recover(); p != nil {
			in, err = nil, fmt.Errorf("onnx-go: %v", p)
		}
	}()
	g := gorgonnx.NewGraph()
	m := onnxgo.NewModel(g)
	if err := m.UnmarshalBinary(r.file); err != nil {
		return nil, fmt.Errorf("onnx-go: %w", err)
	}
	if len(m.Input) != 1 {
		return nil, fmt.Errorf("onnx-go: the model has %d inputs besides its weights; want 1", len(m.Input))
	}
	in = &goInstance{m: m, g: g}
	r.inst[batch] = in
	return in, nil
}

// Run feeds x, shaped shape (shape[0] the batch), and returns the first
// output's values (a copy) and shape.
func (r *GoRunner) Run(x []float32, shape ...int) (out []float32, oshape []int, err error) {
	in, err := r.instance(shape[0])
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			out, oshape, err = nil, nil, fmt.Errorf("onnx-go: %v", p)
		}
	}()
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(slices.Clone(x)))
	if err := in.m.SetInput(0, t); err != nil {
		return nil, nil, fmt.Errorf("onnx-go: %w", err)
	}
	if err := in.g.Run(); err != nil {
		return nil, nil, fmt.Errorf("onnx-go: %w", err)
	}
	outs, err := in.m.GetOutputTensors()
	if err != nil {
		return nil, nil, fmt.Errorf("onnx-go: %w", err)
	}
	if len(outs) == 0 || outs[0] == nil {
		return nil, nil, fmt.Errorf("onnx-go: no output")
	}
	o := outs[0]
	v, ok := o.Data().([]float32)
	if !ok {
		return nil, nil, fmt.Errorf("onnx-go: output is %T, want float32", o.Data())
	}
	return slices.Clone(v), slices.Clone([]int(o.Shape())), nil
}
