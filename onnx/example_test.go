package onnx_test

import (
	"fmt"
	"strings"

	"aeir/model"
	"aeir/onnx"
)

// The operators of the exported graphs of the default model.
func ExampleExport() {
	m, err := model.New(model.DefaultConfig(), 1)
	if err != nil {
		panic(err)
	}
	meta := model.Meta{Method: "aeir", Dataset: "VendorMoji-1906"}
	for _, f := range []func(*model.Model, model.Meta) (*onnx.ModelProto, error){onnx.ImageEncoder, onnx.TextEncoder} {
		p, err := f(m, meta)
		if err != nil {
			panic(err)
		}
		in := p.Graph.Inputs[0]
		fmt.Printf("%s %v: %s\n", in.Name, in.Shape, strings.Join(onnx.OpTypes(p), " "))
	}
	// Output:
	// image [batch 3 32 32]: Conv Relu MaxPool Flatten MatMul Add Identity Mul Sqrt Sub Div
	// bag [batch 8192]: MatMul Sub Relu Add Div Identity Mul Sqrt
}
