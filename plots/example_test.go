package plots_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"

	"aeir/eval"
	"aeir/plots"
	"aeir/train"
	"aeir/tsne"
)

// Recall@K curves of two methods and the target oracle, with the chance
// line, saved as a PDF for a double-column figure.
func ExampleRecallFigure() {
	ranks := func(scale int) []int { // fake 1-based ranks of 400 queries
		r := make([]int, 400)
		for i := range r {
			r[i] = 1 + (i*scale)%400
		}
		return r
	}
	curve := func(name string, scale int) plots.RecallCurve {
		return plots.RecallCurve{Name: name, I2T: eval.Curve(ranks(scale), 100), T2I: eval.Curve(ranks(scale+1), 100)}
	}
	chI, chT, _ := eval.ChanceCurve(400, 400, identity(400), 100)
	oracle := curve("oracle", 3)
	oracle.UpperBound = true
	fig, err := plots.RecallFigure(
		[]plots.RecallCurve{curve("source-only", 97), curve("aeir", 41), oracle},
		plots.RecallOptions{Chance: &plots.RecallCurve{Name: "chance", I2T: chI, T2I: chT}})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	if err := fig.Save(filepath.Join(dir, "recall.pdf")); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range fig.Legend {
		fmt.Println(e.Label)
	}
	fmt.Println(len(fig.Panels), "panels,", float64(fig.Width/vg.Inch), "in wide")
	// Output:
	// source-only
	// aeir
	// oracle (upper bound)
	// chance
	// 2 panels, 7 in wide
}

func identity(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// A t-SNE map of two domains' images and sentences: Map runs t-SNE on
// all groups jointly, MapFigure draws panels side by side.
func ExampleMap() {
	group := func(domain string, m plots.Modality, shift float32) plots.Embeddings {
		e := plots.Embeddings{Domain: domain, Modality: m, Dim: 4}
		for i := range 30 {
			for k := range 4 {
				e.Vecs = append(e.Vecs, float32(math.Sin(float64(i*4+k)))+shift)
			}
		}
		return e
	}
	opt := tsne.Defaults()
	opt.Perplexity = 10
	panel, err := plots.Map("(a) embeddings", []plots.Embeddings{
		group("source", plots.Image, 0), group("source", plots.Sentence, 0.1),
		group("target", plots.Image, 2), group("target", plots.Sentence, 2.1),
	}, opt)
	if err != nil {
		fmt.Println(err)
		return
	}
	fig, err := plots.MapFigure([]plots.MapPanel{panel}, plots.MapOptions{Width: plots.SingleColumn, Height: plots.SingleColumn})
	if err != nil {
		fmt.Println(err)
		return
	}
	var png bytes.Buffer
	if err := fig.Encode(&png, "png"); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range fig.Legend {
		fmt.Println(e.Label)
	}
	fmt.Println(len(panel.Groups[0].XY)/2, "points per group; PNG:", bytes.HasPrefix(png.Bytes(), []byte("\x89PNG")))
	// Output:
	// source images
	// source sentences
	// target images
	// target sentences
	// 30 points per group; PNG: true
}

// Training curves of a run: whatever loss parts, accuracies and the
// validation rsum its history holds.
func ExampleCurvesFigure() {
	var h []train.Epoch
	for e := 1; e <= 5; e++ {
		h = append(h, train.Epoch{Epoch: e, ValRSum: float64(10 * e),
			Loss: map[string]float64{"con": 1 / float64(e), "adv_img": 0.69, "acc_img": 0.6}})
	}
	fig, err := plots.CurvesFigure([]plots.History{{Name: "dann", Epochs: h}}, plots.CurvesOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range fig.Panels {
		fmt.Println(p.Title.Text)
	}
	// Output:
	// (a) training loss
	// (b) accuracy
	// (c) validation
}

// Results bars from the CSV that aeir bench writes: mean and standard
// deviation over seeds per method and scenario.
func ExampleResultsFigure() {
	csv := `method,source,target,seed,rsum
source-only,twemoji/en,openmoji/en,1,20
source-only,twemoji/en,openmoji/en,2,24
aeir,twemoji/en,openmoji/en,1,30
aeir,twemoji/en,openmoji/en,2,34
oracle,twemoji/en,openmoji/en,1,90
`
	runs, err := plots.ReadResultsCSV(strings.NewReader(csv), "image.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	bars, err := plots.Summarize(runs, "rsum")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range bars {
		fmt.Printf("%s on %s: %.1f ± %.2f (n=%d)\n", b.Method, b.Scenario, b.Mean, b.Std, b.N)
	}
	fig, err := plots.ResultsFigure(bars, plots.ResultsOptions{Metric: "rsum"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fig.Legend[2].Label)
	// Output:
	// source-only on twemoji/en → openmoji/en: 22.0 ± 2.83 (n=2)
	// aeir on twemoji/en → openmoji/en: 32.0 ± 2.83 (n=2)
	// oracle on twemoji/en → openmoji/en: 90.0 ± 0.00 (n=1)
	// oracle (upper bound)
}
