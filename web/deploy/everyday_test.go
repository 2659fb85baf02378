package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aeir/web"
)

func TestEverydayQueries(t *testing.T) {
	qs, err := EverydayQueries()
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 50 {
		t.Fatalf("%d everyday queries, want at least 50", len(qs))
	}
	cats := map[string]int{}
	seen := map[string]bool{}
	for _, q := range qs {
		cats[q.Category]++
		if n := len(strings.Fields(q.Query)); n < 1 || n > 4 {
			t.Errorf("query %q has %d words, want 1 to 4", q.Query, n)
		}
		if seen[q.Query] {
			t.Errorf("query %q twice", q.Query)
		}
		seen[q.Query] = true
	}
	for _, c := range []string{"animals", "food", "faces", "objects", "weather", "activities", "symbols"} {
		if cats[c] == 0 {
			t.Errorf("no %s query", c)
		}
	}
}

// TestEveryday ranks the list on the shipped site and checks each rank
// against the engine's own top 10, and that an emoji the corpus lacks is
// named.
func TestEveryday(t *testing.T) {
	dir := filepath.Join("..", "..", "site", "assets")
	qs, err := EverydayQueries()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Everyday(dir, qs)
	if err != nil {
		t.Fatal(err)
	}
	man, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(man.Galleries) {
		t.Fatalf("%d results for %d galleries", len(res), len(man.Galleries))
	}
	mb, _ := os.ReadFile(filepath.Join(dir, man.Model.File))
	eng, err := web.NewEngine(man.Model.File, mb)
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := readChecked(dir, man.Corpus, man.CorpusSHA256)
	var c Corpus
	if err := json.Unmarshal(cb, &c); err != nil {
		t.Fatal(err)
	}
	for gi, g := range man.Galleries {
		r := res[gi]
		gb, _ := os.ReadFile(filepath.Join(dir, g.Embeddings))
		if err := eng.SetGallery(g.Embeddings, gb); err != nil {
			t.Fatal(err)
		}
		in10 := 0
		for qi, q := range qs {
			hits, err := eng.SearchText(q.Query, 10)
			if err != nil {
				t.Fatal(err)
			}
			want := 11 // beyond the top 10
			for i, h := range hits {
				plain := func(s string) string { return strings.ReplaceAll(s, "\ufe0f", "") }
				if slices.ContainsFunc(q.Emoji, func(e string) bool { return plain(e) == plain(c.Concepts[h.Index].Emoji) }) {
					want = i + 1
					break
				}
			}
			if got := r.Ranks[qi]; (want <= 10 || got <= 10) && got != want {
				t.Errorf("%s: %q ranked %d, the engine's top 10 says %d", g.Vendor, q.Query, got, want)
			}
			if r.Ranks[qi] <= 10 {
				in10++
			}
		}
		if got := float64(in10) / float64(len(qs)); got != r.Hit10 {
			t.Errorf("%s: hit@10 %v, ranks say %v", g.Vendor, r.Hit10, got)
		}
		if !(r.Hit1 <= r.Hit5 && r.Hit5 <= r.Hit10 && r.MRR >= r.Hit1 && r.MRR <= 1) {
			t.Errorf("%s: inconsistent %+v", g.Vendor, r)
		}
	}
	_, err = Everyday(dir, []EverydayQuery{{Category: "x", Query: "mermaid", Emoji: []string{"🧜", "🫎🫎"}}})
	if err == nil || !strings.Contains(err.Error(), "mermaid") || !strings.Contains(err.Error(), "not in the corpus") {
		t.Fatalf("missing emoji: %v", err)
	}
}
