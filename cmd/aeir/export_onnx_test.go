package main

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

	"aeir/model"
	"aeir/onnx"
	"aeir/train"
)

func TestTakeFormat(t *testing.T) {
	for _, c := range []struct {
		args   []string
		format string
		rest   []string
	}{
		{[]string{"--format", "onnx", "-run", "r"}, "onnx", []string{"-run", "r"}},
		{[]string{"-run", "r", "-format=onnx"}, "onnx", []string{"-run", "r"}},
		{[]string{"web", "-run", "r"}, "", []string{"web", "-run", "r"}},
		{[]string{"-run", "r", "--", "--format", "x"}, "", []string{"-run", "r", "--", "--format", "x"}},
	} {
		f, rest, err := takeFormat(c.args)
		if err != nil || f != c.format || !slices.Equal(rest, c.rest) {
			t.Errorf("takeFormat(%q) = %q, %q, %v", c.args, f, rest, err)
		}
	}
	if _, _, err := takeFormat([]string{"--format"}); err == nil {
		t.Error("--format without a value accepted")
	}
}

func smallModel(t *testing.T, size int) *model.Model {
	t.Helper()
	cfg := model.DefaultConfig()
	cfg.ImageSize, cfg.Channels, cfg.Dim = size, []int{4, 8}, 8
	cfg.TextEmbed, cfg.TextHidden = 8, 16
	cfg.Tokenizer.Buckets = 256
	m, err := model.New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestExportFormatONNX runs `aeir export --format onnx` through the
// registered export command (which export.go owns and this file wraps).
func TestExportFormatONNX(t *testing.T) {
	dir := t.TempDir()
	m := smallModel(t, 16)
	file := filepath.Join(dir, "m.aeir")
	if err := m.Save(file, model.Meta{Method: "aeir", Dataset: "test"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "onnx")
	for i, args := range [][]string{
		{"--format", "onnx", "-model", file, "-out", out, "-q"},
		{"onnx", "-model", file, "-out", out + "2", "-q"},
	} {
		if err := exportCmd(args); err != nil {
			t.Fatalf("aeir export %q: %v", args, err)
		}
		d := out
		if i == 1 {
			d += "2"
		}
		for _, f := range []string{onnx.ImageFile, onnx.TextFile} {
			b, err := os.ReadFile(filepath.Join(d, f))
			if err != nil {
				t.Fatal(err)
			}
			if mp, err := onnx.Unmarshal(b); err != nil || mp.MetadataValue("aeir.method") != "aeir" {
				t.Fatalf("%s: %v", f, err)
			}
		}
	}
	if err := exportCmd([]string{"--format", "tflite", "-model", file}); err == nil {
		t.Error("an unknown format was accepted")
	}
}

// TestONNXTrainBackbone trains a feature model for one epoch on a small
// CSV data set of two domains through an ONNX backbone (a small CNN
// exported by this package).
func TestONNXTrainBackbone(t *testing.T) {
	dir := t.TempDir()
	bbm, err := onnx.ImageEncoder(smallModel(t, 16), model.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	backbone := filepath.Join(dir, "cnn.onnx")
	if err := os.WriteFile(backbone, bbm.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	csv := "image,text,domain,split\n"
	words := []string{"cat", "dog", "sun", "moon", "tree", "car", "boat", "fish"}
	for i := range 24 {
		m := image.NewNRGBA(image.Rect(0, 0, 20, 20))
		for k := range m.Pix {
			m.Pix[k] = uint8(rng.IntN(256))
		}
		name := fmt.Sprintf("%d.png", i)
		f, _ := os.Create(filepath.Join(dir, name))
		png.Encode(f, m)
		f.Close()
		dom, split := "photo", []string{"train", "train", "val", "test"}[i/2%4]
		if i%2 == 1 {
			dom = "sketch"
		}
		csv += fmt.Sprintf("%s,a %s number %d,%s,%s\n", name, words[i%len(words)], i, dom, split)
	}
	table := filepath.Join(dir, "pairs.csv")
	os.WriteFile(table, []byte(csv), 0o644)
	run := filepath.Join(dir, "run")
	err = trainCmd([]string{"-image-backbone", backbone, "-source", table + "#photo", "-target", table + "#sketch",
		"-epochs", "1", "-dim", "8", "-method", "aeir", "-out", run, "-q"})
	if err != nil {
		t.Fatal(err)
	}
	m, _, _, err := model.Load(filepath.Join(run, train.BestFile))
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.FeatureDim != 8 {
		t.Errorf("feature dim %d, want the backbone's 8", m.Config.FeatureDim)
	}
	err = trainCmd([]string{"-image-backbone", backbone, "-source", table + "#photo", "-target", table + "#drawing", "-out", filepath.Join(dir, "x"), "-q"})
	if err == nil || !strings.Contains(err.Error(), "photo, sketch") {
		t.Errorf("an unknown target domain: %v; want an error listing the file's domains", err)
	}
}
