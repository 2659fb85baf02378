package web

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"aeir/nn"
)

// TestSentencesFile checks the precomputed sentence embeddings: the file
// holds exactly what SetTexts computes, and an engine loading it ranks
// exactly as one computing them; a file of another model or corpus is
// refused and changes nothing.
func TestSentencesFile(t *testing.T) {
	e, _ := testEngine(t)
	file, err := e.SentencesFile()
	if err != nil {
		t.Fatal(err)
	}
	meta, emb, err := DecodeSentences(file)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Count != len(testTexts) || meta.Dim != e.Info().Dim || meta.ModelSHA256 != e.Info().SHA256 || meta.CorpusSHA256 != CorpusHash(testTexts) {
		t.Fatalf("header %+v", meta)
	}
	if !slices.Equal(emb, e.txt) {
		t.Fatal("the file does not hold the computed embeddings exactly (float32)")
	}
	if _, _, _, err := DecodeGallery(file); err == nil {
		t.Error("a sentences file read as a gallery file")
	}

	// A fresh engine: gallery, corpus without embeddings, then the file.
	_, mf := testModel(t, nn.Float16)
	f, err := NewEngine("model.aeir", mf)
	if err != nil {
		t.Fatal(err)
	}
	// the gallery file as exported: with the hubness terms for the corpus
	g, err := e.GalleryWithHubs(GalleryMeta{Vendor: "openmoji", Count: e.GallerySize(), Dim: e.Info().Dim, ModelSHA256: e.Info().SHA256}, slices.Clone(e.GalleryEmbeddings()))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetGallery("g.aeir", g); err != nil {
		t.Fatal(err)
	}
	link := []int{0, 1, 2, 3, 4, 5}
	if err := f.SetCorpus(testTexts, link); err != nil {
		t.Fatal(err)
	}
	if f.SentencesReady() {
		t.Error("sentences ready before their embeddings")
	}
	if _, _, err := f.ImageTexts(0, 3); err == nil {
		t.Error("image → sentence search before the embeddings")
	}
	// sentence → image search ranks at once, exactly as once everything is in
	early := map[string][]Hit{}
	for _, q := range testTexts {
		if early[q], err = f.SearchText(q, 6); err != nil {
			t.Fatalf("sentence → image search with the corpus set: %v", err)
		}
	}
	if err := f.LoadSentences("sentences.aeir", file); err != nil {
		t.Fatal(err)
	}
	if !f.SentencesReady() {
		t.Fatal("sentences not ready after loading them")
	}
	// the same gallery file, the sentences computed (the page's fallback)
	c, err := NewEngine("model.aeir", mf)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetGallery("g.aeir", g); err != nil {
		t.Fatal(err)
	}
	if err := c.SetTexts(testTexts, link); err != nil {
		t.Fatal(err)
	}
	for i := range e.GallerySize() {
		a, ra, _ := c.ImageTexts(i, 6)
		b, rb, _ := f.ImageTexts(i, 6)
		if !slices.Equal(a, b) || ra != rb {
			t.Errorf("image %d: loaded %v (rank %d), computed %v (rank %d)", i, b, rb, a, ra)
		}
	}
	for _, q := range testTexts {
		a, _ := c.SearchText(q, 6)
		b, _ := f.SearchText(q, 6)
		if !slices.Equal(a, b) || !slices.Equal(early[q], b) {
			t.Errorf("%q: loaded %v, before loading %v, computed %v", q, b, early[q], a)
		}
	}

	// Refused: another corpus, another model, a damaged file.
	other := append(slices.Clone(testTexts), "umbrella: rain")
	if err := f.SetCorpus(other, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.LoadSentences("sentences.aeir", file); err == nil || !strings.Contains(err.Error(), "other sentences") {
		t.Errorf("a file of another corpus: %v", err)
	}
	if f.SentencesReady() {
		t.Error("a refused file left the sentences ready")
	}
	if err := f.EmbedSentences(); err != nil || !f.SentencesReady() {
		t.Errorf("computing them instead: %v", err)
	}
	_, mf2 := testModelFit(t, nn.Float16, true)
	h, err := NewEngine("other.aeir", mf2)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.SetCorpus(testTexts, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.LoadSentences("sentences.aeir", file); err == nil || !strings.Contains(err.Error(), "another model") {
		t.Errorf("a file of another model: %v", err)
	}
	bad := slices.Clone(file)
	bad[len(bad)-40] ^= 1
	if err := h.LoadSentences("sentences.aeir", bad); err == nil {
		t.Error("a damaged file loaded")
	}
	if _, err := EncodeSentences(SentencesMeta{Count: 2, Dim: 3}, make([]float32, 5)); err == nil {
		t.Error("5 values encoded as 2 × 3")
	}
}

// TestNewEngineSum checks that a SHA-256 handed in (the page's, computed
// by the browser) names the model as the one computed here, and that
// anything but 64 hex digits is computed here.
func TestNewEngineSum(t *testing.T) {
	_, mf := testModel(t, nn.Float16)
	s := sha256.Sum256(mf)
	want := hex.EncodeToString(s[:])
	for _, sum := range []string{"", want, strings.ToUpper(want), "xyz", want[:10]} {
		e, err := NewEngineSum("model.aeir", mf, sum)
		if err != nil {
			t.Fatal(err)
		}
		if e.Info().SHA256 != want {
			t.Errorf("sum %q: engine says %s, want %s", sum, e.Info().SHA256, want)
		}
	}
}
