package deploy

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"

	"aeir/data/vendormoji"
	"aeir/model"
	"aeir/train"
	"aeir/web"
)

// A briefly trained source-only run, exported once for the tests of this
// file (a few seconds of training: enough for rankings far above chance,
// so float16 against float32 is a meaningful comparison).
var fixture struct {
	once sync.Once
	run  string
	out  string
	man  *Manifest
	err  error
}

func exported(t *testing.T) (run, out string, man *Manifest) {
	t.Helper()
	if testing.Short() {
		t.Skip("trains a model for a few seconds")
	}
	fixture.once.Do(func() {
		dir, err := os.MkdirTemp("", "aeir-deploy-test")
		if err != nil {
			fixture.err = err
			return
		}
		fixture.run = filepath.Join(dir, "run")
		fixture.out = filepath.Join(dir, "assets")
		ds, err := vendormoji.Load()
		if err != nil {
			fixture.err = err
			return
		}
		opt := train.Defaults()
		opt.Epochs = 3
		opt.Data = train.Data{Dataset: vendormoji.Name, Source: "twemoji/en", Target: "openmoji/en", Protocol: vendormoji.Shared, Seed: 1}
		task, err := ds.Task(vendormoji.Default, vendormoji.Shared, 1)
		if err != nil {
			fixture.err = err
			return
		}
		tr, err := train.New(task, opt, fixture.run, false)
		if err != nil {
			fixture.err = err
			return
		}
		if fixture.err = tr.Run(); fixture.err != nil {
			return
		}
		fixture.man, fixture.err = Export(ExportOptions{Run: fixture.run, Out: fixture.out, MaxDrop: 1})
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.run, fixture.out, fixture.man
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.run != "" {
		os.RemoveAll(filepath.Dir(fixture.run))
	}
	os.Exit(code)
}

// TestExportFloat16KeepsMetrics compares the float32 weights with the
// float16 ones the browser downloads: the same retrieval metrics, and
// embeddings that agree to three decimals.
func TestExportFloat16KeepsMetrics(t *testing.T) {
	run, out, man := exported(t)
	if man.Model.Method != "source-only" || man.Model.Dtype != "float16" || man.Model.Target != "openmoji/en" || man.DefaultGallery != "openmoji" {
		t.Fatalf("manifest %+v", man.Model)
	}
	if len(man.Model.Eval) != 6 || !strings.Contains(man.Model.Eval[3].Name, "short name") || man.Model.Eval[3].Texts != man.Model.Eval[2].Texts ||
		!strings.Contains(man.Model.Eval[4].Name, "hubness") || !strings.Contains(man.Model.Eval[5].Name, "short name") || !strings.Contains(man.Model.Eval[5].Name, "hubness") {
		t.Fatalf("%d evaluations: want test split, source test, whole gallery and short names, the last two also as the page ranks", len(man.Model.Eval))
	}
	best := 0.0
	for _, ev := range man.Model.Eval {
		t.Logf("%s: rsum float32 %.2f, float16 %.2f", ev.Name, ev.Float32.RSum, ev.Float16.RSum)
		best = max(best, ev.Float32.RSum)
		if d := math.Abs(ev.Float32.RSum - ev.Float16.RSum); d > 1 {
			t.Errorf("%s: float16 rsum differs by %.2f", ev.Name, d)
		}
	}
	if best < 50 { // chance is 8
		t.Errorf("best rsum %.2f: the fixture did not train enough for a meaningful comparison", best)
	}
	m32, _, _, err := model.Load(filepath.Join(run, train.BestFile))
	if err != nil {
		t.Fatal(err)
	}
	m16, meta, _, err := model.Load(filepath.Join(out, man.Model.File))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Method != "source-only" {
		t.Fatalf("method %q", meta.Method)
	}
	st, _ := os.Stat(filepath.Join(run, train.BestFile))
	if got := man.Model.Bytes; float64(got) > 0.51*float64(st.Size()) {
		t.Errorf("float16 file is %d bytes, float32 %d", got, st.Size())
	}
	ds, _ := vendormoji.Load()
	im := ds.Images["openmoji"].Subset([]int{0, 1, 2, 500, 1905})
	a, b := m32.EncodeImages(im), m16.EncodeImages(im)
	texts := []string{"red heart", "dog", "grinning face: smile"}
	a = append(a, m32.EncodeTexts(texts)...)
	b = append(b, m16.EncodeTexts(texts)...)
	d := m32.Config.Dim
	for r := range len(a) / d {
		var dot float64
		for k := range d {
			dot += float64(a[r*d+k]) * float64(b[r*d+k])
		}
		if dot < 0.999 {
			t.Errorf("embedding %d: cosine %.5f between float32 and float16 weights", r, dot)
		}
	}
}

func TestExportFiles(t *testing.T) {
	_, out, man := exported(t)
	if len(man.Galleries) != 3 || man.Galleries[0].Vendor != "openmoji" || man.Galleries[0].Role != "target" {
		t.Fatalf("galleries %+v", man.Galleries)
	}
	ds, _ := vendormoji.Load()
	if man.Model.ImageSize != 32 || !maps.Equal(man.Model.DataPixels, ds.Manifest.Pixels) {
		t.Errorf("model image size %d, data pixels %v: want 32 and the embedded set's %v", man.Model.ImageSize, man.Model.DataPixels, ds.Manifest.Pixels)
	}
	roles := map[string]string{}
	for _, g := range man.Galleries {
		roles[g.Vendor] = g.Role
		b, err := os.ReadFile(filepath.Join(out, g.Embeddings))
		if err != nil {
			t.Fatal(err)
		}
		if sha(b) != g.SHA256 {
			t.Errorf("%s: hash differs from the manifest", g.Embeddings)
		}
		meta, emb, hubs, err := web.DecodeGallery(b)
		if err != nil || meta.Count != 1906 || meta.ModelSHA256 != man.Model.SHA256 || len(emb) != 1906*meta.Dim ||
			hubs == nil || meta.Hub.K != web.HubK || meta.Hub.Sentences != 1906 || len(hubs.Sentences) != 1906 {
			t.Errorf("%s: %+v %v", g.Embeddings, meta, err)
		}
	}
	if roles["twemoji"] != "source" || roles["noto"] != "unseen" {
		t.Errorf("roles %v", roles)
	}
	// The browser's engine accepts what was exported.
	mb, _ := os.ReadFile(filepath.Join(out, man.Model.File))
	e, err := web.NewEngine("model.aeir", mb)
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := os.ReadFile(filepath.Join(out, man.Galleries[0].Embeddings))
	if err := e.SetGallery("g", gb); err != nil {
		t.Fatal(err)
	}
	var c Corpus
	cb, _ := os.ReadFile(filepath.Join(out, man.Corpus))
	if err := json.Unmarshal(cb, &c); err != nil || len(c.Concepts) != 1906 || c.Style != "en" || sha(cb) != man.CorpusSHA256 {
		t.Fatalf("corpus: %d concepts, style %q, %v", len(c.Concepts), c.Style, err)
	}
	if c.Concepts[0].Emoji != "😀" || !strings.HasPrefix(c.Concepts[0].Text, "grinning face") {
		t.Errorf("first concept %+v", c.Concepts[0])
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left %s", e.Name())
		}
	}
	if _, err := ReadManifest(out); err != nil {
		t.Fatal(err)
	}
}

// TestExportViews exports the fixture's model with test-time views: the
// model file and manifest say so, the gallery file holds the model's
// EncodeGallery rows (not the single views), and an engine loading the
// model computes the same rows for a gallery it encodes itself.
func TestExportViews(t *testing.T) {
	run, _, plain := exported(t)
	out := t.TempDir()
	man, err := Export(ExportOptions{Run: run, Out: out, Vendors: []string{"openmoji"}, Views: 3, ViewStyle: 0.5, MaxDrop: 1})
	if err != nil {
		t.Fatal(err)
	}
	if man.Model.GalleryViews != 3 || plain.Model.GalleryViews != 0 {
		t.Fatalf("manifest gallery views %d (plain export %d)", man.Model.GalleryViews, plain.Model.GalleryViews)
	}
	m16, _, _, err := model.Load(filepath.Join(out, man.Model.File))
	if err != nil {
		t.Fatal(err)
	}
	if m16.Config.GalleryViews != 3 || m16.Config.ViewStyle != 0.5 {
		t.Fatalf("model file: %d views, style %v", m16.Config.GalleryViews, m16.Config.ViewStyle)
	}
	gb, err := os.ReadFile(filepath.Join(out, man.Galleries[0].Embeddings))
	if err != nil {
		t.Fatal(err)
	}
	_, emb, _, err := web.DecodeGallery(gb)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := vendormoji.Load()
	idx := []int{0, 559, 1905}
	want, single := m16.EncodeGallery(ds.Images["openmoji"], idx), m16.EncodeImages(ds.Images["openmoji"].Subset(idx))
	d := m16.Config.Dim
	for r, i := range idx {
		var same, plainDiff float64
		for k := 0; k < d; k++ {
			same = max(same, math.Abs(float64(emb[i*d+k]-want[r*d+k])))
			plainDiff = max(plainDiff, math.Abs(float64(emb[i*d+k]-single[r*d+k])))
		}
		if same > 2e-3 || plainDiff < 1e-3 {
			t.Errorf("image %d: %.4g from EncodeGallery, %.4g from the single view", i, same, plainDiff)
		}
	}
	if man.Model.Eval[2].Float32.RSum == plain.Model.Eval[2].Float32.RSum && man.Model.Eval[3].Float32.RSum == plain.Model.Eval[3].Float32.RSum {
		t.Error("the whole-gallery metrics did not change with the views")
	}
	for _, v := range []int{-1, 65} {
		if _, err := Export(ExportOptions{Run: run, Out: t.TempDir(), Vendors: []string{"openmoji"}, Views: v}); err == nil {
			t.Errorf("%d views accepted", v)
		}
	}
	// Re-exporting the exported model: 0 keeps its views, 1 turns them off.
	for _, c := range []struct{ views, want int }{{0, 3}, {1, 0}} {
		again, err := Export(ExportOptions{Run: run, Model: filepath.Join(out, man.Model.File), Out: t.TempDir(), Vendors: []string{"openmoji"}, Views: c.views, MaxDrop: 1})
		if err != nil {
			t.Fatal(err)
		}
		if again.Model.GalleryViews != c.want {
			t.Errorf("re-export with Views %d: %d gallery views, want %d", c.views, again.Model.GalleryViews, c.want)
		}
	}
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Export(ExportOptions{Run: dir, Out: t.TempDir()}); err == nil {
		t.Error("empty run directory accepted")
	}
	if _, err := Export(ExportOptions{Model: filepath.Join(dir, "nope.aeir"), Out: t.TempDir()}); err == nil {
		t.Error("missing model accepted")
	}
	if _, err := Export(ExportOptions{}); err == nil {
		t.Error("no output accepted")
	}
	// a model of 16-px input needs the data set built at 16 px
	cfg := model.DefaultConfig()
	cfg.ImageSize, cfg.Channels, cfg.Dim = 16, []int{4, 8}, 8
	m, err := model.New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "m16.aeir")
	if err := m.Save(p, model.Meta{Method: "source-only", Scenario: vendormoji.Default.String()}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	_, err = Export(ExportOptions{Model: p, Out: out, DataRoot: dir})
	if err == nil || !strings.Contains(err.Error(), "no 16-px build") {
		t.Errorf("a 16-px model without a 16-px build: error %v", err)
	}
	if left, _ := os.ReadDir(out); len(left) != 0 {
		t.Errorf("the failed export left %d files", len(left))
	}
}

// buildSite builds a site from the fixture's assets with a stand-in
// engine (the browser tests build the real one).
func buildSite(t *testing.T, figures string) (string, *SiteReport) {
	t.Helper()
	_, assets, _ := exported(t)
	tmp := t.TempDir()
	wasm := filepath.Join(tmp, "aeir.wasm")
	os.WriteFile(wasm, bytes.Repeat([]byte("\x00asm fake engine "), 4000), 0o644)
	exec := filepath.Join(tmp, "wasm_exec.js")
	os.WriteFile(exec, []byte("// stand-in for Go's wasm_exec.js\n"), 0o644)
	out := filepath.Join(tmp, "dist")
	rep, err := BuildSite(SiteOptions{Root: "../..", Assets: assets, Wasm: wasm, WasmExec: exec, Figures: figures, Out: out, Brotli: 5})
	if err != nil {
		t.Fatal(err)
	}
	return out, rep
}

func TestBuildSite(t *testing.T) {
	figs := t.TempDir()
	os.WriteFile(filepath.Join(figs, "results.md"), []byte("# Results\n\n| method | rsum |\n|---|---:|\n| AEIR | 99.5 |\n| source-only | 60.1 |\n\ntext\n"), 0o644)
	out, rep := buildSite(t, figs)
	for _, f := range []string{"index.html", "sw.js", "build.json", "site/app.js", "site/worker.js", "site/style.css", "site/aeir.wasm", "site/aeir.wasm.gz",
		"site/aeir.wasm.br", "site/wasm_exec.js", "site/assets/manifest.json", "site/assets/model.aeir", "site/assets/openmoji.png",
		"site/assets/noto.png", "site/licenses/ATTRIBUTION.md", "site/licenses/openmoji.txt", "site/figures/figures.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	for _, f := range []string{"site/sw.js", "site/assets/openmoji.png.gz"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("%s should not exist", f)
		}
	}
	sw, _ := os.ReadFile(filepath.Join(out, "sw.js"))
	if bytes.Contains(sw, []byte("__BUILD__")) || !bytes.Contains(sw, []byte(rep.Version)) || !bytes.Contains(sw, []byte(`"site/aeir.wasm"`)) {
		t.Errorf("sw.js not filled in:\n%s", sw[:300])
	}
	// Precompressed copies decompress to the original.
	raw, _ := os.ReadFile(filepath.Join(out, "site/app.js"))
	gz, _ := os.ReadFile(filepath.Join(out, "site/app.js.gz"))
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if un, _ := io.ReadAll(zr); !bytes.Equal(un, raw) {
		t.Error("app.js.gz differs")
	}
	br, _ := os.ReadFile(filepath.Join(out, "site/app.js.br"))
	if un, _ := io.ReadAll(brotli.NewReader(bytes.NewReader(br))); !bytes.Equal(un, raw) {
		t.Error("app.js.br differs")
	}
	// The report: the first load holds the default gallery, not the others.
	core := map[string]bool{}
	for _, f := range rep.Files {
		core[f.Path] = f.Core
	}
	if !core["site/assets/openmoji.png"] || !core["site/assets/gallery-openmoji.aeir"] || core["site/assets/noto.png"] || !core["index.html"] || !core["site/aeir.wasm"] {
		t.Errorf("core files %v", core)
	}
	if rep.CoreGzip <= 0 || rep.CoreGzip > rep.CoreRaw || rep.TotalGzip < rep.CoreGzip {
		t.Errorf("sizes %+v", rep)
	}
	var fig struct {
		Results *ResultsTable `json:"results"`
	}
	fb, _ := os.ReadFile(filepath.Join(out, "site/figures/figures.json"))
	json.Unmarshal(fb, &fig)
	if fig.Results == nil || len(fig.Results.Rows) != 2 || fig.Results.Header[1] != "rsum" || fig.Results.Rows[0][0] != "AEIR" {
		t.Errorf("results table %+v", fig.Results)
	}
	// Rebuilding replaces the directory and leaves nothing beside it.
	ents, _ := os.ReadDir(filepath.Dir(out))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".dist") || strings.Contains(e.Name(), ".old-") {
			t.Errorf("left %s", e.Name())
		}
	}
}

func TestBuildSiteRefusesMismatchedAssets(t *testing.T) {
	_, assets, man := exported(t)
	bad := t.TempDir()
	ents, _ := os.ReadDir(assets)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(assets, e.Name()))
		if e.Name() == man.Galleries[1].Embeddings {
			b[100] ^= 1
		}
		os.WriteFile(filepath.Join(bad, e.Name()), b, 0o644)
	}
	tmp := t.TempDir()
	os.WriteFile(filepath.Join(tmp, "w"), []byte("x"), 0o644)
	_, err := BuildSite(SiteOptions{Root: "../..", Assets: bad, Wasm: filepath.Join(tmp, "w"), WasmExec: filepath.Join(tmp, "w"), Out: filepath.Join(tmp, "out")})
	if err == nil || !strings.Contains(err.Error(), "re-run aeir export web") {
		t.Fatalf("mismatched gallery: %v", err)
	}
	if _, err := os.Stat(filepath.Join(tmp, "out")); err == nil {
		t.Error("a failed build left an output directory")
	}
	_, err = BuildSite(SiteOptions{Root: "../..", Assets: t.TempDir(), Wasm: "w", WasmExec: "w", Out: filepath.Join(tmp, "out")})
	if err == nil || !strings.Contains(err.Error(), "aeir export web") {
		t.Fatalf("no manifest: %v", err)
	}
}

func TestMarkdownTable(t *testing.T) {
	tab := parseMarkdownTable("intro\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n| 3 | 4 |\nafter | x |\n")
	if tab == nil || len(tab.Rows) != 2 || tab.Header[0] != "a" || tab.Rows[1][1] != "4" {
		t.Fatalf("%+v", tab)
	}
	if parseMarkdownTable("no table here\n") != nil {
		t.Fatal("found a table in prose")
	}
}

func TestHandler(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
	}
	write("index.html", "<!doctype html><p>hello</p>")
	write("sw.js", "// sw")
	write("site/aeir.wasm", "\x00asm raw")
	write("site/aeir.wasm.gz", "gzipped bytes")
	write("site/aeir.wasm.br", "brotli bytes")
	write("site/app.js", "console.log(1)")
	write("site/app.js.gz", "gz of app")
	write("site/assets/model.aeir", "AEIRMDL1...")
	write(".secret", "no")
	srv := httptest.NewServer(Handler(dir))
	defer srv.Close()
	get := func(method, path, accept string, hdr ...string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", accept) // set explicitly: the client would otherwise ask for gzip and decode it
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	res, body := get("GET", "/", "")
	if res.StatusCode != 200 || body != "<!doctype html><p>hello</p>" || res.Header.Get("Content-Type") != "text/html; charset=utf-8" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("/: %d %q %v", res.StatusCode, body, res.Header)
	}
	res, body = get("GET", "/site/aeir.wasm", "gzip, deflate, br")
	if body != "brotli bytes" || res.Header.Get("Content-Encoding") != "br" || res.Header.Get("Content-Type") != "application/wasm" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("wasm br: %q %v", body, res.Header)
	}
	res, body = get("GET", "/site/aeir.wasm", "gzip")
	if body != "gzipped bytes" || res.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("wasm gzip: %q %v", body, res.Header)
	}
	res, body = get("GET", "/site/aeir.wasm", "br;q=0, gzip;q=0")
	if body != "\x00asm raw" || res.Header.Get("Content-Encoding") != "" {
		t.Errorf("wasm identity: %q %v", body, res.Header)
	}
	res, body = get("GET", "/site/app.js", "br, gzip")
	if body != "gz of app" || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("app.js: %q %v", body, res.Header)
	}
	res, _ = get("GET", "/site/assets/model.aeir?v=abc", "")
	if res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || res.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("versioned asset: %v", res.Header)
	}
	tag := res.Header.Get("ETag")
	if res, _ := get("GET", "/site/assets/model.aeir?v=abc", "", "If-None-Match", tag); tag == "" || res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d (ETag %q)", res.StatusCode, tag)
	}
	if res, _ := get("GET", "/sw.js", ""); res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("sw.js: %v", res.Header)
	}
	for _, p := range []string{"/.secret", "/site/aeir.wasm.gz", "/nope", "/../../etc/passwd", "/site/%2e%2e/%2e%2e/etc/passwd"} {
		if res, _ := get("GET", p, ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
	if res, _ := get("POST", "/", ""); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", res.StatusCode)
	}
	if res, body := get("HEAD", "/site/app.js", ""); res.StatusCode != 200 || body != "" || res.ContentLength != int64(len("console.log(1)")) {
		t.Errorf("HEAD: %d %q %d", res.StatusCode, body, res.ContentLength)
	}
	if res, _ := get("GET", "/site", ""); res.StatusCode != http.StatusMovedPermanently {
		t.Errorf("directory without slash: %d", res.StatusCode)
	}
}

// TestExportProbes checks the demo targets recorded at export against the
// exported files read back into a fresh engine.
func TestExportProbes(t *testing.T) {
	_, out, man := exported(t)
	ps := man.Model.Probes
	if len(ps) != 6 {
		t.Fatalf("%d probes: %v", len(ps), ps)
	}
	for _, p := range ps {
		t.Log(p)
	}
	mb, err := os.ReadFile(filepath.Join(out, man.Model.File))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := web.NewEngine(man.Model.File, mb)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := os.ReadFile(filepath.Join(out, man.Galleries[0].Embeddings))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.SetGallery(man.Galleries[0].Embeddings, gb); err != nil {
		t.Fatal(err)
	}
	var corpus Corpus
	cb, err := os.ReadFile(filepath.Join(out, man.Corpus))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(cb, &corpus); err != nil {
		t.Fatal(err)
	}
	var texts []string
	heart := -1
	for i, c := range corpus.Concepts {
		texts = append(texts, c.Text)
		if c.Emoji == "❤️" {
			heart = i
		}
	}
	if err := eng.SetTexts(texts, nil); err != nil {
		t.Fatal(err)
	}
	hits, err := eng.SearchText("red heart", MaxRank)
	if err != nil {
		t.Fatal(err)
	}
	rank := 0
	for r, h := range hits {
		if h.Index == heart {
			rank = r + 1
			break
		}
	}
	if rank != ps[0].Rank || !strings.Contains(ps[0].What, "red heart") {
		t.Errorf("\"red heart\" → ❤️ at rank %d in the exported files, %d (%s) in the manifest", rank, ps[0].Rank, ps[0].What)
	}
	// The engine ranks as the manifest's "as the page ranks" row measures:
	// each corpus sentence's own image first as often as its R@1 says
	// (the gallery file rounds embeddings to float16: allow a few ties).
	top1 := 0
	for j, s := range texts {
		h, err := eng.SearchText(s, 1)
		if err != nil {
			t.Fatal(err)
		}
		if h[0].Index == j {
			top1++
		}
	}
	got, want := 100*float64(top1)/float64(len(texts)), man.Model.Eval[4].Float16.T2I[0]
	if math.Abs(got-want) > 0.5 {
		t.Errorf("engine: sentence → image R@1 %.2f over the whole gallery, manifest (%s) %.2f", got, man.Model.Eval[4].Name, want)
	}
	// the source-vendor upload is in-domain: the trained fixture finds it
	if src := ps[3]; !strings.Contains(src.What, "Twemoji image") || src.Rank < 1 {
		t.Errorf("source upload probe %v", src)
	}
}
