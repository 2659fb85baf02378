package deploy

import (
	_ "embed"
	"fmt"
	"strings"

	"aeir/web"
)

// The everyday queries (everyday.tsv): short queries a visitor types into
// the demo, each with the emoji a person accepts. They were written before
// looking at any model's answers and are never used to train or to choose
// a model: they measure what the page does with the words people use,
// which are unlike the training sentences ("name: keyword, keyword, …").
//
//go:embed everyday.tsv
var everydayTSV string

// EverydayQuery is one query and the emoji that answer it.
type EverydayQuery struct {
	Category, Query string
	Emoji           []string
}

// EverydayQueries parses the embedded list.
func EverydayQueries() ([]EverydayQuery, error) {
	var out []EverydayQuery
	for n, line := range strings.Split(everydayTSV, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[1] == "" || strings.TrimSpace(f[2]) == "" {
			return nil, fmt.Errorf("everyday.tsv:%d: want category, query and emoji separated by tabs", n+1)
		}
		out = append(out, EverydayQuery{Category: f[0], Query: f[1], Emoji: strings.Fields(f[2])})
	}
	return out, nil
}

// EverydayResult is how one gallery answers the everyday queries, ranked
// as the page ranks (web.Engine.SearchText over the whole gallery).
type EverydayResult struct {
	Vendor, Role      string
	Queries           int
	Hit1, Hit5, Hit10 float64 // fraction of queries with an accepted emoji in the top 1, 5, 10
	MRR               float64 // mean of 1 / the rank of the first accepted emoji
	Ranks             []int   // per query, that rank (1-based)
}

// Everyday ranks every gallery of an exported VendorMoji site's assets
// (aeir export web -out dir) for each query.
func Everyday(dir string, qs []EverydayQuery) ([]EverydayResult, error) {
	man, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if man.IsFiles() {
		return nil, fmt.Errorf("%s: the everyday queries name emoji; this export holds a user's files", dir)
	}
	mb, c, err := readModelCorpus(dir, man)
	if err != nil {
		return nil, err
	}
	accept, err := acceptedIndices(c.Concepts, qs)
	if err != nil {
		return nil, err
	}
	eng, err := web.NewEngine(man.Model.File, mb)
	if err != nil {
		return nil, err
	}
	var out []EverydayResult
	for _, g := range man.Galleries {
		gb, err := readChecked(dir, g.Embeddings, g.SHA256)
		if err != nil {
			return nil, err
		}
		if err := eng.SetGallery(g.Embeddings, gb); err != nil {
			return nil, err
		}
		r := EverydayResult{Vendor: g.Vendor, Role: g.Role, Queries: len(qs)}
		for qi, q := range qs {
			hits, err := eng.SearchText(q.Query, eng.GallerySize())
			if err != nil {
				return nil, err
			}
			rank := len(hits) + 1 // not found: past the end
			for i, h := range hits {
				if accept[qi][h.Index] {
					rank = i + 1
					break
				}
			}
			r.Ranks = append(r.Ranks, rank)
			for _, k := range []struct {
				at  int
				hit *float64
			}{{1, &r.Hit1}, {5, &r.Hit5}, {10, &r.Hit10}} {
				if rank <= k.at {
					*k.hit++
				}
			}
			r.MRR += 1 / float64(rank)
		}
		n := float64(len(qs))
		r.Hit1, r.Hit5, r.Hit10, r.MRR = r.Hit1/n, r.Hit5/n, r.Hit10/n, r.MRR/n
		out = append(out, r)
	}
	return out, nil
}

// acceptedIndices maps each query's emoji to gallery indices (the corpus's
// concept order), ignoring variation selector 16; an emoji the corpus
// lacks is an error naming it.
func acceptedIndices(concepts []CorpusConcept, qs []EverydayQuery) ([]map[int]bool, error) {
	plain := func(s string) string { return strings.ReplaceAll(s, "\ufe0f", "") }
	index := map[string]int{}
	for i, c := range concepts {
		index[plain(c.Emoji)] = i
	}
	out := make([]map[int]bool, len(qs))
	for qi, q := range qs {
		out[qi] = map[int]bool{}
		for _, e := range q.Emoji {
			i, ok := index[plain(e)]
			if !ok {
				return nil, fmt.Errorf("everyday query %q: emoji %s (%U) is not in the corpus", q.Query, e, []rune(e))
			}
			out[qi][i] = true
		}
	}
	return out, nil
}
