package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aeir/data/vendormoji"
	"aeir/internal/gallerydir"
	"aeir/model"
)

// TestAdaptCommand replays the page's adaptation natively on a small
// folder of Noto drawings: the same folder, steps and seed write the
// same model file twice, a model file the engine reads; the command's
// bad inputs say what is wrong.
func TestAdaptCommand(t *testing.T) {
	assets := filepath.Join("..", "..", "site", "assets")
	if _, err := os.Stat(filepath.Join(assets, "source-pairs.bin")); err != nil {
		t.Skip(err)
	}
	ds, err := vendormoji.Load() // the embedded 32-px tiles: scaled to the model's 64 px as a visitor's images are
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, err := gallerydir.Write(ds, "noto", "en", []int{0, 5, 40, 99, 300, 700, 1200, 1800}, dir)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-assets", assets, "-images", filepath.Join(dir, "img"), "-sentences", f.Sentences, "-truth", f.Truth, "-steps", "3", "-q"}
	var files [2][]byte
	for i := range files {
		out := filepath.Join(dir, "m.aeir")
		if err := adaptCmd(append(args, "-out", out)); err != nil {
			t.Fatal(err)
		}
		if files[i], err = os.ReadFile(out); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("the same adaptation wrote two different model files")
	}
	_, meta, _, err := model.Read(bytes.NewReader(files[0]))
	if err != nil || meta.Method != "aeir" || meta.Scenario != "twemoji/en→your gallery" {
		t.Fatalf("adapted model file: %+v, %v", meta, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-assets", assets}, "-images is required"},
		{[]string{"-assets", assets, "-images", t.TempDir()}, "at least 2 images"},
		{[]string{"-assets", assets, "-images", filepath.Join(dir, "img"), "-sentences", f.Sentences, "-truth", f.Sentences}, "is not an image of the gallery"},
		{[]string{"-assets", assets, "-images", filepath.Join(dir, "img"), "-truth", f.Truth}, "has 8 lines for 1906 sentences"},
		{[]string{"-assets", t.TempDir(), "-images", filepath.Join(dir, "img")}, "manifest"},
	} {
		err := adaptCmd(append(c.args, "-q"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("aeir adapt %q: %v, want an error with %q", c.args, err, c.want)
		}
	}
}
