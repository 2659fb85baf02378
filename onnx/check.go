package onnx

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"aeir/data"
	"aeir/model"
)

// Diff is one comparison of a runtime's embeddings with the Go model's.
type Diff struct {
	Runtime string  // "onnx-go v0.5.0" or "onnxruntime-node <version>"
	Encoder string  // "image" or "text"
	Batch   int     // rows per run
	Runs    int     // runs on one session / instance (repeated runs must not drift)
	MaxAbs  float64 // largest |runtime − Go| over every value of every run
}

func (d Diff) String() string {
	return fmt.Sprintf("%-26s %-5s batch %3d × %d runs: max |Δ| = %.3g", d.Runtime, d.Encoder, d.Batch, d.Runs, d.MaxAbs)
}

// CheckInput is what Check feeds the encoders: images of the model's kind
// (pixels of its size, or features of its width) and sentences, at least
// as many of each as the largest batch.
type CheckInput struct {
	Images *data.Images
	Texts  []string
}

// Check runs the encoders exported into dir (ImageFile, TextFile) at each
// batch size, runs times on one instance, in onnx-go and, when ort is not
// nil, in onnxruntime-node, and compares every output with the Go model.
func Check(m *model.Model, dir string, in CheckInput, batches []int, runs int, ort *ORT) ([]Diff, error) {
	runs = max(runs, 1)
	big := slices.Max(batches)
	if in.Images == nil || in.Images.N < big || len(in.Texts) < big {
		return nil, fmt.Errorf("check: need %d images and sentences for batch %d", big, big)
	}
	type enc struct {
		name, file, input string
		x                 func(n int) ([]float32, []int)
		want              func(n int) []float32
	}
	idx := func(n int) []int {
		ix := make([]int, n)
		for i := range ix {
			ix[i] = i
		}
		return ix
	}
	cfg := m.Config
	encs := []enc{
		{"image", ImageFile, ImageInput,
			func(n int) ([]float32, []int) {
				t := m.ImageBatch(in.Images, idx(n), nil)
				return slices.Clone(t.Data), slices.Clone(t.Shape)
			},
			func(n int) []float32 {
				return slices.Clone(m.Img.Forward(m.ImageBatch(in.Images, idx(n), nil), false).Data)
			}},
		{"text", TextFile, TextInput,
			func(n int) ([]float32, []int) {
				return BagCounts(cfg.Tokenizer, in.Texts[:n], nil), []int{n, cfg.Tokenizer.Buckets}
			},
			func(n int) []float32 { return m.EncodeTexts(in.Texts[:n]) }},
	}
	if cfg.FeatureDim > 0 {
		encs[0].input = FeatureInput
	}
	var diffs []Diff
	var jobs []ORTJob
	var want [][]float32
	var jobDiff []Diff
	for _, e := range encs {
		path := filepath.Join(dir, e.file)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		gr, err := NewGoRunner(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, n := range batches {
			x, shape := e.x(n)
			w := e.want(n)
			d := Diff{Runtime: "onnx-go v0.5.0", Encoder: e.name, Batch: n, Runs: runs}
			for range runs {
				y, ys, err := gr.Run(x, shape...)
				if err != nil {
					return nil, fmt.Errorf("%s: batch %d: %w", path, n, err)
				}
				if !slices.Equal(ys, []int{n, cfg.Dim}) {
					return nil, fmt.Errorf("%s: onnx-go output shape %v, want [%d %d]", path, ys, n, cfg.Dim)
				}
				d.MaxAbs = max(d.MaxAbs, maxAbs(y, w))
			}
			diffs = append(diffs, d)
			if ort != nil {
				jobs = append(jobs, ORTJob{Model: path, Input: e.input, Dims: shape, X: x, Repeat: runs})
				want = append(want, w)
				jobDiff = append(jobDiff, Diff{Encoder: e.name, Batch: n, Runs: runs})
			}
		}
	}
	if ort == nil {
		return diffs, nil
	}
	res, version, err := ort.Run(jobs)
	if err != nil {
		return diffs, err
	}
	for i, r := range res {
		d := jobDiff[i]
		d.Runtime = "onnxruntime-node " + version
		if !slices.Equal(r.Dims, []int{d.Batch, cfg.Dim}) {
			return diffs, fmt.Errorf("onnxruntime %s batch %d: output shape %v", d.Encoder, d.Batch, r.Dims)
		}
		for _, y := range r.Outputs {
			d.MaxAbs = max(d.MaxAbs, maxAbs(y, want[i]))
		}
		diffs = append(diffs, d)
	}
	return diffs, nil
}

func maxAbs(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		v := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		d = max(d, v)
	}
	return d
}
