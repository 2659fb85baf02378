// Command web measures the demo's query pipeline side by side in one
// headless Chromium page: our Go WebAssembly engine (./wasm over package
// web) and onnxruntime-web running the same model exported as ONNX
// (package aeir/onnx), and prints our latency ÷ onnxruntime-web's.
//
// Pipelines, each from the query to the top-k list: a sentence → its
// tokens → the sentence encoder → scores against the gallery's image
// embeddings → top k; an image (RGBA at the model's input size) → composite on white → the
// image encoder → scores against the sentence corpus → top k. Both sides
// use the same model weights, the same precomputed gallery and corpus
// embeddings and one thread each, run on the page's main thread,
// interleaved query by query after a warm-up. The onnxruntime-web side
// tokenises with a JavaScript port of package text whose ids are checked
// against the engine's before anything is timed.
//
// Run it through bench/onnx/web.sh (scripts/onnx.sh bench-web), which
// installs onnxruntime-web and builds the engine.
package main

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"aeir/data"
	"aeir/data/vendormoji"
	"aeir/model"
	"aeir/onnx"
	"aeir/wasm/simd"
	"aeir/web"
	"aeir/web/browser"
)

//go:embed page
var page embed.FS

type result struct {
	Text, Image struct {
		Ours []float64 `json:"ours"`
		ORT  []float64 `json:"ort"`
		Pure []float64 `json:"pure"` // our engine on its pure-Go kernels
	}
	Encode struct {
		TextOurs  []float64 `json:"textOurs"`
		TextORT   []float64 `json:"textOrt"`
		ImageOurs []float64 `json:"imageOurs"`
		ImageORT  []float64 `json:"imageOrt"`
	} `json:"encode"`
	PureSame     int     `json:"pureSame"` // queries answered identically by the SIMD and pure-Go kernels
	PureTotal    int     `json:"pureTotal"`
	TokMismatch  int     `json:"tokMismatch"`
	Agree        int     `json:"agree"`
	Total        int     `json:"total"`
	MaxScoreDiff float64 `json:"maxScoreDiff"`
	UserAgent    string  `json:"userAgent"`
	ORTVersion   string  `json:"ortVersion"`
	Error        string  `json:"error"`
}

// Report is what -json writes.
type Report struct {
	TextOursMs, TextORTMs, TextRatio    float64
	ImageOursMs, ImageORTMs, ImageRatio float64
	Ratio                               float64            // (text + image) ours ÷ (text + image) onnxruntime-web
	TextPureMs, ImagePureMs, PureRatio  float64            // our engine on its pure-Go kernels (the fallback; the engine before SIMD)
	PureSame                            string             // queries with identical hits and scores, SIMD vs pure-Go kernels
	EncodeMs                            map[string]float64 // encoders alone: text/image × ours/ort
	TopKAgree                           string
	MaxScoreDiff                        float64
	Sizes                               map[string][2]int // file → raw, gzip bytes
	ORTVersion, Browser                 string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-web onnx:", err)
		os.Exit(1)
	}
}

func run() error {
	b, err := loadModel(parseFlags())
	if err != nil {
		return err
	}
	if b.ds, err = vendormoji.LoadSize("", b.m.Config.ImageSize); err != nil { // the data at the model's input size (make data-64)
		return err
	}
	if b.dir, err = os.MkdirTemp("", "aeir-bench-web-onnx-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.dir)
	if err := b.writeModels(); err != nil {
		return err
	}
	b.makeQueries()
	if err := b.writeQueries(); err != nil {
		return err
	}
	if err := b.copyPage(); err != nil {
		return err
	}
	if err := b.copyRuntimes(); err != nil {
		return err
	}
	addr, stop, err := serve(b.dir)
	if err != nil {
		return err
	}
	defer stop()
	res, err := b.runPage(addr)
	if err != nil {
		return err
	}
	rep, err := b.report(res)
	if err != nil {
		return err
	}
	b.printReport(rep)
	if b.o.jsonOut != "" {
		j, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(b.o.jsonOut, append(j, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// options are the command's flags.
type options struct {
	modelPath, runDir, wasm, ortDir string
	reps, rounds, k                 int
	jsonOut                         string
	timeout                         time.Duration
}

// parseFlags defines and parses the command's flags.
func parseFlags() options {
	modelPath := flag.String("model", "", "model file (default: <run>/best.aeir, else site/assets/model.aeir)")
	runDir := flag.String("run", "", "run directory (its best.aeir)")
	wasm := flag.String("wasm", "bin/onnx-bench/aeir.wasm", "the engine built with GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' ./wasm")
	ortDir := flag.String("ort", ".cache/onnx/node_modules/onnxruntime-web/dist", "onnxruntime-web's dist folder (scripts/onnx.sh install)")
	reps := flag.Int("reps", 20, "calls per query and path in one timing")
	rounds := flag.Int("rounds", 3, "timing rounds over all queries")
	k := flag.Int("k", 10, "results per query")
	jsonOut := flag.String("json", "", "also write the report as JSON here")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up after")
	flag.Parse()
	return options{modelPath: *modelPath, runDir: *runDir, wasm: *wasm, ortDir: *ortDir,
		reps: *reps, rounds: *rounds, k: *k, jsonOut: *jsonOut, timeout: *timeout}
}

// bench is one run of the benchmark: what each step makes, the next
// reads.
type bench struct {
	o    options
	mb   []byte // the model file
	m    *model.Model
	meta model.Meta
	sc   vendormoji.Scenario // the model's, else vendormoji.Default
	ds   *vendormoji.Dataset // at the model's input size
	dir  string              // the page's folder, served

	c      *data.Collection // the target vendor's gallery and the target style's corpus
	corpus []string         // c.Texts
	textQ  []string
	imgQ   []byte // RGBA images at the model's input size, one after another
}

// loadModel reads the model file (-model, else the run's best.aeir, else
// the demo's), a model of pixels, and its scenario.
func loadModel(o options) (*bench, error) {
	path := o.modelPath
	if path == "" && o.runDir != "" {
		path = filepath.Join(o.runDir, "best.aeir")
	}
	if path == "" {
		path = filepath.Join("site", "assets", "model.aeir")
	}
	mb, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w (give -model or -run)", err)
	}
	m, meta, _, err := model.Read(strings.NewReader(string(mb)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.Config.FeatureDim > 0 {
		return nil, errors.New("the model reads image features; the browser pipeline needs a pixel model")
	}
	sc := vendormoji.Default
	if src, tgt, ok := strings.Cut(meta.Scenario, "→"); ok {
		s, err1 := vendormoji.ParseDomain(src)
		t, err2 := vendormoji.ParseDomain(tgt)
		if err1 == nil && err2 == nil {
			sc = vendormoji.Scenario{Source: s, Target: t}
		}
	}
	return &bench{o: o, mb: mb, m: m, meta: meta, sc: sc}, nil
}

// put writes a file of the page's folder.
func (b *bench) put(name string, content []byte) error {
	return os.WriteFile(filepath.Join(b.dir, name), content, 0o644)
}

// writeModels writes what both sides rank with: the model file and its
// ONNX export, the gallery (target vendor) and corpus (target style)
// embeddings, as the demo has them, and the hubness terms.
func (b *bench) writeModels() error {
	m, n := b.m, len(b.ds.Concepts)
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	b.c = b.ds.Collection(b.sc.Target, all, "")
	if size := m.Config.ImageSize; b.c.Images.W != size {
		return fmt.Errorf("model takes %d-px images, the data set has %d px", size, b.c.Images.W)
	}
	sum := sha256.Sum256(b.mb)
	b.corpus = b.c.Texts
	// A gallery file in the demo's format (one view per image), with the
	// hubness terms both sides rank with (web.Hit): computed once here,
	// natively; both sides rank against the same file.
	eng, err := web.NewEngine("model.aeir", b.mb)
	if err != nil {
		return err
	}
	if err := eng.SetTexts(b.corpus, nil); err != nil {
		return err
	}
	galFile, err := eng.GalleryWithHubs(web.GalleryMeta{Vendor: b.sc.Target.Vendor, Count: n, Dim: m.Config.Dim, ModelSHA256: hex.EncodeToString(sum[:])}, m.EncodeImages(b.c.Images))
	if err != nil {
		return err
	}
	_, gal, hubs, err := web.DecodeGallery(galFile) // the float16-rounded values the engine uses
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{{"model.aeir", b.mb}, {"gallery.aeir", galFile}, {"gallery.f32", f32(gal)}, {"corpus.f32", f32(m.EncodeTexts(b.corpus))},
		{"hub_images.f32", f32(hubs.Images)}, {"hub_sentences.f32", f32(hubs.Sentences)}} {
		if err := b.put(f.name, f.b); err != nil {
			return err
		}
	}
	_, err = onnx.Export(m, b.meta, b.dir)
	return err
}

// makeQueries picks the queries: sentences of several lengths and
// styles, and target images.
func (b *bench) makeQueries() {
	n, size := len(b.ds.Concepts), b.m.Config.ImageSize
	for i := 0; i < 24; i++ {
		id := (i*7919 + 17) % n
		con := b.ds.Concepts[id]
		switch i % 4 {
		case 0:
			b.textQ = append(b.textQ, con.Texts[b.sc.Target.Style])
		case 1:
			name, _, _ := strings.Cut(con.Texts["en"], ":")
			b.textQ = append(b.textQ, name)
		case 2:
			b.textQ = append(b.textQ, con.Texts["tags"])
		default:
			b.textQ = append(b.textQ, "a picture of "+strings.ToLower(strings.SplitN(con.Texts["en"], ":", 2)[0]))
		}
		if i < 12 {
			b.imgQ = append(b.imgQ, b.c.Images.Pix[id*size*size*4:(id+1)*size*size*4]...)
		}
	}
}

// writeQueries writes the page's configuration (bench.json) and the image
// queries, as each side is handed them.
func (b *bench) writeQueries() error {
	m, size := b.m, b.m.Config.ImageSize
	cfg := map[string]any{
		"reps": b.o.reps, "rounds": b.o.rounds, "k": b.o.k, "dim": m.Config.Dim, "imageSize": size, "galleryN": len(b.ds.Concepts),
		"tokenizer": m.Config.Tokenizer, "hubK": web.HubK, "corpus": b.corpus, "textQueries": b.textQ, "imageQueries": 12,
	}
	cb, _ := json.Marshal(cfg)
	if err := b.put("bench.json", cb); err != nil {
		return err
	}
	if err := b.put("queries.rgba", b.imgQ); err != nil {
		return err
	}
	// The ONNX graph does not crop: for a model that fits its images,
	// onnxruntime-web is handed each query already as our model reads it
	// (web.Tile, then data.FitTile), so both sides encode the same pixels
	// and only ours spends time fitting.
	ortQ := b.imgQ
	if m.Config.Fit {
		ortQ = make([]byte, len(b.imgQ))
		t := size * size * 4
		for i := 0; i < len(b.imgQ)/t; i++ {
			data.FitTile(ortQ[i*t:(i+1)*t], web.Tile(b.imgQ[i*t:(i+1)*t], size, size, size, true), size)
		}
	}
	return b.put("queries-ort.rgba", ortQ)
}

// copyPage writes the embedded page.
func (b *bench) copyPage() error {
	sub, _ := fs.Sub(page, "page")
	return fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, _ := fs.ReadFile(sub, p)
		return b.put(p, content)
	})
}

// copyRuntimes copies both sides' runtimes: our engine with the Go
// toolchain's wasm_exec.js, and onnxruntime-web's.
func (b *bench) copyRuntimes() error {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	copies := map[string]string{
		"wasm_exec.js": filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"),
		"aeir.wasm":    b.o.wasm,
		"simd.js":      filepath.Join("site", "simd.js"),
	}
	if err := b.put("simd.wasm", simd.Module()); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(b.dir, "ort"), 0o755); err != nil {
		return err
	}
	for _, f := range []string{"ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"} {
		copies["ort/"+f] = filepath.Join(b.o.ortDir, f)
	}
	for dst, src := range copies {
		content, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("%v (scripts/onnx.sh install; build the engine with GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o %s ./wasm)", err, b.o.wasm)
		}
		if err := b.put(dst, content); err != nil {
			return err
		}
	}
	return nil
}

// serve serves dir on a loopback port, with the content types the
// engines need and no caching, until stop.
func serve(dir string) (addr string, stop func() error, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	fsrv := http.FileServer(http.Dir(dir))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, ".wasm"):
			w.Header().Set("Content-Type", "application/wasm")
		case strings.HasSuffix(r.URL.Path, ".mjs"), strings.HasSuffix(r.URL.Path, ".js"):
			w.Header().Set("Content-Type", "text/javascript")
		}
		w.Header().Set("Cache-Control", "no-store")
		fsrv.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	return ln.Addr().String(), srv.Close, nil
}

// runPage opens the page at addr in headless Chromium and waits for its
// result, checking that it ran and that both sides tokenised alike.
func (b *bench) runPage(addr string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), b.o.timeout)
	defer cancel()
	prof, err := os.MkdirTemp("", "aeir-chromium-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(prof)
	bctx, bcancel, err := browser.New(ctx, prof, 800, 600)
	if err != nil {
		return result{}, err
	}
	defer bcancel()
	if _, err := chromedp.Run(bctx, chromedp.Navigate("http://"+addr+"/index.html")); err != nil {
		return result{}, fmt.Errorf("browser: %w", err)
	}
	res, err := chromedp.Run(bctx, chromedp.Poll[result](`window.benchResult`,
		chromedp.WithPollingTimeout(b.o.timeout), chromedp.WithPollingInterval(200*time.Millisecond)))
	if err != nil {
		return result{}, fmt.Errorf("browser: waiting for the page's result: %w", err)
	}
	if res.Error != "" {
		return result{}, fmt.Errorf("page: %s", res.Error)
	}
	if res.TokMismatch > 0 {
		return result{}, fmt.Errorf("the JavaScript tokeniser differs from package text on %d queries", res.TokMismatch)
	}
	return res, nil
}

// report sums up the page's result: median latencies, their ratios, and
// the sizes of both sides' downloads.
func (b *bench) report(res result) (Report, error) {
	rep := Report{ORTVersion: res.ORTVersion, Browser: res.UserAgent, MaxScoreDiff: res.MaxScoreDiff,
		TopKAgree: fmt.Sprintf("%d/%d", res.Agree, res.Total), Sizes: map[string][2]int{}}
	rep.TextOursMs, rep.TextORTMs = median(res.Text.Ours), median(res.Text.ORT)
	rep.ImageOursMs, rep.ImageORTMs = median(res.Image.Ours), median(res.Image.ORT)
	rep.EncodeMs = map[string]float64{"text_ours": median(res.Encode.TextOurs), "text_ort": median(res.Encode.TextORT),
		"image_ours": median(res.Encode.ImageOurs), "image_ort": median(res.Encode.ImageORT)}
	rep.TextRatio, rep.ImageRatio = rep.TextOursMs/rep.TextORTMs, rep.ImageOursMs/rep.ImageORTMs
	rep.Ratio = (rep.TextOursMs + rep.ImageOursMs) / (rep.TextORTMs + rep.ImageORTMs)
	rep.TextPureMs, rep.ImagePureMs = median(res.Text.Pure), median(res.Image.Pure)
	rep.PureRatio = (rep.TextPureMs + rep.ImagePureMs) / (rep.TextORTMs + rep.ImageORTMs)
	rep.PureSame = fmt.Sprintf("%d/%d", res.PureSame, res.PureTotal)
	for _, f := range []string{"aeir.wasm", "wasm_exec.js", "model.aeir", "ort/ort-wasm-simd-threaded.wasm", "ort/ort-wasm-simd-threaded.mjs", "ort/ort.wasm.min.mjs", onnx.ImageFile, onnx.TextFile} {
		content, err := os.ReadFile(filepath.Join(b.dir, f))
		if err != nil {
			return Report{}, err
		}
		rep.Sizes[f] = [2]int{len(content), gzipSize(content)}
	}
	return rep, nil
}

// printReport prints the report.
func (b *bench) printReport(rep Report) {
	size, n := b.m.Config.ImageSize, len(b.ds.Concepts)
	fmt.Printf("query pipeline, headless Chromium, one page, main thread, one thread each; median over %d sentence and %d image queries × %d rounds of the mean of %d calls\n",
		len(b.textQ), len(b.imgQ)/(size*size*4), b.o.rounds, b.o.reps)
	fmt.Printf("  sentence → %d gallery images: ours %.3f ms, onnxruntime-web %s %.3f ms: ours ÷ onnxruntime-web = %.2f\n", n, rep.TextOursMs, rep.ORTVersion, rep.TextORTMs, rep.TextRatio)
	fmt.Printf("  image → %d sentences:       ours %.3f ms, onnxruntime-web %s %.3f ms: ours ÷ onnxruntime-web = %.2f\n", len(b.corpus), rep.ImageOursMs, rep.ORTVersion, rep.ImageORTMs, rep.ImageRatio)
	fmt.Printf("  both: ours ÷ onnxruntime-web = %.2f (goal ≤ 1.00); same top-%d lists %s, max score difference %.2g\n", rep.Ratio, b.o.k, rep.TopKAgree, rep.MaxScoreDiff)
	fmt.Printf("  pure-Go kernels (the fallback without WebAssembly SIMD): sentence %.3f ms, image %.3f ms; both: pure ÷ onnxruntime-web = %.2f; SIMD speed-up: sentence %.2f×, image %.2f×; identical answers %s\n",
		rep.TextPureMs, rep.ImagePureMs, rep.PureRatio, rep.TextPureMs/rep.TextOursMs, rep.ImagePureMs/rep.ImageOursMs, rep.PureSame)
	fmt.Printf("  encoders alone: sentence ours %.3f ms vs %.3f ms; image ours %.3f ms vs %.3f ms\n",
		rep.EncodeMs["text_ours"], rep.EncodeMs["text_ort"], rep.EncodeMs["image_ours"], rep.EncodeMs["image_ort"])
	ours := rep.Sizes["aeir.wasm"][1] + rep.Sizes["wasm_exec.js"][1] + rep.Sizes["model.aeir"][1]
	theirs := rep.Sizes["ort/ort-wasm-simd-threaded.wasm"][1] + rep.Sizes["ort/ort-wasm-simd-threaded.mjs"][1] + rep.Sizes["ort/ort.wasm.min.mjs"][1] + rep.Sizes[onnx.ImageFile][1] + rep.Sizes[onnx.TextFile][1]
	fmt.Printf("  download, gzip: ours %.2f MB (aeir.wasm %.2f + wasm_exec.js + model.aeir float16 %.2f); onnxruntime-web %.2f MB (runtime wasm %.2f + js %.2f + ONNX float32 graphs %.2f)\n",
		mbs(ours), mbs(rep.Sizes["aeir.wasm"][1]), mbs(rep.Sizes["model.aeir"][1]), mbs(theirs),
		mbs(rep.Sizes["ort/ort-wasm-simd-threaded.wasm"][1]), mbs(rep.Sizes["ort/ort-wasm-simd-threaded.mjs"][1]+rep.Sizes["ort/ort.wasm.min.mjs"][1]),
		mbs(rep.Sizes[onnx.ImageFile][1]+rep.Sizes[onnx.TextFile][1]))
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mbs(n int) float64 { return float64(n) / 1e6 }
