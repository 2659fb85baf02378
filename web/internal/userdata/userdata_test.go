package userdata

import (
	"path/filepath"
	"testing"

	"aeir/run"
)

// TestDataSets loads both data sets through the run package as a run
// trained on them sees them: 20 target images with two sentences each,
// as 32-px pixels from the table and as features from precomp.
func TestDataSets(t *testing.T) {
	dir := t.TempDir()
	csv, err := WriteTable(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b, err := WritePrecomp(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ source, target string }{{csv + "#a", csv + "#b"}, {a, b}} {
		out := filepath.Join(t.TempDir(), "run")
		if err := Train(out, Options(c.source, c.target, 1)); err != nil {
			t.Fatal(err)
		}
		r, err := run.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		w, err := run.Whole(r.Options.Data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if w.Images.N != Concepts || len(w.Texts) != 2*Concepts {
			t.Fatalf("%s: %d images, %d texts", c.target, w.Images.N, len(w.Texts))
		}
		if c.source == a && (w.Images.Dim != FeatureDim || w.Short == nil) || c.source != a && w.Images.W != 32 {
			t.Errorf("%s: images %dx%d, dim %d, short forms %v", c.target, w.Images.W, w.Images.H, w.Images.Dim, w.Short != nil)
		}
	}
}
