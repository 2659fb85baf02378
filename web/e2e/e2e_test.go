package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"aeir/data/vendormoji"
	"aeir/web"
	"aeir/web/deploy"
)

// Generous bounds against hangs only; nothing here asserts a duration
// except the page's 200 ms responsiveness budget.
const (
	loadTimeout = 120 * time.Second
	stepTimeout = 60 * time.Second
)

// demo is one browser tab on a served site, with the native engine that
// the page's answers are compared with.
type demo struct {
	t      *testing.T
	ctx    context.Context
	url    string
	native *web.Engine
	ds     *vendormoji.Dataset
	man    *deploy.Manifest
}

func newDemo(t *testing.T, bctx context.Context, url string) *demo {
	t.Helper()
	ctx, cancel := chromedp.NewContext(bctx)
	t.Cleanup(cancel)
	d := &demo{t: t, ctx: ctx, url: url, native: env.native, ds: env.ds, man: env.man}
	// Open the tab with this context: a tab opened by the first action of
	// a shorter-lived (timeout) context would close with that context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	// Page errors and console output go to the test log.
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() || testing.Verbose() {
				t.Logf("console %s", m)
			}
		}
	}()
	return d
}

// eval runs JavaScript in the page and decodes its result.
func eval[T any](d *demo, js string) T {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		d.t.Fatalf("%.80s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true.
func (d *demo) waitFor(cond string, timeout time.Duration) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, timeout+5*time.Second)
	defer cancel()
	deadline := time.Now().Add(timeout)
	var err error
	for {
		// A navigation can replace the page's JavaScript context under a
		// running poll; poll again in the new one until the time is up.
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(time.Until(deadline)), chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil || errors.Is(err, chromedp.ErrPollingTimeout) || ctx.Err() != nil || time.Until(deadline) < 100*time.Millisecond {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		sctx, scancel := context.WithTimeout(d.ctx, 10*time.Second)
		defer scancel()
		state, _ := chromedp.Run(sctx, chromedp.Evaluate[string](`JSON.stringify({status: document.getElementById("status-text").textContent, q: document.getElementById("q-msg").textContent, i: document.getElementById("i-msg").textContent, m: document.getElementById("model-msg").textContent})`))
		d.t.Fatalf("waiting for %s: %v\npage: %s", cond, err, state)
	}
}

func (d *demo) do(actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		d.t.Fatal(err)
	}
}

// open navigates to the page and waits until everything is loaded.
func (d *demo) open(hash string) {
	d.t.Helper()
	d.do(chromedp.Navigate(d.url + "/" + hash))
	d.waitFor(`window.aeirDemo && (aeirDemo.state().allReady || !!aeirDemo.state().fatal)`, loadTimeout)
	if f := eval[string](d, `String(aeirDemo.state().fatal || "")`); f != "" {
		d.t.Fatalf("the page could not start: %s", f)
	}
	installProbe(d)
}

// search types a sentence into the search box (as a user would: the
// input event, then Enter) and returns the ranked gallery indices.
func (d *demo) search(q string) []int {
	d.t.Helper()
	eval[bool](d, fmt.Sprintf(`(() => { const q = document.getElementById("q"); q.value = %q; q.dispatchEvent(new Event("input")); q.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter"})); return true })()`, q))
	d.waitFor(fmt.Sprintf(`(() => { const s = aeirDemo.lastSearch(); return !!s && s.query === %q })()`, q), stepTimeout)
	return eval[[]int](d, `Array.from(document.querySelectorAll("#image-results .card")).map(b => Number(b.dataset.index))`)
}

func (d *demo) conceptIndex(emoji ...string) []int {
	var out []int
	for i, c := range d.ds.Concepts {
		if slices.Contains(emoji, c.Emoji) {
			out = append(out, i)
		}
	}
	if len(out) != len(emoji) {
		d.t.Fatalf("concepts %q not found", emoji)
	}
	return out
}

// rankOf returns the 1-based rank of the first of want in got, or 0.
func rankOf(got []int, want []int) int {
	for r, i := range got {
		if slices.Contains(want, i) {
			return r + 1
		}
	}
	return 0
}

// rankText says where a rankOf result puts the wanted item: "at rank r",
// or "not in the top n" for 0.
func rankText(r, n int) string {
	if r == 0 {
		return fmt.Sprintf("not in the top %d", n)
	}
	return fmt.Sprintf("at rank %d", r)
}

// quality reports a retrieval-quality target (the ranks are measured
// either way). A shipped model may meet a target only at its edge
// (docs/demo.md), so a miss is logged as a known gap; with
// AEIR_DEMO_TARGETS=1 a miss fails the test, which is how a new model is
// checked before it ships.
func (d *demo) quality(ok bool, format string, a ...any) {
	d.t.Helper()
	msg := fmt.Sprintf(format, a...)
	switch {
	case ok:
		d.t.Logf("quality target met: %s", msg)
	case os.Getenv("AEIR_DEMO_TARGETS") == "1":
		d.t.Errorf("quality target missed by the %s model: %s", d.man.Model.Method, msg)
	default:
		d.t.Logf("KNOWN GAP of the shipped %s model: %s", d.man.Model.Method, msg)
	}
}

// ---- the responsiveness probe -------------------------------------------

// installProbe starts a heartbeat on the page's main thread (a timer every
// 25 ms, recording how late it fires) and records long tasks.
func installProbe(d *demo) {
	eval[bool](d, `(() => {
		if (window.__probe) return true;
		const p = { lat: [], long: [], on: false };
		try {
			new PerformanceObserver((l) => { for (const e of l.getEntries()) if (p.on) p.long.push(Math.round(e.duration)); }).observe({ type: "longtask" });
		} catch (_) {}
		let last = performance.now();
		const beat = () => { const now = performance.now(); if (p.on) p.lat.push(now - last - 25); last = now; setTimeout(beat, 25); };
		setTimeout(beat, 25);
		p.start = () => { p.lat = []; p.long = []; p.on = true; return true; };
		p.stop = () => {
			p.on = false;
			const s = p.lat.slice().sort((a, b) => a - b);
			const q = (f) => s.length ? s[Math.min(s.length - 1, Math.floor(f * s.length))] : 0;
			return { n: s.length, p50: q(0.5), p95: q(0.95), max: q(1), long: p.long };
		};
		window.__probe = p;
		return true;
	})()`)
}

type probeResult struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	Max  float64 `json:"max"`
	Long []int   `json:"long"`
}

// responsive runs action while the probe measures the main thread, and
// checks the 200 ms budget: 95 % of heartbeats late by less than 200 ms
// and no long task (main thread blocked) of 200 ms or more. A single late
// timer can come from the operating system on a loaded machine; a long
// task is the page itself blocking, which must never happen.
func (d *demo) responsive(what string, action func()) {
	d.t.Helper()
	eval[bool](d, `__probe.start()`)
	action()
	// Keep probing a little after the answer, while the page renders it.
	time.Sleep(300 * time.Millisecond)
	var r probeResult
	if err := json.Unmarshal([]byte(eval[string](d, `JSON.stringify(__probe.stop())`)), &r); err != nil {
		d.t.Fatal(err)
	}
	d.t.Logf("%s: main thread probe: %d beats, late by p50 %.0f ms, p95 %.0f ms, max %.0f ms; long tasks %v", what, r.N, r.P50, r.P95, r.Max, r.Long)
	if r.N < 5 {
		d.t.Errorf("%s: only %d probe beats: the main thread was not answering", what, r.N)
	}
	if r.P95 >= 200 {
		d.t.Errorf("%s: probes answered late: p95 %.0f ms ≥ 200 ms", what, r.P95)
	}
	for _, l := range r.Long {
		if l >= 200 {
			d.t.Errorf("%s: the main thread was blocked for %d ms", what, l)
		}
	}
}

func msgOf(d *demo, id string) string {
	return eval[string](d, fmt.Sprintf(`document.getElementById(%q).textContent`, id))
}

// ---- files for upload ---------------------------------------------------

func writePNG(t *testing.T, name string, m image.Image) string {
	t.Helper()
	p := filepath.Join(env.tmp, name)
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (d *demo) upload(sel, path string) {
	d.t.Helper()
	d.do(chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}))
}

// sentenceRanking returns the corpus indices listed for the image query.
func sentenceRanking(d *demo) []int {
	return eval[[]int](d, `Array.from(document.querySelectorAll("#text-results li")).map(li => Number(li.dataset.index))`)
}

// nativeRanking is what the Go engine answers natively for the same pixels.
func nativeRanking(t *testing.T, m *image.NRGBA, k int) []web.Hit {
	b := m.Bounds()
	hits, err := env.native.SearchImage(m.Pix, b.Dx(), b.Dy(), k)
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// waitAsync polls an expression that returns a promise of a boolean.
func (d *demo) waitAsync(expr string, timeout time.Duration) {
	d.t.Helper()
	end := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(d.ctx, stepTimeout)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(end) {
			d.t.Fatalf("waiting for %s: %v", expr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
