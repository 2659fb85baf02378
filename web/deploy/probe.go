package deploy

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"

	"aeir/data/vendormoji"
	"aeir/web"
)

// Probe is one of the demo's quality targets, measured natively on the
// same engine the page runs (web/e2e measures the same in the browser).
type Probe struct {
	What string `json:"what"`
	Rank int    `json:"rank"`           // 1-based rank of the first right answer; 0: below MaxRank
	Want int    `json:"want,omitempty"` // the target: Rank in 1…Want; 0 for a diagnostic without one
}

// MaxRank is how deep Probes looks: the engine's longest result list.
const MaxRank = web.MaxK

// Met reports whether the probe reaches its target.
func (p Probe) Met() bool { return p.Rank >= 1 && p.Rank <= p.Want }

func (p Probe) String() string {
	r := fmt.Sprintf("rank %d", p.Rank)
	if p.Rank == 0 {
		r = fmt.Sprintf("not in the top %d", MaxRank)
	}
	if p.Want == 0 {
		return fmt.Sprintf("%s: %s", p.What, r)
	}
	mark := "meets"
	if !p.Met() {
		mark = "misses"
	}
	return fmt.Sprintf("%s: %s (%s the target ≤ %d)", p.What, r, mark, p.Want)
}

// Probes measures the demo's targets for an engine whose corpus holds the
// sentences of every concept in data set order and whose gallery is
// vendor's: "red heart" → ❤️ in the top 5, "dog" → 🐶 or 🐕 in the top 10,
// and an opaque PNG of the shared protocol's first test concept, in the
// gallery vendor's and in source's art, finding that concept's sentence
// in the top 10. Two diagnostics say where a miss of "dog" comes from:
// the dog's own CLDR sentence as the query, and "dog" on the source
// vendor's gallery (sourceGallery, a gallery file; skipped when nil). The
// engine is left with vendor's gallery.
func Probes(eng *web.Engine, ds *vendormoji.Dataset, vendor, source string, gallery, sourceGallery []byte) ([]Probe, error) {
	index := func(emoji ...string) []int {
		var out []int
		for i, c := range ds.Concepts {
			if slices.Contains(emoji, c.Emoji) {
				out = append(out, i)
			}
		}
		return out
	}
	rankOf := func(hits []web.Hit, want []int) int {
		for r, h := range hits {
			if slices.Contains(want, h.Index) {
				return r + 1
			}
		}
		return 0
	}
	var out []Probe
	for _, q := range []struct {
		query string
		emoji []string
		want  int
	}{{"red heart", []string{"❤️"}, 5}, {"dog", []string{"🐶", "🐕"}, 10}} {
		hits, err := eng.SearchText(q.query, MaxRank)
		if err != nil {
			return nil, err
		}
		out = append(out, Probe{What: fmt.Sprintf("%q → %s", q.query, q.emoji), Rank: rankOf(hits, index(q.emoji...)), Want: q.want})
	}
	id := ds.Splits.Protocols[vendormoji.Shared].Test[0]
	c := ds.Concepts[id]
	for _, v := range []string{vendor, source} {
		m := OpaqueTile(ds, v, id, 1)
		hits, err := eng.SearchImage(m.Pix, m.Rect.Dx(), m.Rect.Dy(), MaxRank)
		if err != nil {
			return nil, err
		}
		out = append(out, Probe{What: fmt.Sprintf("%s image (%d px) of %s %q → its sentence", vendormoji.VendorTitle[v], m.Rect.Dx(), c.Emoji, c.Name), Rank: rankOf(hits, []int{id}), Want: 10})
		if v == source {
			break
		}
	}
	dogs := index("🐶", "🐕")
	if len(dogs) > 0 {
		sentence := ds.Concepts[dogs[0]].Texts["en"]
		hits, err := eng.SearchText(sentence, MaxRank)
		if err != nil {
			return nil, err
		}
		out = append(out, Probe{What: fmt.Sprintf("diagnostic: %q → %s on the %s gallery", sentence, []string{"🐶", "🐕"}, vendormoji.VendorTitle[vendor]), Rank: rankOf(hits, dogs)})
	}
	if sourceGallery != nil && source != vendor && len(dogs) > 0 {
		if err := eng.SetGallery("gallery-"+source+".aeir", sourceGallery); err != nil {
			return nil, err
		}
		hits, err := eng.SearchText("dog", MaxRank)
		if err != nil {
			return nil, err
		}
		out = append(out, Probe{What: fmt.Sprintf("diagnostic: %q → %s on the %s gallery", "dog", []string{"🐶", "🐕"}, vendormoji.VendorTitle[source]), Rank: rankOf(hits, dogs)})
		if err := eng.SetGallery("gallery-"+vendor+".aeir", gallery); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OpaqueTile is concept id's tile in vendor's art composited on white, as
// a user's screenshot of it would be, enlarged scale times (nearest
// neighbour).
func OpaqueTile(ds *vendormoji.Dataset, vendor string, id, scale int) *image.NRGBA {
	im := ds.Images[vendor]
	s := im.W
	src := im.Pix[id*s*s*4 : (id+1)*s*s*4]
	m := image.NewNRGBA(image.Rect(0, 0, s*scale, s*scale))
	for y := range s * scale {
		for x := range s * scale {
			p := src[((y/scale)*s+x/scale)*4:]
			a := float64(p[3]) / 255
			m.SetNRGBA(x, y, color.NRGBA{
				R: uint8(math.Round(float64(p[0])*a + 255*(1-a))),
				G: uint8(math.Round(float64(p[1])*a + 255*(1-a))),
				B: uint8(math.Round(float64(p[2])*a + 255*(1-a))),
				A: 255,
			})
		}
	}
	return m
}
