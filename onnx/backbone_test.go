package onnx

import (
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aeir/data"
	"aeir/data/formats"
	"aeir/nn"
)

// smallCNN writes a small ONNX CNN made here (Conv → Relu → MaxPool →
// Conv → Relu → GlobalAveragePool → Flatten, on [batch, 3, s, s]) and
// returns its path and the same network in nn layers.
func smallCNN(t *testing.T, s int, inShape []Dim, extra func(b *builder, x string) string) (string, *nn.Sequential) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	c1, c2 := nn.NewConv2D(rng, 3, 4, 3, 1, 1), nn.NewConv2D(rng, 4, 6, 3, 1, 1)
	for _, c := range []*nn.Conv2D{c1, c2} {
		for i := range c.B.W {
			c.B.W[i] = float32(rng.NormFloat64() * 0.1)
		}
	}
	ref := nn.NewSequential(c1, nn.NewReLU(), nn.NewMaxPool2D(2), c2, nn.NewReLU(), nn.NewGlobalAvgPool())
	b := newBuilder("small_cnn")
	if inShape == nil {
		inShape = []Dim{{Param: "N"}, {Value: 3}, {Value: int64(s)}, {Value: int64(s)}}
	}
	b.g.Inputs = []*ValueInfo{{Name: "pixels", ElemType: Float, HasShape: true, Shape: inShape}}
	x, err := layers(b, "pixels", "cnn", []nn.Layer{c1, nn.NewReLU(), nn.NewMaxPool2D(2), c2, nn.NewReLU()})
	if err != nil {
		t.Fatal(err)
	}
	x = b.op("GlobalAveragePool", []string{x})
	x = b.op("Flatten", []string{x}, intAttr("axis", 1))
	if extra != nil {
		x = extra(b, x)
	}
	b.rename("feat")
	b.g.Outputs = []*ValueInfo{{Name: "feat", ElemType: Float, HasShape: true, Shape: []Dim{{Param: "N"}, {Value: 6}}}}
	p := filepath.Join(t.TempDir(), "cnn.onnx")
	mp := &ModelProto{IRVersion: IRVersion, Opsets: []OpsetID{{Version: Opset}}, ProducerName: "test", Graph: b.g}
	if err := os.WriteFile(p, mp.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, ref
}

func randomPixels(n, s int, seed uint64) *data.Images {
	rng := rand.New(rand.NewPCG(seed, 2))
	im := &data.Images{N: n, W: s, H: s, Pix: make([]uint8, n*s*s*4)}
	for i := range im.Pix {
		im.Pix[i] = uint8(rng.IntN(256))
	}
	return im
}

func TestBackboneFeatures(t *testing.T) {
	const s = 16
	path, ref := smallCNN(t, s, nil, nil)
	bb, err := OpenBackbone(path)
	if err != nil {
		t.Fatal(err)
	}
	if bb.Size != s || bb.Dim != 6 || bb.Input != "pixels" {
		t.Fatalf("backbone size %d dim %d input %q", bb.Size, bb.Dim, bb.Input)
	}
	im := randomPixels(11, s, 1) // not a multiple of the run batch: the last run is padded
	f, err := bb.Features(im)
	if err != nil {
		t.Fatal(err)
	}
	if f.N != 11 || f.Dim != 6 || f.Validate() != nil {
		t.Fatalf("features %d×%d", f.N, f.Dim)
	}
	x := make([]float32, im.N*3*s*s)
	for i := range im.N {
		data.Composite(x[i*3*s*s:(i+1)*3*s*s], im.Pix[i*s*s*4:(i+1)*s*s*4], s, s)
	}
	want := ref.Forward(nn.FromData(x, im.N, 3, s, s), false).Data
	if d := maxAbs(f.Feat, want); d > 1e-5 {
		t.Fatalf("backbone features differ from the same CNN in Go by %.3g", d)
	}
	again, err := bb.Features(im)
	if err != nil || !slices.Equal(again.Feat, f.Feat) {
		t.Fatalf("a second pass differs (%v)", err)
	}
	if _, err := bb.Features(randomPixels(2, 8, 1)); err == nil || !strings.Contains(err.Error(), "16×16") {
		t.Errorf("wrong image size: %v", err)
	}
}

func TestBackboneErrors(t *testing.T) {
	reduce := func(b *builder, x string) string {
		return b.op("ReduceMean", []string{x}, intsAttr("axes", 1), intAttr("keepdims", 1))
	}
	path, _ := smallCNN(t, 16, nil, reduce)
	_, err := OpenBackbone(path)
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "ReduceMean") || !strings.Contains(err.Error(), "cnn.onnx") {
		t.Errorf("unsupported op: %v", err)
	}
	gray := []Dim{{Param: "N"}, {Value: 1}, {Value: 16}, {Value: 16}}
	path, _ = smallCNN(t, 16, gray, nil)
	_, err = OpenBackbone(path)
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "[N 1 16 16]") {
		t.Errorf("grey input: %v", err)
	}
	free := []Dim{{Param: "N"}, {Value: 3}, {Param: "H"}, {Param: "W"}}
	path, _ = smallCNN(t, 16, free, nil)
	if _, err := OpenBackbone(path); err == nil || !strings.Contains(err.Error(), "fixed") {
		t.Errorf("free size: %v", err)
	}
	junk := filepath.Join(t.TempDir(), "junk.onnx")
	os.WriteFile(junk, []byte("this is not protobuf at all \xff\xff\xff"), 0o644)
	if _, err := OpenBackbone(junk); err == nil || !strings.Contains(err.Error(), "junk.onnx") {
		t.Errorf("junk: %v", err)
	}
}

// TestBackboneLoad loads a CSV data set of two domains at the backbone's
// size and turns every collection's pixels into features (what package
// run does for aeir train -image-backbone).
func TestBackboneLoad(t *testing.T) {
	path, _ := smallCNN(t, 16, nil, nil)
	bb, err := OpenBackbone(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	csv := "image,text,domain,split\n"
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range 6 {
		m := image.NewNRGBA(image.Rect(0, 0, 24, 20))
		for k := range m.Pix {
			m.Pix[k] = uint8(rng.IntN(256))
		}
		name := fmt.Sprintf("im%d.png", i)
		f, _ := os.Create(filepath.Join(dir, name))
		png.Encode(f, m)
		f.Close()
		dom, split := "photo", "train"
		if i%2 == 1 {
			dom = "sketch"
		}
		if i >= 4 {
			split = "test"
		}
		csv += fmt.Sprintf("%s,picture number %d,%s,%s\n", name, i, dom, split)
	}
	table := filepath.Join(dir, "pairs.csv")
	os.WriteFile(table, []byte(csv), 0o644)
	cs, err := formats.Load(table, formats.Options{Size: bb.Size})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Images, err = bb.Features(c.Images); err != nil {
			t.Fatal(err)
		}
	}
	if len(cs) != 4 {
		t.Fatalf("%d collections, want 4 (2 domains × 2 splits)", len(cs))
	}
	for _, c := range cs {
		if c.Images.IsPixels() || c.Images.Dim != 6 || c.Validate() != nil {
			t.Errorf("%s/%s: images %+v", c.Domain, c.Split, c.Images.Dim)
		}
	}
	big, err := formats.Load(table, formats.Options{Size: 32})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bb.Features(big[0].Images); err == nil || !strings.Contains(err.Error(), "load the data with size 16") {
		t.Errorf("a size other than the backbone's: %v", err)
	}
}
