package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"aeir/web/adapt"
)

// TestAddSourceShipped checks the shipped source pairs file (the page's
// Adapt button): AddSource, run on a copy of site/assets without it,
// writes exactly the committed file and manifest, from the 64-px data
// set build; ReadAdaptAssets reads it back as SourcePairs tiles at the
// model's input size, with the corpus as the default sentences.
func TestAddSourceShipped(t *testing.T) {
	src := filepath.Join("..", "..", "site", "assets")
	man, err := ReadManifest(src)
	if err != nil {
		t.Skip(err)
	}
	if man.Adapt == nil {
		t.Fatal("the shipped manifest names no source pairs file")
	}
	as, err := ReadAdaptAssets(src)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := adapt.DecodeSource(man.Adapt.File, as.Source)
	if err != nil {
		t.Fatal(err)
	}
	if n := sp.Pairs.Images.N; n != SourcePairs || sp.Pairs.Images.W != man.Model.ImageSize || len(sp.Pairs.Texts) != n || sp.Domain != man.Model.Source || len(as.Sentences) != 1906 {
		t.Fatalf("source pairs: %d tiles of %d px, %d sentences, domain %s; corpus %d sentences", n, sp.Pairs.Images.W, len(sp.Pairs.Texts), sp.Domain, len(as.Sentences))
	}
	if _, err := os.Stat(filepath.Join("..", "..", ".cache", "vendormoji-64", "manifest.json")); err != nil {
		t.Skip("no 64-px data set build (make data-64)")
	}
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(src, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "adapt")
	b, _ = json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := AddSource(dir, filepath.Join("..", "..")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ManifestFile, man.Adapt.File} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(src, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from the shipped one", name)
		}
	}
}
