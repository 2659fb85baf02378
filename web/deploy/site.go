package deploy

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/andybalholm/brotli"
	"golang.org/x/image/draw"

	"aeir/data/vendormoji"
)

// SiteOptions say what BuildSite assembles.
type SiteOptions struct {
	Root     string    // repository root with index.html and site/ (default ".")
	Assets   string    // exported assets (default Root/site/assets)
	Wasm     string    // the engine built with GOOS=js GOARCH=wasm (required)
	WasmExec string    // wasm_exec.js of the Go toolchain that built Wasm (required)
	Figures  string    // optional tsne.png and results.md or results.csv (default Root/docs/figures)
	Out      string    // output directory: created, or replaced as a whole when a site build wrote it (required; see BuildSite)
	Brotli   int       // brotli quality 1…11 (0: 11); −1: no .br files
	Log      io.Writer // progress; nil for silence
}

// FileReport is one file of a built site.
type FileReport struct {
	Path   string `json:"path"` // slash-separated, relative to the site root
	Raw    int    `json:"raw"`
	Gzip   int    `json:"gzip"`   // size of the .gz copy, or Raw when the file is stored as is
	Brotli int    `json:"brotli"` // size of the .br copy, or Gzip when there is none
	Core   bool   `json:"core"`   // part of the first page load
	// Deferred marks a file the page loads after its first result
	// (precomputed sentence embeddings), which the service worker
	// precaches too.
	Deferred bool `json:"deferred,omitempty"`
}

// SiteReport lists a built site's files and its download sizes.
type SiteReport struct {
	Version string       `json:"version"` // content hash of the site: names the service worker's cache
	Files   []FileReport `json:"files"`
	// Core sums the files of the first page load: page, scripts, engine,
	// model, default gallery (sprite and embeddings) and corpus.
	CoreRaw, CoreGzip, CoreBrotli int
	// Deferred sums the files the page loads after its first result.
	DeferredRaw, DeferredGzip, DeferredBrotli int
	TotalRaw, TotalGzip, TotalBrotli          int
	Method                                    string `json:"method"`
}

// static sources copied from site/ (the assets come from Assets).
var staticExt = []string{".js", ".css", ".svg", ".png", ".ico", ".webmanifest"}

// compressible file types get .gz and .br copies.
var compressExt = []string{".html", ".js", ".css", ".svg", ".json", ".wasm", ".aeir", ".md", ".txt", ".webmanifest"}

// BuildSite assembles the static demo in o.Out:
//
//	index.html, sw.js, build.json
//	site/         app.js, worker.js, style.css, … (from Root/site)
//	site/aeir.wasm, site/wasm_exec.js
//	site/assets/  manifest, model, gallery embeddings, corpus, its sentence
//	              embeddings, sprite sheets (and a user's gallery's labels)
//	site/licenses ATTRIBUTION.md and the data packages' licences (VendorMoji)
//	site/figures  figures.json, with tsne.png and the results table when
//	              Figures has them (VendorMoji: they describe its benchmark)
//
// The sprite sheets of VendorMoji galleries come from the embedded data
// set; those of a user's gallery (a KindFiles manifest) from Assets, like
// every other asset checked against the manifest's SHA-256.
//
// Every compressible file gets precompressed .gz and .br siblings. The
// directory is built beside o.Out and renamed into place, so o.Out is
// always a complete site, and nothing is left half-written on error.
//
// o.Out is replaced only when it is missing, empty, or a site build wrote
// it: it holds the SiteMarker file with its content (or, from a build
// before the marker, a build.json listing every file in it). Any other
// directory — the site's sources, a home directory — is refused, naming
// it and saying why, before anything is built.
func BuildSite(o SiteOptions) (*SiteReport, error) {
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	if err := checkOut(o.Out); err != nil {
		return nil, err
	}
	man, err := ReadManifest(o.Assets)
	if err != nil {
		return nil, fmt.Errorf("%v\n(export the model first: aeir export web -run runs/<run> -out %s)", err, o.Assets)
	}
	b, err := newBuilder(o.Out)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(b.dir) // after a successful rename this is a no-op
	swTemplate, err := b.copyPage(o.Root)
	if err != nil {
		return nil, err
	}
	if err := b.copyEngine(o); err != nil {
		return nil, err
	}
	if err := b.copyAssets(o.Assets, man); err != nil {
		return nil, err
	}
	if err := b.writeFigures(o, man); err != nil {
		return nil, err
	}
	version, core, err := b.serviceWorker(swTemplate, man)
	if err != nil {
		return nil, err
	}
	rep := &SiteReport{Version: version, Method: man.Model.Method}
	if err := b.compress(rep, o.Brotli, core, deferredFiles(man)); err != nil {
		return nil, err
	}
	if err := b.writeReport(rep); err != nil {
		return nil, err
	}
	if err := swapInto(b.dir, o.Out); err != nil {
		return nil, err
	}
	return rep, nil
}

// setDefaults fills in Root, Assets, Figures and Brotli, and requires
// Out, Wasm and WasmExec.
func (o *SiteOptions) setDefaults() error {
	if o.Root == "" {
		o.Root = "."
	}
	if o.Assets == "" {
		o.Assets = filepath.Join(o.Root, "site", "assets")
	}
	if o.Figures == "" {
		o.Figures = filepath.Join(o.Root, "docs", "figures")
	}
	if o.Brotli == 0 {
		o.Brotli = 11
	}
	if o.Out == "" || o.Wasm == "" || o.WasmExec == "" {
		return errors.New("site: Out, Wasm and WasmExec are required")
	}
	return nil
}

// newBuilder makes the private build directory beside out (its parent
// made if need be), which the caller removes when done.
func newBuilder(out string) (*builder, error) {
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".build*")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return &builder{dir: tmp, files: map[string][]byte{}}, nil
}

// copyPage copies index.html and the static sources of root/site, and
// returns the service worker's template, root/site/sw.js (written by
// serviceWorker).
func (b *builder) copyPage(root string) (swTemplate []byte, err error) {
	if err := b.copyFile("index.html", filepath.Join(root, "index.html")); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(filepath.Join(root, "site"))
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !slices.Contains(staticExt, filepath.Ext(name)) {
			continue
		}
		if name == "sw.js" { // the service worker is served from the root, so its scope covers the page
			if swTemplate, err = os.ReadFile(filepath.Join(root, "site", name)); err != nil {
				return nil, err
			}
			continue
		}
		if err := b.copyFile("site/"+name, filepath.Join(root, "site", name)); err != nil {
			return nil, err
		}
	}
	if swTemplate == nil {
		return nil, fmt.Errorf("site: %s is missing", filepath.Join(root, "site", "sw.js"))
	}
	return swTemplate, nil
}

// copyEngine copies the WebAssembly engine and its wasm_exec.js.
func (b *builder) copyEngine(o SiteOptions) error {
	if err := b.copyFile("site/aeir.wasm", o.Wasm); err != nil {
		return err
	}
	return b.copyFile("site/wasm_exec.js", o.WasmExec)
}

// copyAssets copies the manifest and what it names from the assets
// directory, each checked against its SHA-256, and for VendorMoji the
// sprite sheets and licences of the embedded data set (vendorMojiFiles).
func (b *builder) copyAssets(assets string, man *Manifest) error {
	if err := b.copyFile("site/assets/"+ManifestFile, filepath.Join(assets, ManifestFile)); err != nil {
		return err
	}
	want := map[string]string{man.Model.File: man.Model.SHA256, man.Corpus: man.CorpusSHA256}
	if man.Sentences != "" {
		want[man.Sentences] = man.SentencesSHA256
	}
	for _, g := range man.Galleries {
		want[g.Embeddings] = g.SHA256
		if man.IsFiles() { // a user's gallery brings its thumbnails and labels
			if g.Sprite != "" {
				want[g.Sprite] = g.SpriteSHA
			}
			if g.Labels != "" {
				want[g.Labels] = g.LabelsSHA
			}
		}
	}
	for name, sum := range want {
		p := filepath.Join(assets, name)
		if err := b.copyFile("site/assets/"+name, p); err != nil {
			return err
		}
		if got := sha(b.files["site/assets/"+name]); got != sum {
			return fmt.Errorf("%s does not match %s (SHA-256 %.12s…, manifest says %.12s…): re-run aeir export web", p, filepath.Join(assets, ManifestFile), got, sum)
		}
	}
	if man.IsFiles() {
		return nil
	}
	return b.vendorMojiFiles(man, filepath.Join(assets, ManifestFile))
}

// writeFigures writes site/figures/figures.json, with the figures when
// the figure makers have written them (they describe the VendorMoji
// benchmark: not for a user's gallery).
func (b *builder) writeFigures(o SiteOptions, man *Manifest) error {
	figures := map[string]any{}
	if !man.IsFiles() {
		if err := b.figures(o, figures); err != nil {
			return err
		}
	}
	fj, _ := json.MarshalIndent(figures, "", "  ")
	return b.write("site/figures/figures.json", fj)
}

// serviceWorker writes sw.js from its template: its cache is named after
// the content of every other file (the version it returns), and it
// precaches the first page load (core, the URLs it returns) and the files
// the page loads right after it (deferredFiles).
func (b *builder) serviceWorker(swTemplate []byte, man *Manifest) (version string, core []string, err error) {
	version = b.version()
	core = coreFiles(man) // the figure loads lazily, when scrolled to, and is cached then
	coreJSON, _ := json.Marshal(append(slices.Clone(core), deferredFiles(man)...))
	sw := bytes.Replace(swTemplate, []byte(`"__BUILD__"`), []byte(fmt.Sprintf("%q", version)), 1)
	sw = bytes.Replace(sw, []byte(`["__CORE__"]`), coreJSON, 1)
	if bytes.Contains(sw, []byte("__BUILD__")) || bytes.Contains(sw, []byte("__CORE__")) {
		return "", nil, errors.New(`site/sw.js: want one "__BUILD__" and one ["__CORE__"] placeholder`)
	}
	if err := b.write("sw.js", sw); err != nil {
		return "", nil, err
	}
	return version, core, nil
}

// vendorMojiFiles writes the VendorMoji galleries' sprite sheets (checked
// against the manifest), the data set's attribution and its packages'
// licences.
func (b *builder) vendorMojiFiles(man *Manifest, manifestPath string) error {
	for _, g := range man.Galleries {
		sheet, err := vendormoji.ReadFile(g.Vendor + ".png")
		if err != nil {
			return err
		}
		if sha(sheet) != g.SpriteSHA {
			return fmt.Errorf("%s: the %s sprite sheet differs from the one the model was exported with: re-run aeir export web", manifestPath, g.Vendor)
		}
		if err := b.write("site/assets/"+g.Sprite, sheet); err != nil {
			return err
		}
	}
	attr, err := vendormoji.ReadFile("ATTRIBUTION.md")
	if err != nil {
		return err
	}
	if err := b.write("site/licenses/ATTRIBUTION.md", attr); err != nil {
		return err
	}
	for _, l := range []string{"emoji-datasource-twitter", "emoji-datasource-google", "openmoji", "emoji-datasource", "cldr-annotations-full", "cldr-annotations-derived-full", "emojibase-data"} {
		t, err := vendormoji.ReadFile("licenses/" + l + ".txt")
		if err != nil {
			return err
		}
		if err := b.write("site/licenses/"+l+".txt", t); err != nil {
			return err
		}
	}
	return nil
}

// figures adds the t-SNE figure and the results table, when the figure
// makers have written them.
func (b *builder) figures(o SiteOptions, figures map[string]any) error {
	if t, err := os.ReadFile(filepath.Join(o.Figures, "tsne.png")); err == nil {
		if t, err = webFigure(t, figureWidth); err != nil {
			return fmt.Errorf("%s: %v", filepath.Join(o.Figures, "tsne.png"), err)
		}
		if err := b.write("site/figures/tsne.png", t); err != nil {
			return err
		}
		figures["tsne"] = "site/figures/tsne.png"
	}
	if tab, src, err := readResults(o.Figures, filepath.Join(o.Root, "docs", "results.md")); err != nil {
		return err
	} else if tab != nil {
		figures["results"] = tab
		figures["results_source"] = src
	}
	return nil
}

// compress writes the .gz and .br copies of every compressible file that
// they make smaller (no .br when brotli < 0), and adds each file with its
// sizes to rep, summing the first page load's (core, as the service
// worker lists it, and sw.js).
func (b *builder) compress(rep *SiteReport, brotli int, core, deferred []string) error {
	names := make([]string, 0, len(b.files))
	for n := range b.files {
		names = append(names, n)
	}
	sort.Strings(names)
	isCore := map[string]bool{}
	for _, c := range core {
		isCore[strings.SplitN(c, "?", 2)[0]] = true
	}
	isCore["sw.js"] = true
	delete(isCore, "build.json") // written after the report
	isDeferred := map[string]bool{}
	for _, c := range deferred {
		isDeferred[strings.SplitN(c, "?", 2)[0]] = true
	}
	for _, n := range names {
		raw := b.files[n]
		fr := FileReport{Path: n, Raw: len(raw), Gzip: len(raw), Brotli: len(raw), Core: isCore[n], Deferred: isDeferred[n]}
		if slices.Contains(compressExt, path.Ext(n)) {
			if gz := gzipBytes(raw); len(gz) < len(raw)*97/100 {
				fr.Gzip = len(gz)
				if err := b.writeOnly(n+".gz", gz); err != nil {
					return err
				}
			}
			fr.Brotli = fr.Gzip
			if brotli >= 0 {
				if br := brotliBytes(raw, brotli); len(br) < fr.Gzip {
					fr.Brotli = len(br)
					if err := b.writeOnly(n+".br", br); err != nil {
						return err
					}
				}
			}
		}
		rep.Files = append(rep.Files, fr)
		rep.TotalRaw += fr.Raw
		rep.TotalGzip += fr.Gzip
		rep.TotalBrotli += fr.Brotli
		if fr.Core {
			rep.CoreRaw += fr.Raw
			rep.CoreGzip += fr.Gzip
			rep.CoreBrotli += fr.Brotli
		}
		if fr.Deferred {
			rep.DeferredRaw += fr.Raw
			rep.DeferredGzip += fr.Gzip
			rep.DeferredBrotli += fr.Brotli
		}
	}
	return nil
}

// writeReport writes build.json, the report, and the SiteMarker that
// lets the next build replace the site.
func (b *builder) writeReport(rep *SiteReport) error {
	rj, _ := json.MarshalIndent(rep, "", "  ")
	if err := b.writeOnly("build.json", rj); err != nil {
		return err
	}
	return b.writeOnly(SiteMarker, []byte(siteMarkerText))
}

// swapInto renames the finished directory dir to out, replacing out when
// checkOut still allows it (checked again: out may have changed during
// the build).
func swapInto(dir, out string) error {
	if err := checkOut(out); err != nil {
		return err
	}
	old := ""
	if _, err := os.Lstat(out); err == nil {
		old = fmt.Sprintf("%s.old-%d", out, time.Now().UnixNano())
		if err := os.Rename(out, old); err != nil {
			return fmt.Errorf("site: cannot move the previous build %s aside: %v", out, err)
		}
	}
	if err := os.Rename(dir, out); err != nil {
		if old != "" {
			os.Rename(old, out)
		}
		return fmt.Errorf("site: cannot move the new build into %s: %v", out, err)
	}
	if old != "" {
		os.RemoveAll(old) // the previous build, checked by checkOut
	}
	return nil
}

// SiteMarker is the file BuildSite writes into every site it builds (the
// server does not serve dot files): its presence, with siteMarkerText as
// content, is what allows the next build to replace the directory.
const SiteMarker = ".aeir-site"

const siteMarkerText = "aeir export site built this directory; the next build replaces it as a whole.\n"

// checkOut refuses an output directory that a site build did not write:
// only a missing or empty directory, or one with the SiteMarker (or a
// complete build.json of a build before the marker), may be replaced.
func checkOut(out string) error {
	fi, err := os.Lstat(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("site: output directory %s: %v", out, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("site: refusing to replace %s: it is a symbolic link, not a directory a site build wrote; give the directory it points to, or a new one, as -out", out)
	case !fi.IsDir():
		return fmt.Errorf("site: refusing to replace %s: it is a file, not a directory a site build wrote; choose a new or empty directory as -out", out)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("site: output directory %s: %v", out, err)
	}
	if len(ents) == 0 {
		return nil
	}
	if m, err := os.ReadFile(filepath.Join(out, SiteMarker)); err == nil && string(m) == siteMarkerText {
		return nil
	}
	if legacyBuild(out) {
		return nil
	}
	return fmt.Errorf("site: refusing to replace %s: it holds files that no site build wrote (no %s marker), and the build replaces its output directory as a whole; choose a new or empty directory as -out (or delete %s yourself if it is an old build)", out, SiteMarker, out)
}

// legacyBuild reports whether dir is a site built before SiteMarker
// existed: its build.json lists every file in it (with their .gz and .br
// copies), and there is nothing else.
func legacyBuild(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "build.json"))
	if err != nil {
		return false
	}
	var rep SiteReport
	if json.Unmarshal(b, &rep) != nil || rep.Version == "" || len(rep.Files) == 0 {
		return false
	}
	listed := map[string]bool{"build.json": true}
	for _, f := range rep.Files {
		listed[f.Path], listed[f.Path+".gz"], listed[f.Path+".br"] = true, true, true
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.Type().IsRegular() || !listed[filepath.ToSlash(rel)] {
			return errors.New("not a build file")
		}
		return nil
	})
	return err == nil
}

// coreFiles are the URLs (relative to the site root) of the first page
// load, as the page requests them.
func coreFiles(man *Manifest) []string {
	core := []string{"./", "index.html", "site/style.css", "site/app.js", "site/worker.js", "site/wasm_exec.js", "site/aeir.wasm",
		"site/favicon.svg", "build.json", "site/figures/figures.json",
		"site/assets/" + ManifestFile,
		"site/assets/" + man.Model.File + "?v=" + man.Model.SHA256[:12],
		"site/assets/" + man.Corpus + "?v=" + man.CorpusSHA256[:12]}
	for _, g := range man.Galleries {
		if g.Vendor == man.DefaultGallery {
			core = append(core, "site/assets/"+g.Embeddings+"?v="+g.SHA256[:12])
			if g.Sprite != "" {
				core = append(core, "site/assets/"+g.Sprite+"?v="+g.SpriteSHA[:12])
			}
			if g.Labels != "" {
				core = append(core, "site/assets/"+g.Labels+"?v="+g.LabelsSHA[:12])
			}
		}
	}
	return core
}

// deferredFiles are the URLs of the files the page loads after its first
// result: the corpus's precomputed sentence embeddings, which only image →
// sentence search needs (not part of the first load's budget).
func deferredFiles(man *Manifest) []string {
	if man.Sentences == "" {
		return nil
	}
	return []string{"site/assets/" + man.Sentences + "?v=" + man.SentencesSHA256[:12]}
}

type builder struct {
	dir   string
	files map[string][]byte // site path → content (not the .gz/.br copies)
}

func (b *builder) copyFile(rel, src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return b.write(rel, data)
}

func (b *builder) write(rel string, data []byte) error {
	b.files[rel] = data
	return b.writeOnly(rel, data)
}

func (b *builder) writeOnly(rel string, data []byte) error {
	p := filepath.Join(b.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644) // inside the private build directory: renamed whole when done
}

// version hashes every file's path and content.
func (b *builder) version() string {
	names := make([]string, 0, len(b.files))
	for n := range b.files {
		names = append(names, n)
	}
	sort.Strings(names)
	var all bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&all, "%s %s\n", n, sha(b.files[n]))
	}
	return sha(all.Bytes())[:16]
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func brotliBytes(b []byte, quality int) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, quality)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// ResultsTable is the results table shown on the page.
type ResultsTable struct {
	Header []string   `json:"header"`
	Rows   [][]string `json:"rows"`
}

// figureWidth is the width figures are scaled down to for the page: twice
// the width they are shown at, for high-density screens.
const figureWidth = 1100

// webFigure scales a print-resolution PNG down to width pixels (if wider),
// with Catmull–Rom filtering, so the page does not download 300 dpi.
func webFigure(b []byte, width int) ([]byte, error) {
	src, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	r := src.Bounds()
	if r.Dx() <= width {
		return b, nil
	}
	h := (r.Dy()*width + r.Dx()/2) / r.Dx()
	dst := image.NewNRGBA(image.Rect(0, 0, width, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, r, draw.Src, nil)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, dst); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readResults reads the results table: docs/figures/results.md (its first
// markdown table) or results.csv, else the first table between the
// benchmark markers of docs/results.md (<!-- bench:image:begin --> … end),
// which aeir bench -readme docs/results.md writes.
// None is fine (nil).
func readResults(dir, doc string) (*ResultsTable, string, error) {
	if b, err := os.ReadFile(filepath.Join(dir, "results.md")); err == nil {
		t := parseMarkdownTable(string(b))
		if t == nil {
			return nil, "", fmt.Errorf("%s holds no markdown table", filepath.Join(dir, "results.md"))
		}
		return t, "results.md", nil
	}
	if b, err := os.ReadFile(filepath.Join(dir, "results.csv")); err == nil {
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil || len(recs) < 2 {
			return nil, "", fmt.Errorf("%s: want a header and rows (%v)", filepath.Join(dir, "results.csv"), err)
		}
		return &ResultsTable{Header: recs[0], Rows: recs[1:]}, "results.csv", nil
	}
	if b, err := os.ReadFile(doc); err == nil {
		const begin, end = "<!-- bench:image:begin -->", "<!-- bench:image:end -->"
		s := string(b)
		if i := strings.Index(s, begin); i >= 0 {
			if j := strings.Index(s[i:], end); j >= 0 {
				if t := parseMarkdownTable(s[i+len(begin) : i+j]); t != nil {
					return t, "docs/results.md", nil
				}
			}
		}
	}
	return nil, "", nil
}

func parseMarkdownTable(s string) *ResultsTable {
	var t *ResultsTable
	cells := func(line string) []string {
		line = strings.TrimSpace(line)
		line = strings.TrimPrefix(strings.TrimSuffix(line, "|"), "|")
		parts := strings.Split(line, "|")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts
	}
	lines := strings.Split(s, "\n")
	for i := 0; i+1 < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		sep := strings.TrimSpace(lines[i+1])
		if t == nil && strings.HasPrefix(l, "|") && strings.HasPrefix(sep, "|") && strings.Trim(sep, "|-: ") == "" {
			t = &ResultsTable{Header: cells(l)}
			for j := i + 2; j < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j]), "|"); j++ {
				t.Rows = append(t.Rows, cells(lines[j]))
			}
			return t
		}
	}
	return nil
}
