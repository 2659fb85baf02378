package onnx

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"aeir/data"
	"aeir/model"
)

// testModel is a small model with random weights (and non-zero biases, so
// that a mix-up of weight layouts cannot hide behind zeros).
func testModel(t testing.TB) *model.Model {
	t.Helper()
	cfg := model.DefaultConfig()
	cfg.Channels = []int{4, 8}
	cfg.ImageSize = 16
	cfg.Dim = 16
	cfg.TextEmbed, cfg.TextHidden = 8, 24
	cfg.Tokenizer.Buckets = 512
	m, err := model.New(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range m.Tensors() {
		if len(p.Shape) == 1 {
			for i := range p.W {
				p.W[i] = float32(rng.NormFloat64() * 0.1)
			}
		}
	}
	return m
}

var testMeta = model.Meta{Method: "aeir", Dataset: "test", Scenario: "a → b"}

// testImages returns n random RGBA images of the model's size with some
// transparency, and the encoder input the Go model builds from them.
func testImages(m *model.Model, n int, seed uint64) (*data.Images, []float32) {
	s := m.Config.ImageSize
	rng := rand.New(rand.NewPCG(seed, 1))
	im := &data.Images{N: n, W: s, H: s, Pix: make([]uint8, n*s*s*4)}
	for i := range im.Pix {
		im.Pix[i] = uint8(rng.IntN(256))
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	x := slices.Clone(m.ImageBatch(im, idx, nil).Data)
	return im, x
}

var testTexts = []string{
	"dog face: adorbs, animal, pet", "", "grinning face", "犬の顔", "red heart: love",
	"a b c d e f g", "flag: Germany", "thumbs up",
}

func sentences(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = testTexts[i%len(testTexts)]
		if i >= len(testTexts) {
			out[i] += fmt.Sprintf(" %d", i)
		}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	m := testModel(t)
	for _, f := range []func(*model.Model, model.Meta) (*ModelProto, error){ImageEncoder, TextEncoder} {
		p, err := f(m, testMeta)
		if err != nil {
			t.Fatal(err)
		}
		b := p.Marshal()
		q, err := Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(q.Marshal(), b) {
			t.Fatalf("%s: decode then encode changes the bytes", p.Graph.Name)
		}
		if q.Opsets[0].Version != Opset || q.IRVersion != IRVersion {
			t.Errorf("opset %v, ir %d", q.Opsets, q.IRVersion)
		}
		if q.MetadataValue("aeir.dim") != "16" || q.MetadataValue("aeir.method") != "aeir" || q.MetadataValue("aeir.dataset") != "test" {
			t.Errorf("metadata %v", q.Metadata)
		}
		if q.Graph.Inputs[0].Shape[0].Param != BatchDim || q.Graph.Outputs[0].Name != Output {
			t.Errorf("inputs %v outputs %v", q.Graph.Inputs[0], q.Graph.Outputs[0])
		}
		for _, op := range OpTypes(q) {
			if op == "Gemm" || op == "Gather" || op == "ReduceL2" || op == "ReduceSum" {
				t.Errorf("%s uses %s, which onnx-go v0.5.0 lacks or gets wrong", q.Graph.Name, op)
			}
		}
	}
}

// checkInput returns random images with some transparency and sentences
// in several scripts (an empty one too), n of each.
func checkInput(m *model.Model, n int) CheckInput {
	im, _ := testImages(m, n, 11)
	return CheckInput{Images: im, Texts: sentences(n)}
}

// TestOnnxGo runs both exported graphs in onnx-go at batch 1 and 32, three
// times on one instance (onnx-go's Gemm pitfall made repeated batch-1
// runs drift), against the Go model.
func TestOnnxGo(t *testing.T) {
	m := testModel(t)
	dir := t.TempDir()
	if _, err := Export(m, testMeta, dir); err != nil {
		t.Fatal(err)
	}
	diffs, err := Check(m, dir, checkInput(m, 32), []int{1, 32}, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Log(d)
		if !(d.MaxAbs <= 1e-5) {
			t.Errorf("%v: over 1e-5", d)
		}
	}
}

// ortOrSkip returns onnxruntime-node, or skips the test (fails it when
// AEIR_REQUIRE_ORT=1, as CI sets after installing it).
func ortOrSkip(t *testing.T) *ORT {
	t.Helper()
	o, err := FindORT()
	if err != nil {
		if os.Getenv("AEIR_REQUIRE_ORT") == "1" {
			t.Fatalf("AEIR_REQUIRE_ORT=1 but %v", err)
		}
		t.Skipf("skipping the onnxruntime check: %v", err)
	}
	return o
}

// TestOnnxRuntime runs both exported graphs in onnxruntime-node at batch
// 1 and 32, twice per session, against the Go model.
func TestOnnxRuntime(t *testing.T) {
	ort := ortOrSkip(t)
	m := testModel(t)
	dir := t.TempDir()
	if _, err := Export(m, testMeta, dir); err != nil {
		t.Fatal(err)
	}
	diffs, err := Check(m, dir, checkInput(m, 32), []int{1, 32}, 2, ort)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range diffs {
		if !strings.HasPrefix(d.Runtime, "onnxruntime") {
			continue
		}
		n++
		t.Log(d)
		if !(d.MaxAbs <= 1e-5) {
			t.Errorf("%v: over 1e-5", d)
		}
	}
	if n != 4 {
		t.Fatalf("%d onnxruntime results, want 4", n)
	}
}
