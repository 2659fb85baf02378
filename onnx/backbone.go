package onnx

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"aeir/data"
)

// GoOps are the ONNX operators onnx-go v0.5.0 (gorgonia backend) can run,
// by their standard names. A backbone with any other operator is refused
// before onnx-go sees it.
var GoOps = []string{
	"Abs", "Add", "BatchNormalization", "Ceil", "Concat", "Constant", "Conv", "Cos", "Div",
	"Dropout", "Exp", "Flatten", "Floor", "Gemm", "GlobalAveragePool", "Identity", "ImageScaler",
	"LeakyRelu", "Log", "MatMul", "Max", "MaxPool", "Min", "Mul", "Neg", "Relu", "Reshape",
	"Sigmoid", "Sign", "Sin", "Softmax", "Softplus", "Sqrt", "Squeeze", "Sub", "Tanh",
	"Transpose", "Unsqueeze",
}

// Backbone is an ONNX image model used as a frozen feature extractor: it
// maps RGB images [batch, 3, H, W] (values in [0, 1] composited on white,
// then (v − Mean[c]) / Std[c]) to one feature vector per image, which
// becomes the image side of a feature model (model.Config.FeatureDim).
// It runs in pure Go through onnx-go v0.5.0.
type Backbone struct {
	Path      string
	Input     string // the image input's name
	Size      int    // H = W, the side images must have
	Dim       int    // features per image (the output flattened)
	Mean, Std [3]float32

	batch  int  // rows per onnx-go run (fixed: onnx-go cannot change a Conv graph's batch)
	gemm1  bool // batch 1 and a Gemm: decode afresh per run (onnx-go's Gemm overwrites its bias at batch 1)
	file   []byte
	runner *GoRunner
	x      []float32
}

// OpenBackbone reads and checks an ONNX image model: exactly one image
// input, float32, shaped [batch, 3, S, S] with a fixed S (the batch may be
// symbolic or fixed), every operator among GoOps, and one output that
// flattens to a feature vector per image. Errors name the file, what is
// unsupported and what to do.
func OpenBackbone(path string) (*Backbone, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, a...))
	}
	mp, err := Unmarshal(b)
	if err != nil {
		return nil, bad("%v; want an ONNX model file (.onnx)", err)
	}
	g := mp.Graph
	inits := map[string]bool{}
	for _, t := range g.Initializer {
		inits[t.Name] = true
	}
	var ins []*ValueInfo
	for _, v := range g.Inputs {
		if !inits[v.Name] {
			ins = append(ins, v)
		}
	}
	if len(ins) != 1 {
		var names []string
		for _, v := range ins {
			names = append(names, v.Name)
		}
		return nil, bad("%d inputs %v besides the weights; a backbone takes exactly one, the image batch", len(ins), names)
	}
	in := ins[0]
	if in.ElemType != Float {
		return nil, bad("input %q has element type %d; a backbone takes float32 (type 1) pixels", in.Name, in.ElemType)
	}
	want := "a backbone takes RGB images [batch, 3, S, S] (NCHW) with a fixed square size S"
	switch sh := in.Shape; {
	case len(sh) != 4:
		return nil, bad("input %q has shape %v; %s", in.Name, sh, want)
	case sh[1].Value != 3:
		return nil, bad("input %q has shape %v: %s channels; %s (grey or RGBA models need an adapter: export them with a 3-channel input)", in.Name, sh, sh[1], want)
	case sh[2].Value <= 0 || sh[3].Value <= 0:
		return nil, bad("input %q has shape %v: a free image size; %s (re-export it with a fixed size, e.g. 224×224)", in.Name, sh, want)
	case sh[2].Value != sh[3].Value || sh[2].Value > 4096:
		return nil, bad("input %q has shape %v: %s×%s images; %s of at most 4096 (the loaders crop images to squares)", in.Name, sh, sh[2], sh[3], want)
	}
	batch := 8
	if v := in.Shape[0].Value; v > 0 {
		batch = int(v) // a fixed batch: run exactly that many at once
	}
	var unsupported []string
	hasGemm := false
	for i, n := range g.Nodes {
		if n.Domain != "" && n.Domain != "ai.onnx" {
			unsupported = append(unsupported, fmt.Sprintf("%s.%s (node %d %q)", n.Domain, n.OpType, i, n.Name))
			continue
		}
		if !slices.Contains(GoOps, n.OpType) {
			unsupported = append(unsupported, fmt.Sprintf("%s (node %d %q)", n.OpType, i, n.Name))
		}
		hasGemm = hasGemm || n.OpType == "Gemm"
	}
	if len(unsupported) > 0 {
		return nil, bad("operators onnx-go v0.5.0 cannot run: %s; it runs %s. Cut the graph before them (e.g. export the backbone up to its pooled features) or replace them with operators it has (e.g. ReduceMean over H and W → GlobalAveragePool)",
			strings.Join(unsupported, ", "), strings.Join(GoOps, " "))
	}
	if len(g.Outputs) != 1 {
		return nil, bad("%d outputs; a backbone has one, the features", len(g.Outputs))
	}
	r, err := NewGoRunner(b)
	if err != nil {
		return nil, bad("%v", err)
	}
	s := int(in.Shape[2].Value)
	bb := &Backbone{Path: path, Input: in.Name, Size: s, Std: [3]float32{1, 1, 1},
		batch: batch, gemm1: batch == 1 && hasGemm, file: b, runner: r}
	// Probe with a white batch for the output's size.
	x := make([]float32, batch*3*s*s)
	for i := range x {
		x[i] = 1
	}
	y, shape, err := r.Run(x, batch, 3, s, s)
	if err != nil {
		return nil, bad("running it on a [%d 3 %d %d] batch: %v", batch, s, s, err)
	}
	if len(shape) < 2 || shape[0] != batch || len(y) != batch*(len(y)/batch) || len(y) == 0 {
		return nil, bad("output shape %v for a batch of %d; want [batch, features] or [batch, C, 1, 1]", shape, batch)
	}
	bb.Dim = len(y) / batch
	if bb.Dim > 1<<16 {
		return nil, bad("output has %d values per image (shape %v); pool it to at most 65536 features (e.g. end with GlobalAveragePool)", bb.Dim, shape)
	}
	if bb.gemm1 {
		bb.runner = nil
	}
	return bb, nil
}

// Features runs the backbone on pixel images of its size and returns them
// as feature images (Dim values each).
func (b *Backbone) Features(im *data.Images) (*data.Images, error) {
	if !im.IsPixels() {
		return nil, fmt.Errorf("%s: images are already features (dim %d); a backbone needs pixels", b.Path, im.Dim)
	}
	if im.W != b.Size || im.H != b.Size {
		return nil, fmt.Errorf("%s: takes %d×%d images, given %d×%d; load the data with size %d", b.Path, b.Size, b.Size, im.W, im.H, b.Size)
	}
	s := b.Size
	plane := s * s
	out := &data.Images{N: im.N, Dim: b.Dim, Feat: make([]float32, 0, im.N*b.Dim)}
	for lo := 0; lo < im.N; lo += b.batch {
		hi := min(lo+b.batch, im.N)
		b.x = slices.Grow(b.x[:0], b.batch*3*plane)[:b.batch*3*plane]
		clear(b.x)
		for i := lo; i < hi; i++ {
			dst := b.x[(i-lo)*3*plane : (i-lo+1)*3*plane]
			data.Composite(dst, im.Pix[i*plane*4:(i+1)*plane*4], s, s)
			for c := range 3 {
				m, sd := b.Mean[c], b.Std[c]
				for k := c * plane; k < (c+1)*plane; k++ {
					dst[k] = (dst[k] - m) / sd
				}
			}
		}
		r := b.runner
		if r == nil {
			var err error
			if r, err = NewGoRunner(b.file); err != nil {
				return nil, fmt.Errorf("%s: %w", b.Path, err)
			}
		}
		y, _, err := r.Run(b.x, b.batch, 3, s, s)
		if err != nil {
			return nil, fmt.Errorf("%s: images %d…%d: %w", b.Path, lo, hi-1, err)
		}
		if len(y) != b.batch*b.Dim {
			return nil, fmt.Errorf("%s: %d outputs for a batch of %d × %d features", b.Path, len(y), b.batch, b.Dim)
		}
		for i, v := range y[:(hi-lo)*b.Dim] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("%s: image %d: feature %d is %v", b.Path, lo+i/b.Dim, i%b.Dim, v)
			}
		}
		out.Feat = append(out.Feat, y[:(hi-lo)*b.Dim]...)
	}
	return out, nil
}
