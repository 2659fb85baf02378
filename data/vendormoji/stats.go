package vendormoji

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"

	"aeir/text"
)

// splitOrder is the order roles are reported in.
var splitOrder = []string{"source", "target_train", "val", "test"}

func (sp Split) role(r string) []int {
	switch r {
	case "source":
		return sp.Source
	case "target_train":
		return sp.TargetTrain
	case "val":
		return sp.Val
	}
	return sp.Test
}

// Stats describes every domain under one protocol. images has, for each
// vendor and split, the number of concepts and the mean opacity (the
// fraction of the tile the drawing covers); texts has, for each style and
// split, the number of sentences, the vocabulary size (distinct words) and
// the mean length in words and in tokeniser ids.
func (d *Dataset) Stats(protocol string) (images, texts dataframe.DataFrame, err error) {
	sp, ok := d.Splits.Protocols[protocol]
	if !ok {
		return images, texts, fmt.Errorf("unknown protocol %q (have %s, %s)", protocol, Shared, Novel)
	}
	tk := text.Default()
	var iDom, iSplit, tDom, tSplit []string
	var iN, tN, vocab []int
	var opacity, words, ids []float64
	for _, r := range splitOrder {
		cs := sp.role(r)
		for _, v := range d.Manifest.Vendors {
			im := d.Images[v]
			var a float64
			sz := im.W * im.H * 4
			for _, id := range cs {
				px := im.Pix[id*sz : (id+1)*sz]
				for p := 3; p < sz; p += 4 {
					a += float64(px[p])
				}
			}
			iDom, iSplit, iN = append(iDom, v), append(iSplit, r), append(iN, len(cs))
			opacity = append(opacity, a/255/float64(len(cs)*im.W*im.H))
		}
		for _, st := range d.Manifest.Styles {
			seen := map[string]bool{}
			var nw, ni int
			for _, id := range cs {
				ws := text.Words(d.Concepts[id].Texts[st])
				nw += len(ws)
				for _, w := range ws {
					seen[w] = true
				}
				ni += len(tk.IDs(d.Concepts[id].Texts[st], nil))
			}
			tDom, tSplit, tN, vocab = append(tDom, st), append(tSplit, r), append(tN, len(cs)), append(vocab, len(seen))
			words = append(words, float64(nw)/float64(len(cs)))
			ids = append(ids, float64(ni)/float64(len(cs)))
		}
	}
	images = dataframe.New(
		series.New(iDom, series.String, "vendor"),
		series.New(iSplit, series.String, "split"),
		series.New(iN, series.Int, "images"),
		series.New(opacity, series.Float, "mean_opacity"),
	)
	texts = dataframe.New(
		series.New(tDom, series.String, "style"),
		series.New(tSplit, series.String, "split"),
		series.New(tN, series.Int, "sentences"),
		series.New(vocab, series.Int, "vocab"),
		series.New(words, series.Float, "mean_words"),
		series.New(ids, series.Float, "mean_ids"),
	)
	return images, texts, nil
}

// Categories counts concepts per category and split under one protocol.
func (d *Dataset) Categories(protocol string) (dataframe.DataFrame, error) {
	sp, ok := d.Splits.Protocols[protocol]
	if !ok {
		return dataframe.DataFrame{}, fmt.Errorf("unknown protocol %q", protocol)
	}
	count := map[string]map[string]int{}
	for _, r := range splitOrder {
		for _, id := range sp.role(r) {
			c := d.Concepts[id].Category
			if count[c] == nil {
				count[c] = map[string]int{}
			}
			count[c][r]++
		}
	}
	var cats []string
	for c := range count {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	cols := []series.Series{series.New(cats, series.String, "category")}
	for _, r := range splitOrder {
		var n []int
		for _, c := range cats {
			n = append(n, count[c][r])
		}
		cols = append(cols, series.New(n, series.Int, r))
	}
	return dataframe.New(cols...), nil
}

// Describe is a one-paragraph summary of the data set.
func (d *Dataset) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d concepts × %d vendors (%s) at %d×%d px; text styles %s\n",
		d.Manifest.Name, len(d.Concepts), len(d.Manifest.Vendors), strings.Join(d.Manifest.Vendors, ", "),
		d.Manifest.Size, d.Manifest.Size, strings.Join(d.Manifest.Styles, ", "))
	for _, p := range []string{Shared, Novel} {
		sp := d.Splits.Protocols[p]
		fmt.Fprintf(&b, "protocol %-6s source %d, target train %d, val %d, test %d concepts\n", p, len(sp.Source), len(sp.TargetTrain), len(sp.Val), len(sp.Test))
	}
	return b.String()
}
