package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"aeir/internal/gallerydir"
	"aeir/model"
	"aeir/web/adapt"
	"aeir/web/deploy"
)

// adaptSteps is the budget of the browser tests: enough to change the
// model, small enough for make test.
const adaptSteps = 6

// Tolerances of the page's adapted model against the native one (the
// same Go code; the page runs it single-threaded with the WebAssembly
// kernels, native Go with two threads and its assembly kernels, so the
// float32 sums round differently): weights within weightTol, and the
// whole-gallery rsum within rsumTol points.
const (
	weightTol = 1e-4
	rsumTol   = 0.5
)

type evalRSum struct {
	RSum float64 `json:"rsum"`
	I2T  []float64
	T2I  []float64
}

// TestAdaptInPage drops the Noto gallery (the vendor the shipped model
// never trained on) into the page's "Your gallery" panel as image files,
// with the corpus as sentences, adapts it with a small budget while a
// main-thread probe runs, and checks the adapted model and the
// whole-gallery rsum as the page ranks against the same adaptation run
// natively; then Cancel (the model stays), reload (the gallery and the
// adapted model come back from IndexedDB) and remove. Screenshots before,
// during (the cancelled run) and after are saved for people to look at.
func TestAdaptInPage(t *testing.T) {
	needBrowser(t)
	if env.man.Adapt == nil {
		t.Fatal("the shipped site has no source pairs file (manifest adapt)")
	}
	folder, err := gallerydir.Write(env.ds, "noto", "en", nil, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n := len(folder.Images)
	d := newDemo(t, env.bctx, env.srv.URL)
	d.open("")
	eval[bool](d, `aeirDemo.user.restoreDone().then(() => aeirDemo.user.clear()).then(() => true)`)
	// The files go to a plain file input first: DevTools setting 1,906
	// files blocks the page's main thread by itself (about 0.5 s here),
	// which is the harness, not the page. Then the page reads them, as
	// its own inputs' change handlers do, with the probe on.
	eval[bool](d, `(() => { const i = document.createElement("input"); i.type = "file"; i.multiple = true; i.id = "t-files"; i.hidden = true; document.body.appendChild(i); return true })()`)
	d.do(chromedp.SetUploadFiles(chromedp.CSS("#t-files"), folder.Images))
	d.responsive("reading and embedding the gallery", func() {
		eval[bool](d, `(aeirDemo.user.load(document.getElementById("t-files").files), true)`)
		d.waitFor(fmt.Sprintf(`aeirDemo.user.state().images === %d && !aeirDemo.user.state().busy`, n), 5*time.Minute)
	})
	truth, _ := json.Marshal(folder.TextImage)
	pageEval := func() evalRSum {
		return eval[evalRSum](d, fmt.Sprintf(`aeirDemo.user.eval(%s)`, truth))
	}
	before := pageEval()
	typeQuery(d, "red heart")
	shot(d, "adapt-before.png", true)

	// Native: the same files through the same Go code.
	assets, err := deploy.ReadAdaptAssets(filepath.Join(env.root, "site", "assets"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := adapt.DecodeSource("source pairs", assets.Source)
	if err != nil {
		t.Fatal(err)
	}
	in := env.native.Info()
	g := adapt.NewGallery(in.ImageSize, in.Fit)
	if skipped, err := adapt.ReadDir(filepath.Dir(folder.Images[0]), g); err != nil || len(skipped) > 0 || len(g.Names) != n {
		t.Fatalf("native gallery: %d images, skipped %q, %v", len(g.Names), skipped, err)
	}
	nativeRSum := func(mf []byte) float64 {
		e, err := adapt.NewEngine(mf, g, assets.Sentences, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := e.Evaluate(folder.TextImage)
		if err != nil {
			t.Fatal(err)
		}
		return m.RSum
	}
	if nb := nativeRSum(assets.Model); math.Abs(nb-before.RSum) > 1e-9 {
		t.Errorf("before adapting: the page's whole-gallery rsum %.2f, native %.2f (the same model: want equal)", before.RSum, nb)
	}

	// Adapt, with the probe on the main thread.
	d.responsive("adapting", func() {
		eval[bool](d, fmt.Sprintf(`(window.__adapt = aeirDemo.user.adapt({steps: %d}), true)`, adaptSteps))
		d.waitAsync(`window.__adapt.then((r) => !r.cancelled && r.done === r.total)`, 5*time.Minute)
	})
	progress := msgOf(d, "u-adapt-step") + " " + msgOf(d, "u-adapt-msg")
	after := pageEval()
	typeQuery(d, "red heart")
	shot(d, "adapt-after.png", true)
	if !strings.Contains(progress, fmt.Sprint(adaptSteps)) {
		t.Errorf("the page's adaptation messages do not name the %d steps: %q", adaptSteps, progress)
	}
	if n := eval[int](d, `document.querySelectorAll("#u-before li").length + document.querySelectorAll("#u-after li").length`); n != 10 {
		t.Errorf("before/after view: %d thumbnails, want 5 + 5", n)
	}
	pageModel := pageModelFile(t, d)

	a, _, err := adapt.New(assets.Model, src, g, assets.Sentences, adapt.Request{Steps: adaptSteps})
	if err != nil {
		t.Fatal(err)
	}
	for a.Done() < a.Total() {
		if _, err := a.Step(); err != nil {
			t.Fatal(err)
		}
	}
	nm, err := a.Result()
	if err != nil {
		t.Fatal(err)
	}
	pm, meta, _, err := model.Read(bytes.NewReader(pageModel))
	if err != nil {
		t.Fatalf("the page's Download model file: %v", err)
	}
	if meta.Method != "aeir" || !strings.HasSuffix(meta.Scenario, "your gallery") {
		t.Errorf("the page's model file says method %q, scenario %q", meta.Method, meta.Scenario)
	}
	var maxDiff, maxStep float64
	start, _, _, _ := model.Read(bytes.NewReader(assets.Model))
	for i, p := range nm.Tensors() {
		q, s := pm.Tensors()[i], start.Tensors()[i]
		for k := range p.W {
			maxDiff = max(maxDiff, math.Abs(float64(p.W[k]-q.W[k])))
			maxStep = max(maxStep, math.Abs(float64(p.W[k]-s.W[k])))
		}
	}
	nf, err := adapt.ModelFile(nm, src.Domain)
	if err != nil {
		t.Fatal(err)
	}
	nativeAfter := nativeRSum(nf)
	t.Logf("Noto, %d images: whole-gallery rsum as the page ranks %.2f → %.2f in the page, %.2f natively; weights moved up to %.2g, page − native up to %.2g",
		n, before.RSum, after.RSum, nativeAfter, maxStep, maxDiff)
	if maxStep == 0 || maxStep < 10*maxDiff {
		t.Errorf("adapting moved the weights by at most %.2g, not clearly more than page and native differ (%.2g): nothing was trained", maxStep, maxDiff)
	}
	if maxDiff > weightTol {
		t.Errorf("the page's adapted weights differ from native Go's by up to %.2g (tolerance %g)", maxDiff, weightTol)
	}
	if math.Abs(after.RSum-nativeAfter) > rsumTol {
		t.Errorf("whole-gallery rsum after adapting: page %.2f, native %.2f (tolerance %g)", after.RSum, nativeAfter, rsumTol)
	}

	// Cancel: the model and the gallery stay as they were.
	eval[bool](d, `(window.__adapt = aeirDemo.user.adapt({steps: 200}), true)`)
	d.waitFor(`(() => { const p = aeirDemo.user.lastProgress(); return !!p && p.phase === "step" && p.done >= 2 })()`, 2*time.Minute)
	shot(d, "adapt-during.png", true) // outside the probe: a full-page capture blocks the page itself
	eval[bool](d, `(document.getElementById("u-cancel").click(), true)`)
	d.waitAsync(`window.__adapt.then((r) => r.cancelled)`, 2*time.Minute)
	if got := pageEval(); got.RSum != after.RSum {
		t.Errorf("after Cancel the rsum is %.2f, was %.2f: the model changed", got.RSum, after.RSum)
	}
	if !strings.Contains(strings.ToLower(msgOf(d, "u-adapt-msg")), "cancel") {
		t.Errorf("after Cancel the page says %q", msgOf(d, "u-adapt-msg"))
	}

	// Reload: the gallery and the adapted model come back.
	d.open("")
	eval[bool](d, `aeirDemo.user.restoreDone().then(() => true)`)
	st := eval[map[string]any](d, `aeirDemo.user.state()`)
	if st["images"] != float64(n) || st["adapted"] != true {
		t.Fatalf("after a reload: %v, want %d images and the adapted model", st, n)
	}
	if got := pageEval(); got.RSum != after.RSum {
		t.Errorf("after a reload the rsum is %.2f, was %.2f", got.RSum, after.RSum)
	}
	if m := pageModelFile(t, d); !bytes.Equal(m, pageModel) {
		t.Error("after a reload the model to download differs from the adapted one")
	}

	// Remove: nothing stays.
	eval[bool](d, `(document.getElementById("u-forget").click(), true)`)
	d.waitAsync(`aeirDemo.user.stored().then((s) => !s)`, stepTimeout)
	d.open("")
	eval[bool](d, `aeirDemo.user.restoreDone().then(() => true)`)
	if st := eval[map[string]any](d, `aeirDemo.user.state()`); st["images"] != float64(0) {
		t.Errorf("after Remove and a reload: %v, want no gallery", st)
	}
}

// typeQuery types a sentence into the user gallery's search box.
func typeQuery(d *demo, q string) {
	eval[bool](d, fmt.Sprintf(`(() => { const q = document.getElementById("u-q"); q.value = %q; q.dispatchEvent(new Event("input")); q.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter"})); return true })()`, q))
	d.waitFor(`document.querySelectorAll("#u-results li").length > 0`, stepTimeout)
}

// pageModelFile is the page's "Download model" file.
func pageModelFile(t *testing.T, d *demo) []byte {
	s := eval[string](d, `(() => { const m = aeirDemo.user.model(); let s = ""; for (let i = 0; i < m.length; i += 32768) s += String.fromCharCode.apply(null, m.subarray(i, i + 32768)); return btoa(s); })()`)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		t.Fatalf("the page's model: %d bytes, %v", len(b), err)
	}
	return b
}

// TestAdaptBadInputs gives the "Your gallery" panel each kind of bad
// input; each gets a clear message naming the problem.
func TestAdaptBadInputs(t *testing.T) {
	needBrowser(t)
	d := newDemo(t, env.bctx, env.srv.URL)
	d.open("")
	eval[bool](d, `aeirDemo.user.restoreDone().then(() => true)`)
	img := fmt.Sprintf(`new File([new Uint8Array(%s)], %%q, {type: "image/png"})`, jsBytes(goodPNG(t)))
	txt := func(name, content string) string {
		return fmt.Sprintf(`new File([%s], %q, {type: "text/plain"})`, jsString(content), name)
	}
	cases := []struct {
		what, files, sentences, want string
	}{
		{"no images", `[` + txt("notes.txt", "hello") + `]`, "null", "No images there"},
		{"one image", `[` + fmt.Sprintf(img, "a.png") + `]`, "null", "at least 2 images"},
		{"a sentences file with an empty line", `[` + fmt.Sprintf(img, "a.png") + `,` + fmt.Sprintf(img, "b.png") + `]`, txt("s.txt", "a red heart\n\na dog\n"), "Line 2"},
		{"a 6,000-line sentences file", `[` + fmt.Sprintf(img, "a.png") + `,` + fmt.Sprintf(img, "b.png") + `]`, txt("s.txt", strings.Repeat("a cat\n", 6000)), "at most 5000"},
		{"a gallery over the limit", `Array.from({length: 5001}, (_, i) => new File([new Uint8Array(8)], "x" + i + ".png", {type: "image/png"}))`, "null", "up to 5,000"},
	}
	for _, c := range cases {
		got := eval[string](d, fmt.Sprintf(`aeirDemo.user.load(%s, %s).then(() => "no error", (e) => e.message)`, c.files, c.sentences))
		if !strings.Contains(got, c.want) || msgOf(d, "u-msg") != got {
			t.Errorf("%s: %q (shown: %q), want a message with %q", c.what, got, msgOf(d, "u-msg"), c.want)
		}
	}
	// The panel's own file input: two images, and one of 512 px that the
	// browser decodes and scales (larger than the engine decodes itself).
	p1, p2 := writePNG(t, "u1.png", deploy.OpaqueTile(env.ds, "noto", 1, 1)), writePNG(t, "u2.png", deploy.OpaqueTile(env.ds, "noto", 2, 1))
	p3 := writePNG(t, "u3.png", deploy.OpaqueTile(env.ds, "noto", 3, 512/env.ds.Manifest.Size))
	d.do(chromedp.SetUploadFiles(chromedp.CSS("#u-files"), []string{p1, p2, p3}))
	d.waitFor(`aeirDemo.user.state().images === 3 && !aeirDemo.user.state().busy`, stepTimeout)
	if n := eval[int](d, `document.querySelectorAll("#u-results li").length`); n != 3 {
		t.Errorf("three images chosen with the panel's input: %d results shown", n)
	}
	// A non-image among images: the images are read, the other file is
	// named as skipped.
	got := eval[string](d, fmt.Sprintf(`aeirDemo.user.load([%s, %s, %s], null).then((r) => "ok " + r.images, (e) => e.message)`,
		fmt.Sprintf(img, "a.png"), fmt.Sprintf(img, "b.png"), txt("notes.txt", "not a picture")))
	if got != "ok 2" || !strings.Contains(msgOf(d, "u-skipped"), "notes.txt") {
		t.Errorf("a non-image among images: %q, skipped %q", got, msgOf(d, "u-skipped"))
	}
	bad := eval[string](d, fmt.Sprintf(`aeirDemo.user.load([%s, %s, new File([new Uint8Array([137, 80, 78, 71, 1, 2, 3])], "broken.png", {type: "image/png"})], null).then((r) => "ok " + r.images, (e) => e.message)`,
		fmt.Sprintf(img, "a.png"), fmt.Sprintf(img, "b.png")))
	if bad != "ok 2" || !strings.Contains(msgOf(d, "u-skipped"), "broken.png") {
		t.Errorf("a damaged PNG among images: %q, skipped %q", bad, msgOf(d, "u-skipped"))
	}
	eval[bool](d, `aeirDemo.user.clear().then(() => true)`)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// goodPNG is a small opaque drawing.
func goodPNG(t *testing.T) []byte {
	m := deploy.OpaqueTile(env.ds, "noto", 0, 1)
	p := writePNG(t, "good.png", m)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
