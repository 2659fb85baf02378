package vendormoji

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// copyEmbedded writes the embedded files into a new directory, as `aeir
// data build -out` would.
func copyEmbedded(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(files, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, strings.TrimPrefix(p, "files/"))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadDir(t *testing.T) {
	base := mustLoad(t)
	dir := copyEmbedded(t)
	ds, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ds.Concepts, base.Concepts) || !reflect.DeepEqual(ds.Splits, base.Splits) {
		t.Error("a directory copy of the embedded files loads other concepts or splits")
	}
	for _, v := range Vendors {
		if PixelHash(ds.Images[v]) != PixelHash(base.Images[v]) {
			t.Errorf("%s: other pixels", v)
		}
	}
	if again, _ := LoadDir(dir); again != ds {
		t.Error("a second LoadDir of the same directory decoded it again")
	}
	if got, _ := LoadSize("", EmbeddedSize); got != base {
		t.Error("LoadSize of the embedded size is not Load")
	}

	bad := func(what string, edit func(dir string), want string) {
		t.Helper()
		d := copyEmbedded(t)
		edit(d)
		_, err := LoadDir(d)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", what, err, want)
		}
	}
	bad("damaged sheet", func(d string) {
		p := filepath.Join(d, "openmoji.png")
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 1
		os.WriteFile(p, b, 0o644)
	}, "openmoji.png does not match its manifest")
	bad("no manifest", func(d string) { os.Remove(filepath.Join(d, "manifest.json")) }, "aeir data build -size N -out")
	bad("other concepts", func(d string) {
		// a consistent directory (manifest updated) whose concepts differ
		p := filepath.Join(d, "concepts.jsonl")
		b, _ := os.ReadFile(p)
		b = []byte(strings.Replace(string(b), `"unified":"`, `"unified":"X`, 1))
		os.WriteFile(p, b, 0o644)
		mp := filepath.Join(d, "manifest.json")
		m, _ := os.ReadFile(mp)
		m = []byte(strings.Replace(string(m), base.Manifest.Files["concepts.jsonl"], hash(b), 1))
		os.WriteFile(mp, m, 0o644)
	}, "other sources, concepts or splits")
	bad("no columns", func(d string) {
		mp := filepath.Join(d, "manifest.json")
		m, _ := os.ReadFile(mp)
		os.WriteFile(mp, []byte(strings.Replace(string(m), `"columns": 44`, `"columns": 0`, 1)), 0o644)
	}, "0 columns")
	if _, err := LoadSize(t.TempDir(), 48); err == nil || !strings.Contains(err.Error(), "aeir data build -size 48 -out .cache/vendormoji-48") {
		t.Errorf("a missing 48-px build: error %v", err)
	}
}

// TestVariant64 checks the 64-px build `make data-64` writes (skipped
// without it): the same concepts, and for the vendors whose sources are
// 64-px PNGs its tiles area-averaged to 32 px are the embedded tiles.
func TestVariant64(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, VariantDir(64), "manifest.json")); err != nil {
		t.Skip("no 64-px build (make data-64)")
	}
	ds, err := LoadSize(root, 64)
	if err != nil {
		t.Fatal(err)
	}
	base := mustLoad(t)
	for _, v := range []string{"twemoji", "noto"} {
		im := ds.Images[v]
		if im.W != 64 || im.N != base.Images[v].N {
			t.Fatalf("%s: %d tiles of %d px", v, im.N, im.W)
		}
		if PixelHash(im.Scaled(32)) != PixelHash(base.Images[v]) {
			t.Errorf("%s: the 64-px tiles scaled to 32 px are not the embedded tiles", v)
		}
	}
}
