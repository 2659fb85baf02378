package train

import (
	"math"
	"path/filepath"
	"testing"
)

func TestCCAFitsSavesLoads(t *testing.T) {
	task := smallTask(t)
	c, err := FitCCA(task.Train.Source, 16, 8, false)
	if err != nil {
		t.Fatal(err)
	}
	// On its own training pairs CCA must beat chance (96 pairs: chance rsum 2·16/96·100 ≈ 33).
	m, err := Evaluate(c, task.Train.Source)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSum < 100 {
		t.Errorf("CCA rsum on its training pairs %.1f", m.RSum)
	}
	p := filepath.Join(t.TempDir(), "cca.aeir")
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := LoadCCA(p)
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.EncodeTexts([]string{"red heart"}), back.EncodeTexts([]string{"red heart"})
	for i := range a {
		if d := a[i] - b[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("loaded CCA differs at %d: %v vs %v", i, a[i], b[i])
		}
	}
	// A CCA of fitted images reads fitted images after loading too.
	f, err := FitCCA(task.Train.Source, 16, 8, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Save(p); err != nil {
		t.Fatal(err)
	}
	fb, err := LoadCCA(p)
	if err != nil {
		t.Fatal(err)
	}
	im := task.Train.Source.Images
	x, y, z := f.EncodeImages(im), fb.EncodeImages(im), back.EncodeImages(im)
	same, unfit := true, true
	for i := range x {
		same = same && math.Abs(float64(x[i]-y[i])) < 1e-5
		unfit = unfit && math.Abs(float64(x[i]-z[i])) < 1e-5
	}
	if !fb.Fit || !same || unfit {
		t.Errorf("fitted CCA: loaded with fit %v, same embeddings after loading %v, same as the unfitted CCA %v", fb.Fit, same, unfit)
	}
	if _, err := LoadCCA(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatal("missing file accepted")
	}
}
