package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"aeir/web"
)

// TestAddSentencesShipped checks the shipped assets' sentence embeddings:
// AddSentences, run on a copy of site/assets without them, writes exactly
// the committed file and manifest (so they are what the model computes
// for the corpus, and nothing else in the manifest changed), and the file
// names the shipped model and corpus.
func TestAddSentencesShipped(t *testing.T) {
	src := filepath.Join("..", "..", "site", "assets")
	man, err := ReadManifest(src)
	if err != nil {
		t.Skip(err)
	}
	if man.Sentences == "" {
		t.Fatal("the shipped manifest names no sentence embeddings file")
	}
	dir := t.TempDir()
	for _, name := range []string{ManifestFile, man.Model.File, man.Corpus} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == ManifestFile {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "sentences")
			delete(m, "sentences_sha256")
			b, _ = json.Marshal(m)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := AddSentences(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sentences != man.Sentences || got.SentencesSHA256 != man.SentencesSHA256 {
		t.Errorf("AddSentences wrote %s %.12s…, the shipped manifest says %s %.12s…", got.Sentences, got.SentencesSHA256, man.Sentences, man.SentencesSHA256)
	}
	for _, name := range []string{ManifestFile, man.Sentences} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(src, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from the shipped one", name)
		}
	}
	sb, _ := os.ReadFile(filepath.Join(src, man.Sentences))
	meta, _, err := web.DecodeSentences(sb)
	if err != nil {
		t.Fatal(err)
	}
	var c Corpus
	cb, _ := os.ReadFile(filepath.Join(src, man.Corpus))
	json.Unmarshal(cb, &c)
	texts := make([]string, len(c.Concepts))
	for i, x := range c.Concepts {
		texts[i] = x.Text
	}
	if meta.ModelSHA256 != man.Model.SHA256 || meta.CorpusSHA256 != web.CorpusHash(texts) || meta.Count != len(texts) {
		t.Errorf("header %+v does not name the shipped model and corpus", meta)
	}
	// The galleries' hubness terms were computed for this corpus, so the
	// page ranks the gallery with them before the embeddings are in.
	for _, g := range man.Galleries {
		gb, err := os.ReadFile(filepath.Join(src, g.Embeddings))
		if err != nil {
			t.Fatal(err)
		}
		gm, _, _, err := web.DecodeGallery(gb)
		if err != nil {
			t.Fatal(err)
		}
		if gm.Hub == nil || gm.Hub.CorpusSHA256 != meta.CorpusSHA256 || gm.Hub.K != web.HubK {
			t.Errorf("%s: hubness terms %+v are not for the shipped corpus", g.Embeddings, gm.Hub)
		}
	}
	// Once there, AddSentences leaves it alone.
	if _, err := AddSentences(dir); err != nil {
		t.Error(err)
	}
}
