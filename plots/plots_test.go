package plots

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aeir/eval"
	"aeir/train/history"
	"aeir/tsne"
)

// Synthetic inputs for every figure.

func testMaps(t testing.TB) []MapPanel {
	rng := rand.New(rand.NewPCG(1, 1))
	tile := func(c color.NRGBA) image.Image {
		m := image.NewNRGBA(image.Rect(0, 0, 8, 8))
		for i := range 64 {
			if (i/8-4)*(i/8-4)+(i%8-4)*(i%8-4) < 10 {
				m.SetNRGBA(i%8, i/8, c)
			}
			if i < 16 { // a dark band on top shows which way up it is drawn
				m.SetNRGBA(i%8, i/8, color.NRGBA{0, 0, 0, 255})
			}
		}
		return m
	}
	var panels []MapPanel
	for k, spread := range []float64{3, 0.5} {
		var groups []MapGroup
		for d, dom := range []string{"source", "target"} {
			for _, mod := range []Modality{Image, Sentence} {
				g := MapGroup{Domain: dom, Modality: mod}
				for i := range 60 {
					cx, cy := float64(i%6)*10, float64(d)*spread*10
					g.XY = append(g.XY, cx+rng.NormFloat64(), cy+rng.NormFloat64())
					if mod == Image {
						g.Thumbs = append(g.Thumbs, tile(Color(i%6)))
					}
				}
				groups = append(groups, g)
			}
		}
		panels = append(panels, MapPanel{Title: []string{"(a) before", "(b) after"}[k], Groups: groups})
	}
	return panels
}

func testCurves() []RecallCurve {
	mk := func(scale float64) []float64 {
		c := make([]float64, 100)
		for k := range c {
			c[k] = 100 * (1 - math.Exp(-scale*float64(k+1)))
		}
		return c
	}
	return []RecallCurve{
		{Name: "source-only", I2T: mk(0.01), T2I: mk(0.012)},
		{Name: "aeir", I2T: mk(0.03), T2I: mk(0.035)},
		{Name: "oracle", I2T: mk(0.2), T2I: mk(0.25), UpperBound: true},
	}
}

func testHistory(method string, n int) History {
	var es []history.Epoch
	for e := 1; e <= n; e++ {
		x := float64(e)
		ep := history.Epoch{Epoch: e, Loss: map[string]float64{"con": 0.4 / x}, ValRSum: 20 + 10*math.Log(x)}
		if method == "aeir" {
			ep.Loss["adv_img"], ep.Loss["adv_txt"] = 0.69, 0.68
			ep.Loss["acc_img"], ep.Loss["acc_txt"] = 0.5+0.3/x, 0.55
			ep.Loss["str_img"], ep.Loss["str_txt"], ep.Loss["mu"] = 0.1/x, 0.12/x, 0.5
			ep.Diag = map[string]float64{"nbr_img_acc": 0.3, "nbr_img_kept": 0.5}
		}
		es = append(es, ep)
	}
	return History{Name: method, Epochs: es}
}

// A history without epochs is an error that names it.
func TestCurvesNoEpochs(t *testing.T) {
	_, err := CurvesFigure([]History{{Name: "r"}}, CurvesOptions{})
	if err == nil || !strings.Contains(err.Error(), `"r" has no epochs`) {
		t.Errorf("error %v, want one naming the empty history", err)
	}
}

const testCSV = `family,protocol,source,target,method,seed,epochs,i2t_r1,rsum,nbr_img_acc
image,shared,twemoji/en,openmoji/en,source-only,1,15,1.5,20.1,
image,shared,twemoji/en,openmoji/en,source-only,2,15,1.7,22.3,
image,shared,twemoji/en,openmoji/en,aeir,1,15,2.5,30.5,0.4
image,shared,twemoji/en,openmoji/en,aeir,2,15,2.9,33.0,0.41
image,shared,twemoji/en,openmoji/en,oracle,1,15,9,90,
image,shared,noto/en,twemoji/en,source-only,1,15,3,40,
image,shared,noto/en,twemoji/en,aeir,1,15,4,45,
image,shared,noto/en,twemoji/en,oracle,1,15,10,95,
`

func testFigures(t testing.TB) map[string]*Figure {
	t.Helper()
	figs := map[string]*Figure{}
	var err error
	if figs["tsne"], err = MapFigure(testMaps(t), MapOptions{Thumbs: 12, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	chI, chT, _ := eval.ChanceCurve(400, 400, seq(400), 100)
	if figs["recall"], err = RecallFigure(testCurves(), RecallOptions{Chance: &RecallCurve{Name: "chance", I2T: chI, T2I: chT}}); err != nil {
		t.Fatal(err)
	}
	if figs["curves"], err = CurvesFigure([]History{testHistory("aeir", 15)}, CurvesOptions{}); err != nil {
		t.Fatal(err)
	}
	if figs["curves2"], err = CurvesFigure([]History{testHistory("source-only", 3), testHistory("aeir", 3)}, CurvesOptions{}); err != nil {
		t.Fatal(err)
	}
	runs, err := ReadResultsCSV(strings.NewReader(testCSV), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	bars, err := Summarize(runs, "rsum")
	if err != nil {
		t.Fatal(err)
	}
	if figs["results"], err = ResultsFigure(bars, ResultsOptions{Metric: "rsum"}); err != nil {
		t.Fatal(err)
	}
	return figs
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestDeterministicBytes encodes every figure twice in every format and
// compares the bytes. Set AEIR_PLOTS_OUT to a directory to keep the
// files for viewing.
func TestDeterministicBytes(t *testing.T) {
	out := os.Getenv("AEIR_PLOTS_OUT")
	for name, f := range testFigures(t) {
		for _, format := range []string{"png", "svg", "pdf"} {
			var a, b bytes.Buffer
			if err := f.Encode(&a, format); err != nil {
				t.Fatalf("%s.%s: %v", name, format, err)
			}
			// a second, freshly built figure must give the same bytes too
			g := testFigures(t)[name]
			if err := g.Encode(&b, format); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("%s.%s: two encodings differ (%d and %d bytes)", name, format, a.Len(), b.Len())
			}
			if a.Len() < 1000 {
				t.Errorf("%s.%s: only %d bytes", name, format, a.Len())
			}
			if out != "" {
				if err := os.WriteFile(filepath.Join(out, name+"."+format), a.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func TestPDFHasFixedDateAndWinAnsiText(t *testing.T) {
	f := testFigures(t)["recall"]
	var b bytes.Buffer
	if err := f.Encode(&b, "pdf"); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if !strings.Contains(s, "/CreationDate (D:20240101000000)") {
		t.Error("PDF creation date is not the fixed one")
	}
	// "→" is not in Windows-1252: it must have become "->", not UTF-8 bytes.
	if strings.Contains(s, "\xe2\x86\x92") {
		t.Error("PDF holds raw UTF-8 for →")
	}
	if got := toCP1252("image → text × 2 – θ"); got != "image -> text \xd7 2 \x96 theta" {
		t.Errorf("toCP1252 = %q", got)
	}
}

func TestSaveFormats(t *testing.T) {
	dir := t.TempDir()
	f := testFigures(t)["recall"]
	for _, ext := range []string{".png", ".svg", ".pdf", ".PDF"} {
		p := filepath.Join(dir, "fig"+ext)
		if err := f.Save(p); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{".png": "\x89PNG", ".svg": "<?xml", ".pdf": "%PDF", ".PDF": "%PDF"}[ext]
		if !bytes.HasPrefix(b, []byte(want)) {
			t.Errorf("%s starts with %q", ext, b[:8])
		}
	}
	for _, bad := range []string{"fig.jpg", "fig"} {
		err := f.Save(filepath.Join(dir, bad))
		if err == nil || !strings.Contains(err.Error(), ".png, .svg or .pdf") {
			t.Errorf("%s: error %v", bad, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestPNGSize(t *testing.T) {
	f := testFigures(t)["recall"]
	f.DPI = 100
	var b bytes.Buffer
	if err := f.Encode(&b, "png"); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := image.DecodeConfig(&b)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 700 || cfg.Height != 250 {
		t.Errorf("7 in × 2.5 in at 100 dpi: %d×%d pixels", cfg.Width, cfg.Height)
	}
}

func TestReadResultsCSVErrors(t *testing.T) {
	cases := map[string]string{
		"":                                     "empty file",
		"method,scenario,seed,rsum\n":          "no runs",
		"method,seed,rsum\na,1,2\n":            `no "scenario" column`,
		"method,scenario,rsum\na,s,2\n":        `no "seed" column`,
		"method,scenario,seed,rsum\na,s,x,2\n": "line 2: column seed",
		"method,scenario,seed,rsum\na,s,1,2\nb,s,1,zz\n": "test.csv:3: column rsum: \"zz\" is not a number",
		"method,scenario,seed,rsum\na,s,1,2\na,s,1,3\n":  "already appears on line 2",
		"method,scenario,seed,rsum,rsum\na,s,1,2,2\n":    "appears twice",
		"method,scenario,seed,rsum\na,s,1\n":             "test.csv:2",
	}
	for in, want := range cases {
		_, err := ReadResultsCSV(strings.NewReader(in), "test.csv")
		if err == nil || !strings.Contains(strings.ReplaceAll(err.Error(), "test.csv:2: column seed", "line 2: column seed"), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	runs, err := ReadResultsCSV(strings.NewReader(testCSV), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].Scenario != "twemoji/en → openmoji/en" {
		t.Errorf("scenario %q", runs[0].Scenario)
	}
	bars, err := Summarize(runs, "rsum")
	if err != nil {
		t.Fatal(err)
	}
	b := bars[0]
	if b.Method != "source-only" || b.N != 2 || math.Abs(b.Mean-21.2) > 1e-12 || math.Abs(b.Std-math.Sqrt(2*1.1*1.1)) > 1e-12 {
		t.Errorf("first bar %+v", b)
	}
	if _, err := Summarize(runs, "map"); err == nil || !strings.Contains(err.Error(), "no run has the metric") {
		t.Errorf("unknown metric: %v", err)
	}
	bars, _ = Summarize(runs, "nbr_img_acc") // only aeir has it
	if len(bars) != 1 || bars[0].Method != "aeir" {
		t.Errorf("bars of a sparse metric: %+v", bars)
	}
}

func TestMapFromEmbeddings(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	emb := func(dom string, m Modality, shift float32) Embeddings {
		e := Embeddings{Domain: dom, Modality: m, Dim: 8}
		for range 40 {
			for k := range 8 {
				e.Vecs = append(e.Vecs, float32(rng.NormFloat64())+shift*float32(k%2))
			}
		}
		return e
	}
	o := tsne.Defaults()
	o.Perplexity, o.Iters = 10, 300
	p, err := Map("m", []Embeddings{emb("s", Image, 0), emb("t", Sentence, 5)}, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Groups) != 2 || len(p.Groups[1].XY) != 80 || p.KL <= 0 {
		t.Fatalf("panel %+v", p)
	}
	if _, err := Map("m", []Embeddings{emb("s", Image, 0), {Domain: "x", Dim: 4, Vecs: make([]float32, 8)}}, o); err == nil {
		t.Error("mismatched dimensions accepted")
	}
}

// Methods the order names come first, in its order; the rest keep theirs.
func TestOrderMethods(t *testing.T) {
	ms := []string{"mine", "aeir", "cdan", "other", "source-only"}
	orderMethods(ms, []string{"source-only", "dann", "cdan", "aeir"})
	if want := []string{"source-only", "cdan", "aeir", "mine", "other"}; !slices.Equal(ms, want) {
		t.Errorf("got %v, want %v", ms, want)
	}
}
