package train

import (
	"path/filepath"
	"testing"
)

func TestCCAFitsSavesLoads(t *testing.T) {
	task := smallTask(t)
	c, err := FitCCA(task.Train.Source, 16, 8)
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
	if _, err := LoadCCA(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatal("missing file accepted")
	}
}
