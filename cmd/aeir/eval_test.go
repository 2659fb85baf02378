package main

import (
	"testing"

	"aeir/data/vendormoji"
	"aeir/train"
)

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
	rows, err := wholeGalleryRows(m, train.Data{Target: vendormoji.Default.Target.String()}, val, 1, "x")
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
	all := make([]int, len(ds.Concepts))
	for i := range all {
		all[i] = i
	}
	whole := ds.Collection(vendormoji.Default.Target, all, "all")
	rows, err = wholeGalleryRows(m, train.Data{Target: vendormoji.Default.Target.String()}, whole, 0, "x")
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
	if _, err := wholeGalleryRows(m, train.Data{Target: "nobody/en"}, val, 0, "x"); err == nil {
		t.Error("unknown vendor accepted")
	}
}
