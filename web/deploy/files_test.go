package deploy

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"aeir/data"
	"aeir/model"
	"aeir/nn"
	"aeir/run"
	"aeir/train"
	"aeir/web"
	"aeir/web/internal/userdata"
)

// userRun trains opt (a run on the tiny user data set of package
// userdata) for one epoch, through the API aeir train uses: train.Options
// from train.Defaults, run.Prepare, train.New(…).Run.
func userRun(t *testing.T, opt train.Options) (string, *run.Run) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	if err := userdata.Train(dir, opt); err != nil {
		t.Fatal(err)
	}
	r, err := run.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, r
}

// readAsset reads an exported file and checks it against its SHA-256.
func readAsset(t *testing.T, dir, name, sum string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if sha(b) != sum {
		t.Errorf("%s: SHA-256 differs from the manifest", name)
	}
	return b
}

// checkEmbeddings compares a gallery file's embeddings with those the
// exported model computes natively for the same images (as float16, the
// gallery file's precision: the same values to 1e-5), and with those of
// the run's float32 weights (the same directions).
func checkEmbeddings(t *testing.T, out string, man *Manifest, runDir string, im *data.Images) {
	t.Helper()
	g := man.Galleries[0]
	meta, emb, hubs, err := web.DecodeGallery(readAsset(t, out, g.Embeddings, g.SHA256))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Count != im.N || meta.ModelSHA256 != man.Model.SHA256 || meta.Vendor != g.Vendor || hubs == nil || meta.Hub.Sentences != len(hubs.Sentences) {
		t.Fatalf("gallery header %+v", meta)
	}
	m16, _, _, err := model.Load(filepath.Join(out, man.Model.File))
	if err != nil {
		t.Fatal(err)
	}
	want := m16.EncodeGallery(im, nil)
	nn.RoundHalf(want)
	var worst float64
	for k := range want {
		worst = max(worst, math.Abs(float64(emb[k]-want[k])))
	}
	if worst > 1e-5 {
		t.Errorf("gallery embeddings differ from the exported model's by %g", worst)
	}
	m32, _, _, err := model.Load(filepath.Join(runDir, train.BestFile))
	if err != nil {
		t.Fatal(err)
	}
	f32 := m32.EncodeGallery(im, nil)
	d := meta.Dim
	for i := range im.N {
		var dot float64
		for k := range d {
			dot += float64(f32[i*d+k]) * float64(emb[i*d+k])
		}
		if dot < 0.995 {
			t.Errorf("image %d: cosine %.4f between the float32 weights' embedding and the exported one", i, dot)
		}
	}
}

// checkCorpus checks the corpus and labels against the whole target
// domain, and that an engine on the exported files ranks with them.
func checkCorpus(t *testing.T, out string, man *Manifest, whole *data.Collection) (Corpus, []string) {
	t.Helper()
	var c Corpus
	if err := json.Unmarshal(readAsset(t, out, man.Corpus, man.CorpusSHA256), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Concepts) != 0 || len(c.Sentences) != len(whole.Texts) {
		t.Fatalf("corpus: %d concepts, %d sentences; want every one of the target's %d sentences", len(c.Concepts), len(c.Sentences), len(whole.Texts))
	}
	texts, link := make([]string, len(c.Sentences)), make([]int, len(c.Sentences))
	for j, s := range c.Sentences {
		if s.Text != whole.Texts[j] || s.Image != whole.TextImage[j] || (whole.Short != nil) != (s.Short != "") {
			t.Errorf("sentence %d: %+v, want %q of image %d", j, s, whole.Texts[j], whole.TextImage[j])
		}
		// the generated data name colour and shape in the image's id
		// (a file name) and in every one of its sentences
		id := whole.ImageIDs[s.Image]
		k := -1
		for i := range userdata.Concepts {
			if strings.Contains(id, userdata.Colour(i)) && strings.Contains(id, userdata.Shape(i)) {
				k = i
			}
		}
		if k >= 0 && (!strings.Contains(s.Text, userdata.Colour(k)) || !strings.Contains(s.Text, userdata.Shape(k))) {
			t.Errorf("sentence %d %q is linked to image %s", j, s.Text, id)
		}
		texts[j], link[j] = s.Text, s.Image
	}
	g := man.Galleries[0]
	var l Labels
	if err := json.Unmarshal(readAsset(t, out, g.Labels, g.LabelsSHA), &l); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Labels, ImageLabels(whole)) || len(l.Labels) != g.Count {
		t.Errorf("labels %q", l.Labels)
	}
	eng, err := web.NewEngine(man.Model.File, readAsset(t, out, man.Model.File, man.Model.SHA256))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.SetGallery(g.Embeddings, readAsset(t, out, g.Embeddings, g.SHA256)); err != nil {
		t.Fatal(err)
	}
	if err := eng.SetTexts(texts, link); err != nil {
		t.Fatal(err)
	}
	if hs, err := eng.SearchText(texts[0], 10); err != nil || len(hs) != 10 {
		t.Errorf("search: %v %v", hs, err)
	}
	if _, rank, err := eng.ImageTexts(0, 5); err != nil || rank < 1 {
		t.Errorf("image 0's own sentence at rank %d (%v)", rank, err)
	}
	return c, l.Labels
}

// TestExportUserFiles exports a run on a user's table of PNG images: one
// gallery, the whole target domain, with its thumbnails, labels and every
// sentence; a site built from it carries them and none of VendorMoji's
// files.
func TestExportUserFiles(t *testing.T) {
	dir := t.TempDir()
	csv, err := userdata.WriteTable(dir)
	if err != nil {
		t.Fatal(err)
	}
	runDir, r := userRun(t, userdata.Options(csv+"#a", csv+"#b", 1))
	out := filepath.Join(dir, "assets")
	man, err := Export(ExportOptions{Run: runDir, Out: out, Attribution: "Shapes drawn by the test suite (CC0)."})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := run.Whole(r.Options.Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	mj, _ := json.MarshalIndent(man, "", "  ")
	t.Logf("manifest:\n%s", mj)
	m := man.Model
	if man.Kind != KindFiles || man.Dataset != "pairs.csv" || man.DefaultGallery != "b" || man.Attribution != "Shapes drawn by the test suite (CC0)." || man.TextStyle != "" ||
		m.Method != "source-only" || m.Dtype != "float16" || m.Source != "a" || m.Target != "b" || m.Scenario != "a→b" || m.Protocol != run.FileProtocol ||
		m.ImageSize != 32 || m.FeatureDim != 0 || m.TargetSHA256 != r.Options.Data.TargetSHA256 || m.TargetSHA256 == "" || len(m.Probes) != 0 || m.DataPixels != nil {
		t.Errorf("manifest %+v", man)
	}
	if len(man.Galleries) != 1 {
		t.Fatalf("%d galleries, want the target domain's", len(man.Galleries))
	}
	g := man.Galleries[0]
	if g.Count != whole.Images.N || g.Count != userdata.Concepts || g.Vendor != "b" || g.Role != "target" || g.Sprite != "gallery.png" || g.Tile != ThumbSize || g.Columns != 5 || g.Labels == "" {
		t.Errorf("gallery %+v: want the %d target images", g, whole.Images.N)
	}
	if len(m.Eval) != 2 || m.Eval[0].Images != 20 || m.Eval[0].Texts != 40 || !strings.Contains(m.Eval[1].Name, "as the page ranks") {
		t.Errorf("evaluations %+v: want the whole gallery, plainly and as the page ranks", m.Eval)
	}
	for _, ev := range m.Eval {
		if math.Abs(ev.Float32.RSum-ev.Float16.RSum) > 2 {
			t.Errorf("%s: rsum float32 %.2f, float16 %.2f", ev.Name, ev.Float32.RSum, ev.Float16.RSum)
		}
	}
	if again, err := ReadManifest(out); err != nil || !reflect.DeepEqual(again, man) {
		t.Errorf("read back: %v\n%+v", err, again)
	}
	checkEmbeddings(t, out, man, runDir, whole.Images)
	_, labels := checkCorpus(t, out, man, whole)
	if labels[0] != whole.Texts[0] {
		t.Errorf("label of image 0 %q, want its first sentence %q", labels[0], whole.Texts[0])
	}
	// The thumbnails are the 32-px images the model embedded.
	sheet, err := png.Decode(bytes.NewReader(readAsset(t, out, g.Sprite, g.SpriteSHA)))
	if err != nil {
		t.Fatal(err)
	}
	sm := data.ToNRGBA(sheet)
	if b := sm.Bounds(); b.Dx() != 5*32 || b.Dy() != 4*32 {
		t.Fatalf("sprite sheet %v", b)
	}
	for _, i := range []int{0, 7, 19} {
		want := whole.Images.At(i)
		for y := range 32 {
			o := sm.PixOffset((i%5)*32, (i/5)*32+y)
			if !bytes.Equal(sm.Pix[o:o+32*4], want.Pix[y*want.Stride:y*want.Stride+32*4]) {
				t.Fatalf("thumbnail %d differs from the image in row %d", i, y)
			}
		}
	}

	// A site of it: the user's thumbnails and labels, no VendorMoji
	// licences or figures.
	tmp := t.TempDir()
	fake := filepath.Join(tmp, "fake")
	os.WriteFile(fake, []byte("\x00asm stand-in"), 0o644)
	figs := filepath.Join(tmp, "figs")
	os.MkdirAll(figs, 0o755)
	os.WriteFile(filepath.Join(figs, "results.md"), []byte("| a | b |\n|---|---|\n| 1 | 2 |\n"), 0o644)
	site := filepath.Join(tmp, "dist")
	rep, err := BuildSite(SiteOptions{Root: "../..", Assets: out, Wasm: fake, WasmExec: fake, Figures: figs, Out: site, Brotli: 1})
	if err != nil {
		t.Fatal(err)
	}
	core := map[string]bool{}
	for _, f := range rep.Files {
		core[f.Path] = f.Core
	}
	for _, f := range []string{"site/assets/gallery.png", "site/assets/labels.json", "site/assets/gallery.aeir", "site/assets/corpus.json", "site/assets/model.aeir"} {
		if !core[f] {
			t.Errorf("%s is not in the first load (%v)", f, core)
		}
	}
	for _, f := range []string{"site/licenses/ATTRIBUTION.md", "site/assets/openmoji.png"} {
		if _, ok := core[f]; ok {
			t.Errorf("the site of a user's gallery has %s", f)
		}
	}
	if fj, _ := os.ReadFile(filepath.Join(site, "site/figures/figures.json")); string(fj) != "{}" {
		t.Errorf("figures.json %s: the VendorMoji figures on a user's page", fj)
	}
	// A damaged thumbnail sheet is refused like any other asset.
	os.WriteFile(filepath.Join(out, g.Sprite), []byte("not the sheet"), 0o644)
	if _, err := BuildSite(SiteOptions{Root: "../..", Assets: out, Wasm: fake, WasmExec: fake, Out: filepath.Join(tmp, "bad")}); err == nil || !strings.Contains(err.Error(), "re-run aeir export web") {
		t.Errorf("a changed sprite sheet: %v", err)
	}
}

// TestExportUserFeatures exports runs whose images are feature vectors:
// a precomp data set, labelled by short forms, and a table of PNG images
// read through the "pixels" backbone, whose thumbnails come from the
// pixels loaded again.
func TestExportUserFeatures(t *testing.T) {
	dir := t.TempDir()
	a, b, err := userdata.WritePrecomp(dir)
	if err != nil {
		t.Fatal(err)
	}
	runDir, r := userRun(t, userdata.Options(a, b, 1))
	out := filepath.Join(dir, "assets")
	man, err := Export(ExportOptions{Run: runDir, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := run.Whole(r.Options.Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := man.Galleries[0]
	if man.Kind != KindFiles || man.Model.FeatureDim != userdata.FeatureDim || man.Model.ImageSize != 0 || man.Dataset != "b_precomp" ||
		g.Sprite != "" || g.Tile != 0 || g.Labels == "" || g.Count != userdata.Concepts || !strings.Contains(man.Attribution, "b_precomp") {
		t.Errorf("manifest %+v, gallery %+v", man, g)
	}
	if len(man.Model.Eval) != 4 || !strings.Contains(man.Model.Eval[1].Name, "short form") {
		t.Errorf("%d evaluations: want the whole gallery with sentences and short forms, plainly and as the page ranks", len(man.Model.Eval))
	}
	checkEmbeddings(t, out, man, runDir, whole.Images)
	_, labels := checkCorpus(t, out, man, whole)
	if labels[0] != whole.Short[0] || !strings.Contains(labels[0], " ") {
		t.Errorf("label of image 0 %q, want its short form %q", labels[0], whole.Short[0])
	}
	if _, err := os.Stat(filepath.Join(out, "gallery.png")); err == nil {
		t.Error("a sprite sheet for feature vectors")
	}
	if _, err := Export(ExportOptions{Run: runDir, Out: t.TempDir(), Views: 3}); err == nil || !strings.Contains(err.Error(), "features") {
		t.Errorf("views of features: %v", err)
	}

	// A backbone: features for the model, the pixels for the thumbnails.
	csv, err := userdata.WriteTable(dir)
	if err != nil {
		t.Fatal(err)
	}
	opt := userdata.Options(csv+"#a", csv+"#b", 1)
	opt.Data.Backbone = &train.Backbone{Path: run.PixelsBackbone, Std: [3]float32{1, 1, 1}}
	runDir, r = userRun(t, opt)
	out = filepath.Join(dir, "assets-backbone")
	man, err = Export(ExportOptions{Run: runDir, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	g = man.Galleries[0]
	if man.Model.FeatureDim != 3*32*32 || man.Model.ImageSize != 0 || g.Sprite == "" || g.Tile != ThumbSize {
		t.Errorf("backbone run: model %+v, gallery %+v: want features and thumbnails", man.Model, g)
	}
	whole, err = run.Whole(r.Options.Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkEmbeddings(t, out, man, runDir, whole.Images)
}

// TestExportUserRefusals: the CCA baseline, a gallery over the budget and
// VendorMoji options are refused with a reason, and nothing is written.
func TestExportUserRefusals(t *testing.T) {
	dir := t.TempDir()
	csv, err := userdata.WriteTable(dir)
	if err != nil {
		t.Fatal(err)
	}
	opt := userdata.Options(csv+"#a", csv+"#b", 1)
	runDir, _ := userRun(t, opt)
	for _, c := range []struct {
		o    ExportOptions
		want string
	}{
		{ExportOptions{Run: runDir, MaxGalleryBytes: 4_000}, "over the page's budget of 4 KB"},
		{ExportOptions{Run: runDir, Vendors: []string{"openmoji"}}, "-galleries"},
	} {
		c.o.Out = filepath.Join(t.TempDir(), "assets")
		_, err := Export(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want it to say %q", c.o, err, c.want)
		} else {
			t.Logf("refused: %v", err)
		}
		if _, err := os.Stat(c.o.Out); !os.IsNotExist(err) {
			t.Errorf("the refused export left its folder %s behind (%v)", c.o.Out, err)
		}
	}
	// A CCA run (this data set has too few pairs to fit one: its
	// options.json is what Export reads first).
	var ro map[string]any
	b, _ := os.ReadFile(filepath.Join(runDir, train.OptionsFile))
	if err := json.Unmarshal(b, &ro); err != nil {
		t.Fatal(err)
	}
	ro["method"] = "cca"
	b, _ = json.Marshal(ro)
	ccaDir := filepath.Join(dir, "cca")
	os.MkdirAll(ccaDir, 0o755)
	os.WriteFile(filepath.Join(ccaDir, train.OptionsFile), b, 0o644)
	if _, err := Export(ExportOptions{Run: ccaDir, Out: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "CCA baseline") {
		t.Errorf("CCA run: %v", err)
	} else {
		t.Logf("refused: %v", err)
	}
}
