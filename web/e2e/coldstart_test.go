package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"aeir/web/deploy"
)

// TestSentenceEmbeddings checks where the page's sentence embeddings come
// from and that image → sentence rankings match native Go either way:
// the shipped site loads the file precomputed at export; a site whose
// file is damaged, or whose manifest names none (assets exported before
// there was one), computes them in the page.
func TestSentenceEmbeddings(t *testing.T) {
	needBrowser(t)
	if env.man.Sentences == "" {
		t.Fatal("the shipped manifest names no sentence embeddings file")
	}
	damaged := filepath.Join(env.tmp, "damaged-sentences")
	if err := os.CopyFS(damaged, os.DirFS(env.site)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(damaged, "site", "assets", env.man.Sentences)
	b, _ := os.ReadFile(p)
	b[len(b)-100] ^= 1
	os.WriteFile(p, b, 0o644)
	os.Remove(p + ".gz")
	os.Remove(p + ".br")

	none := filepath.Join(env.tmp, "no-sentences")
	if err := os.CopyFS(none, os.DirFS(env.site)); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(none, "site", "assets", deploy.ManifestFile)
	man, err := deploy.ReadManifest(filepath.Dir(mp))
	if err != nil {
		t.Fatal(err)
	}
	man.Sentences, man.SentencesSHA256 = "", ""
	mj, _ := json.MarshalIndent(man, "", "  ")
	os.WriteFile(mp, mj, 0o644)
	os.Remove(mp + ".gz")
	os.Remove(mp + ".br")

	for _, c := range []struct{ name, dir, from string }{
		{"shipped", env.site, "file"},
		{"damaged file", damaged, "computed"},
		{"no file", none, "computed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(deploy.Handler(c.dir))
			defer srv.Close()
			d := newDemo(t, env.bctx, srv.URL)
			d.open("")
			if got := eval[string](d, `aeirDemo.state().timings.sentencesFrom`); got != c.from {
				t.Errorf("sentence embeddings from %q, want %q", got, c.from)
			}
			for _, i := range []int{0, 700, 1905} {
				r := eval[imageTextsResult](d, fmt.Sprintf(`aeirDemo.request("imageTexts", {index: %d, k: 10})`, i))
				nat, rank, err := env.native.ImageTexts(i, 10)
				if err != nil {
					t.Fatal(err)
				}
				score := map[int]float32{}
				for _, h := range nat {
					score[h.Index] = h.Score
				}
				got := make([]int, len(r.Hits))
				for k, h := range r.Hits {
					got[k] = int(h[0])
					if s, ok := score[got[k]]; !ok || math.Abs(h[1]-float64(s)) >= 1e-5 {
						t.Errorf("image %d, rank %d: page %v, native score %v", i, k+1, h, s)
					}
				}
				if !agree(got, nat) || r.Rank != rank {
					t.Errorf("image %d: page %v (rank %d), native %+v (rank %d)", i, got, r.Rank, nat, rank)
				}
			}
		})
	}
}

// imageTextsResult is the worker's answer to an imageTexts request.
type imageTextsResult struct {
	Hits [][]float64 `json:"hits"` // [sentence, score]
	Rank int         `json:"rank"`
}
