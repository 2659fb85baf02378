package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"aeir/data/vendormoji"
	"aeir/model"
	"aeir/nn"
	"aeir/web"
	"aeir/web/deploy"
)

// TestPipelineMatchesNative checks that the browser runs the same
// pipeline as Go natively: identical tokeniser ids, the same sentence and
// image embeddings (the WebAssembly build multiplies matrices with its
// SIMD kernels, natively with AVX2/FMA assembly: they agree to 1e-5), and
// the same rankings. The page runs its SIMD kernels here.
func TestPipelineMatchesNative(t *testing.T) {
	needBrowser(t)
	d := newDemo(t, env.bctx, env.srv.URL)
	d.open("")
	if got := eval[string](d, `aeirDemo.state().simd`); got != "on" {
		t.Fatalf("the engine runs without its SIMD kernels (%q); this test is about them", got)
	}
	checkPipeline(t, d)
}

// TestFallbackWithoutSIMD turns the SIMD kernels off (?simd=off, as a
// browser without WebAssembly SIMD gets them): the page still starts and
// answers as native Go does, and its image embeddings are bit for bit
// those of the SIMD kernels, which compute the same sums in the same
// order.
func TestFallbackWithoutSIMD(t *testing.T) {
	needBrowser(t)
	d := newDemo(t, env.bctx, env.srv.URL)
	d.open("?simd=off")
	if got := eval[string](d, `aeirDemo.state().simd`); got != "turned off by the page" {
		t.Fatalf("the page reports the SIMD kernels as %q, want them turned off", got)
	}
	checkPipeline(t, d)
	withSIMD := newDemo(t, env.bctx, env.srv.URL)
	withSIMD.open("")
	for _, id := range []int{3, 700} {
		m := deploy.OpaqueTile(d.ds, "twemoji", id, 1)
		w := m.Rect.Dx()
		js := fmt.Sprintf(`aeirDemo.request("encodeImage", {pixels: new Uint8Array(%s).buffer, width: %d, height: %d}).then(r => r.embedding)`, jsBytes(m.Pix), w, w)
		pure, fast := eval[[]float32](d, js), eval[[]float32](withSIMD, js)
		if len(pure) == 0 || !slices.Equal(pure, fast) {
			t.Errorf("image embedding of concept %d: pure-Go kernels and SIMD kernels differ (max %g)", id, maxDiff(pure, fast))
		}
	}
	got, want := d.search("thumbs up"), withSIMD.search("thumbs up")
	if !slices.Equal(got, want) {
		t.Errorf("“thumbs up”: pure-Go kernels rank %v, SIMD kernels %v", got, want)
	}
}

// checkPipeline compares the page's tokeniser, embeddings and rankings
// with native Go's.
func checkPipeline(t *testing.T, d *demo) {
	t.Helper()
	for _, s := range []string{"red heart", "Dog face: adorbs, animal, pet", "ｆｕｌｌwidth ÉCOLE naïve", "イヌの顔: ペット", "🐶 dog!!", "a"} {
		got := eval[[]int32](d, fmt.Sprintf(`aeirDemo.request("tokenIDs", {text: %q}).then(r => r.ids)`, s))
		want := d.native.TokenIDs(s)
		if !slices.Equal(got, want) {
			t.Errorf("tokeniser ids of %q differ:\n wasm   %v\n native %v", s, got, want)
		}
		if len(want) == 0 {
			continue
		}
		emb := eval[[]float32](d, fmt.Sprintf(`aeirDemo.request("encodeText", {text: %q}).then(r => r.embedding)`, s))
		nat, _ := d.native.EncodeText(s)
		if dmax := maxDiff(emb, nat); dmax > 1e-5 {
			t.Errorf("sentence embedding of %q differs by %g", s, dmax)
		}
	}
	for _, id := range []int{0, 5, 1000, 1905} {
		m := deploy.OpaqueTile(d.ds, "openmoji", id, 1)
		w := m.Rect.Dx()
		js := fmt.Sprintf(`aeirDemo.request("encodeImage", {pixels: new Uint8Array(%s).buffer, width: %d, height: %d}).then(r => r.embedding)`, jsBytes(m.Pix), w, w)
		emb := eval[[]float32](d, js)
		nat, err := d.native.EncodeImage(m.Pix, w, w)
		if err != nil {
			t.Fatal(err)
		}
		if dmax := maxDiff(emb, nat); dmax > 1e-5 {
			t.Errorf("image embedding of concept %d differs by %g", id, dmax)
		}
	}
	for _, q := range []string{"red heart", "dog", "smiling face with sunglasses", "flag"} {
		got := d.search(q)
		hits, _ := d.native.SearchText(q, web.MaxK)
		if !agree(got, hits) {
			t.Errorf("%q: the page ranks %v, native Go %v", q, got, hits[:10])
		}
	}
}

// agree reports whether the page's ranking got is the native ranking,
// up to the order of items whose native scores differ by less than 1e-5
// (the WebAssembly and native matrix kernels round differently, so such
// near-ties may come out either way). native holds more hits than got.
func agree(got []int, native []web.Hit) bool {
	score := map[int]float32{}
	for _, h := range native {
		score[h.Index] = h.Score
	}
	if len(got) > len(native) {
		return false
	}
	for r, i := range got {
		s, ok := score[i]
		if !ok || math.Abs(float64(s-native[r].Score)) >= 1e-5 {
			return false
		}
	}
	seen := map[int]bool{}
	for _, i := range got {
		if seen[i] {
			return false
		}
		seen[i] = true
	}
	return true
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

func jsBytes(b []byte) string {
	var s strings.Builder
	s.WriteString("[")
	for i, v := range b {
		if i > 0 {
			s.WriteString(",")
		}
		fmt.Fprint(&s, v)
	}
	s.WriteString("]")
	return s.String()
}

// TestSearchAndClick is the demo's main path: type, see ranked images,
// click one, see its sentences. It saves the screenshot for people to
// look at.
func TestSearchAndClick(t *testing.T) {
	needBrowser(t)
	d := newDemo(t, env.bctx, env.srv.URL)
	d.open("")
	badge := eval[string](d, `document.getElementById("method-badge").textContent`)
	method := d.man.Model.Method
	if method == "aeir" && !strings.Contains(badge, "AEIR") || method != "aeir" && strings.Contains(badge, "AEIR") {
		t.Errorf("badge %q for a %s model", badge, method)
	}
	t.Logf("model: %s (%s)", badge, eval[string](d, `document.getElementById("model-desc").textContent`))

	heart := d.search("red heart")
	r := rankOf(heart, d.conceptIndex("❤️"))
	d.quality(r >= 1 && r <= 5, `"red heart" → ❤️ %s (want rank ≤ 5)`, rankText(r, len(heart)))
	dog := d.search("dog")
	r = rankOf(dog, d.conceptIndex("🐶", "🐕"))
	d.quality(r >= 1 && r <= 10, `"dog" → 🐶 or 🐕 %s (want rank ≤ 10)`, rankText(r, len(dog)))
	if len(heart) != 10 || len(dog) != 10 {
		t.Fatalf("%d and %d results, want 10", len(heart), len(dog))
	}
	// The page ranks as native Go does, and as the export recorded in the
	// manifest (its probes look down to rank 100, the page shows 10).
	for _, q := range []struct {
		query string
		got   []int
		want  []int
	}{{"red heart", heart, d.conceptIndex("❤️")}, {"dog", dog, d.conceptIndex("🐶", "🐕")}} {
		native, err := env.native.SearchText(q.query, web.MaxK)
		if err != nil {
			t.Fatal(err)
		}
		if !agree(q.got, native) {
			t.Errorf("%q: page ranks %v, native Go %v", q.query, q.got, native[:10])
		}
		found := false
		for _, p := range d.man.Model.Probes {
			if !strings.HasPrefix(p.What, fmt.Sprintf("%q →", q.query)) {
				continue
			}
			found = true
			want := p.Rank
			if want > 10 {
				want = 0
			}
			if r := rankOf(q.got, q.want); r != want {
				t.Errorf("%q: rank %d on the page, the manifest recorded %d", q.query, r, p.Rank)
			}
		}
		if !found {
			t.Errorf("the manifest records no probe for %q", q.query)
		}
	}

	d.search("dog")
	shot(d, "demo-dog.png", false)

	// Every image has alt text.
	if n := eval[int](d, `document.querySelectorAll("img:not([alt])").length`); n != 0 {
		t.Errorf("%d images without alt text", n)
	}

	// Click the best image: its sentences appear, with its own sentence's rank.
	d.search("red heart")
	d.do(chromedp.Click(chromedp.CSS(`#image-results .card`)))
	d.waitFor(`document.querySelectorAll("#text-results li").length === 10`, stepTimeout)
	title := eval[string](d, `document.getElementById("query-title").textContent`)
	first := d.ds.Concepts[heart[0]].Name
	if !strings.Contains(title, first) {
		t.Errorf("sentences titled %q after clicking %q", title, first)
	}
	got := sentenceRanking(d)
	hits, rank, _ := d.native.ImageTexts(heart[0], web.MaxK)
	if !agree(got, hits) {
		t.Errorf("sentences for image %d: page %v, native %v", heart[0], got, hits[:10])
	}
	note := eval[string](d, `document.getElementById("query-note").textContent`)
	if !strings.Contains(note, fmt.Sprintf("#%d ", rank)) && !strings.Contains(note, fmt.Sprintf("#%s ", thousands(rank))) {
		t.Errorf("note %q, own sentence rank %d", note, rank)
	}
	shot(d, "demo.png", false)
	shot(d, "demo-full.png", true)
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func shot(d *demo, name string, full bool) {
	d.t.Helper()
	var png []byte
	var err error
	if full {
		png, err = chromedp.Run(d.ctx, chromedp.FullScreenshot(100))
	} else {
		eval[bool](d, `(window.scrollTo(0, 0), true)`)
		png, err = chromedp.Run(d.ctx, chromedp.CaptureScreenshot())
	}
	if err != nil {
		d.t.Fatal(err)
	}
	p := filepath.Join(env.artifacts, name)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, png, 0o644); err != nil {
		d.t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		d.t.Fatal(err)
	}
	d.t.Logf("screenshot: %s", p)
}

// TestKeyboardOnly drives the page with keys alone: "/" focuses the
// search box, Tab reaches the results, Enter opens an image's sentences.
func TestKeyboardOnly(t *testing.T) {
	needBrowser(t)
	d := newDemo(t, env.bctx, env.srv.URL)
	d.open("")
	eval[bool](d, `document.activeElement.blur() || true`)
	d.do(chromedp.KeyEvent("/"))
	if id := eval[string](d, `document.activeElement.id`); id != "q" {
		t.Fatalf(`"/" focused %q, not the search box`, id)
	}
	// The DevTools protocol sends the character of "/" as an event of its
	// own, which the page's preventDefault on keydown cannot stop (a real
	// keyboard's can): erase it with the keyboard.
	if eval[string](d, `document.getElementById("q").value`) == "/" {
		d.do(chromedp.KeyEvent(kb.Backspace))
	}
	d.do(chromedp.KeyEvent("rocket"))
	if v := eval[string](d, `document.getElementById("q").value`); v != "rocket" {
		t.Fatalf("typed %q into the search box", v)
	}
	d.waitFor(`(() => { const s = aeirDemo.lastSearch(); return !!s && s.query === "rocket" && document.querySelectorAll("#image-results .card").length > 0 })()`, stepTimeout)
	for range 40 {
		if eval[bool](d, `document.activeElement.classList.contains("card")`) {
			break
		}
		d.do(chromedp.KeyEvent(kb.Tab))
	}
	if !eval[bool](d, `document.activeElement.classList.contains("card")`) {
		t.Fatal("Tab never reached a result")
	}
	idx := eval[int](d, `Number(document.activeElement.dataset.index)`)
	d.do(chromedp.KeyEvent(kb.Enter))
	d.waitFor(`document.querySelectorAll("#text-results li").length > 0`, stepTimeout)
	if !strings.Contains(eval[string](d, `document.getElementById("query-title").textContent`), d.ds.Concepts[idx].Name) {
		t.Error("Enter on a result did not show its sentences")
	}
	// The drawing pad works from the keyboard: Space lowers the pen,
	// arrows draw, Enter searches.
	eval[bool](d, `document.getElementById("pad").focus() || true`)
	d.do(chromedp.KeyEvent(" "))
	for range 6 {
		d.do(chromedp.KeyEvent(kb.ArrowRight))
	}
	d.do(chromedp.KeyEvent(kb.Enter))
	d.waitFor(`document.getElementById("query-title").textContent === "Sentences for your drawing"`, stepTimeout)
}

// TestImageUpload uploads PNGs of a test concept (the first of the shared
// protocol's test split) in the target and the source vendor's art: the
// page must rank sentences exactly as native Go does for the same pixels;
// the concept's own sentence in the top 10 is the quality target.
func TestImageUpload(t *testing.T) {
	needBrowser(t)
	d := newDemo(t, env.bctx, env.srv.URL)
	d.open("")
	id := d.ds.Splits.Protocols["shared"].Test[0]
	c := d.ds.Concepts[id]
	for _, v := range []string{"openmoji", "twemoji"} {
		size := d.ds.Manifest.Size                   // the model's input size: the art at that size
		for _, scale := range []int{1, 512 / size} { // and at 512 px (scaled down in the browser, then by Go)
			m := deploy.OpaqueTile(d.ds, v, id, scale)
			p := writePNG(t, fmt.Sprintf("%s-%s-%d.png", v, c.Unified, scale), m)
			eval[bool](d, `(document.getElementById("text-results").replaceChildren(), true)`)
			d.upload("#file", p)
			d.waitFor(`document.querySelectorAll("#text-results li").length === 10`, stepTimeout)
			got := sentenceRanking(d)
			r := rankOf(got, []int{id})
			what := fmt.Sprintf("%s PNG of test concept %s %q at %d px: its sentence %s (want rank ≤ 10)", v, c.Emoji, c.Name, size*scale, rankText(r, len(got)))
			if scale == 1 {
				if want := nativeRanking(t, m, web.MaxK); !agree(got, want) {
					t.Errorf("%s: page ranks %v, native Go %v", what, got, want[:10])
				}
			}
			d.quality(r >= 1 && r <= 10, "%s", what)
		}
	}
}

// TestBadInputs gives the page every kind of bad input; each gets a clear
// message and the main thread keeps answering within 200 ms throughout.
func TestBadInputs(t *testing.T) {
	needBrowser(t)
	d := newDemo(t, env.bctx, env.srv.URL)
	d.open("")
	textCase := func(name, setup, want string) {
		d.responsive(name, func() {
			eval[bool](d, `(document.getElementById("q-msg").textContent = "", true)`)
			eval[bool](d, fmt.Sprintf(`(() => { const q = document.getElementById("q"); q.value = %s; q.dispatchEvent(new Event("input")); q.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter"})); return true })()`, setup))
			d.waitFor(`document.getElementById("q-msg").textContent !== ""`, stepTimeout)
		})
		got := msgOf(d, "q-msg")
		t.Logf("%s → %q", name, got)
		if !strings.Contains(got, want) {
			t.Errorf("%s: message %q, want it to say %q", name, got, want)
		}
		if n := eval[int](d, `document.querySelectorAll("#image-results .card").length`); n != 0 {
			t.Errorf("%s: %d results shown", name, n)
		}
	}
	textCase("empty query", `""`, "Type a few words")
	textCase("10,000-character query", `"heart ".repeat(1667).slice(0, 10000)`, "10,000 characters long")
	textCase("emoji-only query", `"🐶❤️"`, "no words")
	if s := msgOf(d, "q-msg"); !strings.Contains(s, "dog face") {
		t.Errorf("no suggestion for 🐶 in %q", s)
	}

	fileCase := func(name, path, want string) {
		d.responsive(name, func() {
			eval[bool](d, `(document.getElementById("i-msg").textContent = "", true)`)
			d.upload("#file", path)
			d.waitFor(`(() => { const m = document.getElementById("i-msg").textContent; return m !== "" && !m.startsWith("Reading") })()`, stepTimeout)
		})
		got := msgOf(d, "i-msg")
		t.Logf("%s → %q", name, got)
		if !strings.Contains(got, want) {
			t.Errorf("%s: message %q, want it to say %q", name, got, want)
		}
	}
	txt := filepath.Join(env.tmp, "notes.txt")
	os.WriteFile(txt, []byte("These are notes, not a picture.\n"), 0o644)
	fileCase("non-image file", txt, "is not an image")
	fake := filepath.Join(env.tmp, "fake.png")
	os.WriteFile(fake, append(pngHead(64, 64), bytes.Repeat([]byte{7}, 500)...), 0o644)
	fileCase("damaged PNG", fake, "could not be decoded")
	big := image.NewPaletted(image.Rect(0, 0, 6000, 6000), color.Palette{color.White, color.Black})
	for i := range 6000 {
		big.SetColorIndex(i, i, 1)
	}
	fileCase("6,000 × 6,000 PNG", writePNG(t, "big.png", big), "6,000 × 6,000 pixels")
	d.responsive("empty drawing", func() {
		d.do(chromedp.Click(chromedp.CSS("#clear")), chromedp.Click(chromedp.CSS("#search-drawing")))
		d.waitFor(`document.getElementById("i-msg").textContent.includes("Draw something")`, stepTimeout)
	})

	// A corrupted model file given to "Use your own model file": a clear
	// message, and the shipped model keeps answering.
	mb, _ := os.ReadFile(filepath.Join(env.site, "site", "assets", d.man.Model.File))
	bad := bytes.Clone(mb)
	bad[len(bad)/2] ^= 0x40
	badPath := filepath.Join(env.tmp, "corrupt.aeir")
	os.WriteFile(badPath, bad, 0o644)
	d.responsive("corrupt model file", func() {
		d.upload("#model-file", badPath)
		d.waitFor(`(() => { const m = document.getElementById("model-msg").textContent; return m !== "" && !m.startsWith("Loading") })()`, stepTimeout)
	})
	if got := msgOf(d, "model-msg"); !strings.Contains(got, "corrupted") {
		t.Errorf("corrupt model: message %q", got)
	} else {
		t.Logf("corrupt model file → %q", got)
	}
	if got := d.search("red heart"); len(got) != 10 {
		t.Errorf("after the corrupt model: %d results", len(got))
	}
}

func pngHead(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
	b.Write([]byte{byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w), byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h), 8, 6, 0, 0, 0})
	b.Write([]byte{0, 0, 0, 0}) // wrong CRC: the decoder must refuse it
	return b.Bytes()
}

// TestOwnModel loads a model file of the user's (here the shipped weights
// saved as float32, so a different file): the page embeds the whole
// gallery with it in the worker — seconds of computation — while the
// main thread keeps answering; then it ranks with it.
func TestOwnModel(t *testing.T) {
	needBrowser(t)
	d := newDemo(t, env.bctx, env.srv.URL)
	d.open("")
	// A model of the sprites' input size with random weights (the shipped
	// model reads the 64-px build, which the page does not carry: it would
	// embed upscaled sprites and rank otherwise than its precomputed
	// gallery). The page must embed the gallery and rank as native Go does.
	m, err := model.New(model.DefaultConfig(), 11)
	if err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(env.tmp, "own-float32.aeir")
	if err := m.SaveAs(own, model.Meta{Method: "source-only", Scenario: vendormoji.Default.String()}, nn.Float32); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d.responsive("embedding the gallery with the user's model", func() {
		d.upload("#model-file", own)
		d.waitFor(`document.getElementById("model-msg").textContent.startsWith("Now ranking")`, loadTimeout)
	})
	t.Logf("gallery of %d images embedded in the browser in %.1f s", len(d.ds.Concepts), time.Since(start).Seconds())
	if desc := eval[string](d, `document.getElementById("model-desc").textContent`); !strings.Contains(desc, "your model file") {
		t.Errorf("model description %q", desc)
	}

	b, err := os.ReadFile(own)
	if err != nil {
		t.Fatal(err)
	}
	nat, err := web.NewEngine("own", b)
	if err != nil {
		t.Fatal(err)
	}
	sheets, err := vendormoji.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := nat.EncodeGallery(d.man.DefaultGallery, sheets.Images[d.man.DefaultGallery], nil); err != nil {
		t.Fatal(err)
	}
	texts, link := make([]string, len(d.ds.Concepts)), make([]int, len(d.ds.Concepts))
	for i, c := range d.ds.Concepts {
		texts[i], link[i] = c.Texts[d.man.TextStyle], i
	}
	if err := nat.SetTexts(texts, link); err != nil {
		t.Fatal(err)
	}
	// The page decodes the sprite with the browser's canvas, Go with
	// image/png (semi-transparent edges may round differently): each image
	// the page lists must have, natively, the score the page gives it, to
	// 1e-3, and be among the native top 100.
	var worst float64
	for _, q := range []string{"red heart", "dog", "rocket launch into space"} {
		d.search(q)
		got := eval[[][2]float64](d, `aeirDemo.lastSearch().hits`)
		want, err := nat.SearchText(q, web.MaxK)
		if err != nil {
			t.Fatal(err)
		}
		score := map[int]float64{}
		for _, h := range want {
			score[h.Index] = float64(h.Score)
		}
		for r, h := range got {
			s, ok := score[int(h[0])]
			if !ok {
				t.Errorf("%q rank %d: image %v is not in the native top %d", q, r+1, h[0], web.MaxK)
				continue
			}
			worst = max(worst, math.Abs(h[1]-s))
			if math.Abs(h[1]-s) > 1e-3 {
				t.Errorf("%q rank %d: image %v scores %.5f in the page, %.5f native", q, r+1, h[0], h[1], s)
			}
		}
	}
	t.Logf("own model: page and native scores of the same images differ by at most %.2g", worst)
}

// TestCorruptShippedModel serves a site whose model file is damaged: the
// page says so and stays responsive.
func TestCorruptShippedModel(t *testing.T) {
	needBrowser(t)
	dir := filepath.Join(env.tmp, "corrupt-site")
	if err := os.CopyFS(dir, os.DirFS(env.site)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "site", "assets", env.man.Model.File)
	b, _ := os.ReadFile(p)
	b[len(b)-100] ^= 1
	os.WriteFile(p, b, 0o644)
	os.Remove(p + ".gz")
	os.Remove(p + ".br")
	srv := httptest.NewServer(deploy.Handler(dir))
	defer srv.Close()
	d := newDemo(t, env.bctx, srv.URL)
	d.do(chromedp.Navigate(srv.URL + "/"))
	d.waitFor(`window.aeirDemo !== undefined`, loadTimeout)
	installProbe(d)
	d.responsive("loading a corrupted model", func() {
		d.waitFor(`!!aeirDemo.state().fatal`, loadTimeout)
	})
	status := eval[string](d, `document.getElementById("status-text").textContent`)
	t.Logf("corrupted shipped model → %q", status)
	if !strings.Contains(status, "corrupted") || !strings.Contains(status, "could not start") {
		t.Errorf("status %q", status)
	}
}

// TestOffline loads the page once, stops the server, and loads it again:
// the service worker serves everything and search still works.
func TestOffline(t *testing.T) {
	needBrowser(t)
	srv := httptest.NewServer(deploy.Handler(env.site))
	d := newDemo(t, env.bctx, srv.URL)
	d.open("")
	d.waitFor(`!!navigator.serviceWorker.controller || document.getElementById("offline").textContent.includes("ready")`, loadTimeout)
	// Wait until the service worker has installed (its precache is done).
	d.waitAsync(`navigator.serviceWorker.getRegistration().then(r => !!r && !!r.active && r.active.state === "activated")`, loadTimeout)
	srv.Close()
	d.do(chromedp.Navigate("about:blank"))
	d.open("#q=red%20heart")
	d.waitFor(`document.querySelectorAll("#image-results .card").length === 10`, stepTimeout)
	if got := d.search("dog"); len(got) != 10 {
		t.Errorf("offline search: %d results", len(got))
	}
}

// TestLooks saves screenshots of the page on a phone and in dark mode,
// with results, for people to look at (nothing is asserted on pixels).
func TestLooks(t *testing.T) {
	needBrowser(t)
	d := newDemo(t, env.bctx, env.srv.URL)
	d.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	d.open("#q=slice%20of%20pizza")
	d.waitFor(`document.querySelectorAll("#image-results .card").length === 10`, stepTimeout)
	shot(d, "demo-phone.png", false)
	d.do(chromedp.EmulateViewport(1280, 1000))
	d.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	}))
	d.search("face with tears of joy")
	d.do(chromedp.Click(chromedp.CSS(`#image-results .card`)))
	d.waitFor(`document.querySelectorAll("#text-results li").length === 10`, stepTimeout)
	shot(d, "demo-dark.png", false)
}
