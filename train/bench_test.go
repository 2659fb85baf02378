package train

import (
	"testing"

	"aeir/data/vendormoji"
)

// benchStep times one optimiser step of the default model on the default
// scenario (batch 128 source pairs; for AEIR also 64 target images and 64
// target sentences, with the structural term active) — the step that
// bench/torch measures against PyTorch.
func benchStep(b *testing.B, method string) {
	ds, err := vendormoji.Load()
	if err != nil {
		b.Fatal(err)
	}
	task, err := ds.Task(vendormoji.Default, vendormoji.Shared, 1)
	if err != nil {
		b.Fatal(err)
	}
	opt := Defaults()
	opt.Method = method
	sp, err := NewSpeed(task, opt, 1000)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := sp.Step(0); err != nil { // warm-up
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sp.Step(1 + i%999); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*opt.Batch)/b.Elapsed().Seconds(), "pairs/s")
}

func BenchmarkStepSourceOnly(b *testing.B) { benchStep(b, "source-only") }
func BenchmarkStepAEIR(b *testing.B)       { benchStep(b, "aeir") }

// BenchmarkEncode embeds the 1,906 OpenMoji images and their sentences.
func BenchmarkEncode(b *testing.B) {
	ds, err := vendormoji.Load()
	if err != nil {
		b.Fatal(err)
	}
	task, _ := ds.Task(vendormoji.Default, vendormoji.Shared, 1)
	tr, err := New(task, Defaults(), b.TempDir(), false)
	if err != nil {
		b.Fatal(err)
	}
	im := ds.Images["openmoji"]
	var texts []string
	for _, c := range ds.Concepts {
		texts = append(texts, c.Texts["en"])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Model.EncodeImages(im)
		tr.Model.EncodeTexts(texts)
	}
	b.ReportMetric(float64(b.N*im.N)/b.Elapsed().Seconds(), "items/s")
}
