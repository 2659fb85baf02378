package run

import (
	"testing"

	"aeir/data"
	"aeir/data/vendormoji"
	"aeir/model"
	"aeir/train"
)

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

// TestWholeGalleryRows: a split's concepts ranked against the whole
// gallery can only rank lower than within the split (more competitors,
// the same scores), and the whole data set as the "split" is Evaluate on
// the whole collection.
func TestWholeGalleryRows(t *testing.T) {
	m := smallModel(t, 32)
	m.Config.Fit = true
	ds, err := vendormoji.Load()
	if err != nil {
		t.Fatal(err)
	}
	val := ds.Collection(vendormoji.Default.Target, ds.Splits.Protocols[vendormoji.Shared].Val, "val")
	all := make([]int, len(ds.Concepts))
	for i := range all {
		all[i] = i
	}
	whole := ds.Collection(vendormoji.Default.Target, all, "all")
	viaRegistry, err := Whole(train.Data{Source: vendormoji.Default.Source.String(), Target: vendormoji.Default.Target.String()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if Hash(map[string]*data.Collection{"": viaRegistry}) != Hash(map[string]*data.Collection{"": whole}) {
		t.Fatal("Whole through the registry is not the whole VendorMoji target domain")
	}
	rows, err := WholeGalleryRows(m, whole, val, 1, "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want plain and CSLS for sentences and short names", len(rows))
	}
	within, err := train.Evaluate(m, val)
	if err != nil {
		t.Fatal(err)
	}
	w := rows[0].Metrics
	if w.I2T.Queries != val.Images.N || w.I2T.Gallery != len(ds.Concepts) || w.T2I.Gallery != len(ds.Concepts) {
		t.Fatalf("whole-gallery row: %d queries over %d / %d, want %d over %d", w.I2T.Queries, w.I2T.Gallery, w.T2I.Gallery, val.Images.N, len(ds.Concepts))
	}
	for _, p := range [][2]float64{{w.I2T.R1, within.I2T.R1}, {w.I2T.R10, within.I2T.R10}, {w.T2I.R1, within.T2I.R1}, {w.T2I.R10, within.T2I.R10}} {
		if p[0] > p[1] {
			t.Errorf("recall against the whole gallery %v above the split's own %v", p[0], p[1])
		}
	}
	rows, err = WholeGalleryRows(m, whole, whole, 0, "x")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := train.Evaluate(m, whole)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Metrics != ref {
		t.Errorf("every concept as queries: %+v, Evaluate %+v", rows[0].Metrics, ref)
	}
	if _, err := Whole(train.Data{Source: "twemoji/en", Target: "twemoji/xx"}, nil); err == nil {
		t.Error("unknown style accepted")
	}
}
