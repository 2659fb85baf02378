// Command page measures the in-browser demo (`make bench-web`): the
// engine's size raw and compressed, the time from navigation to the first
// result, and the per-query latency of sentence search (encode the
// sentence + rank the gallery) in headless Chromium, next to the same Go
// code run natively on the same queries as the reference.
//
//	go run ./bench/page -dir site/dist -queries 200
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/chromedp/chromedp"

	"aeir/web"
	"aeir/web/browser"
	"aeir/web/deploy"
)

func main() {
	dir := flag.String("dir", "site/dist", "built site (make site)")
	queries := flag.Int("queries", 200, "sentence queries to time")
	loads := flag.Int("loads", 5, "page loads to time (each in a fresh profile: nothing cached)")
	out := flag.String("json", "", "also write the figures as JSON to this file")
	flag.Parse()
	if err := run(*dir, *queries, *loads, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench/page:", err)
		os.Exit(1)
	}
}

// Report is what this command measures.
type Report struct {
	Wasm struct{ Raw, Gzip, Brotli int64 }
	// First load of the page, as built (page, engine, model, default
	// gallery, sentences), from build.json.
	FirstLoad struct{ Raw, Gzip, Brotli int }
	// Deferred: what the page loads after its first result (precomputed
	// sentence embeddings), from build.json.
	Deferred struct{ Raw, Gzip, Brotli int }
	Loads    []Load
	// Times from navigation, medians over Loads, in ms.
	FirstResultMs, ModelReadyMs, AllReadyMs float64
	// Median is each phase's median over Loads.
	Median Load
	// Per-query latency in ms: in the worker (encode + rank), as the page
	// sees it (message round trip included), and native Go for reference.
	Worker, RoundTrip, Native Stats
	Queries                   int
}

// Load is one page load's timings in ms from navigation (the worker
// reports its own from the page's time origin; 0: not reported, e.g. by
// an older page).
type Load struct {
	FirstResult float64 `json:"first_result"`
	Worker      float64 `json:"worker"`    // the worker started
	Manifest    float64 `json:"manifest"`  // manifest downloaded
	Wasm        float64 `json:"wasm"`      // the engine's bytes downloaded
	Compile     float64 `json:"compile"`   // the engine compiled (streaming: while downloading)
	Engine      float64 `json:"engine"`    // the engine instantiated and its Go program started
	Decode      float64 `json:"decode"`    // the model decoded
	Download    float64 `json:"download"`  // model, gallery and corpus downloaded
	Model       float64 `json:"model"`     // model, gallery and corpus loaded: sentence → image search works
	Sentences   float64 `json:"sentences"` // sentence embeddings loaded: everything works
	// SentencesFrom says where the sentence embeddings came from: "file"
	// (precomputed at export) or "computed" ("" from an older page).
	SentencesFrom string `json:"sentences_from"`
}

// Stats summarise latencies.
type Stats struct{ P50, P95, Mean, Max float64 }

func stats(x []float64) Stats {
	s := slices.Clone(x)
	sort.Float64s(s)
	q := func(f float64) float64 { return s[min(len(s)-1, int(f*float64(len(s))))] }
	m := 0.0
	for _, v := range s {
		m += v
	}
	return Stats{q(0.5), q(0.95), m / float64(len(s)), s[len(s)-1]}
}

func size(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func run(dir string, nq, loads int, out string) error {
	var rep Report
	w := filepath.Join(dir, "site", "aeir.wasm")
	if rep.Wasm.Raw = size(w); rep.Wasm.Raw == 0 {
		return fmt.Errorf("%s not found: build the site first (make site)", w)
	}
	rep.Wasm.Gzip, rep.Wasm.Brotli = size(w+".gz"), size(w+".br")
	var build deploy.SiteReport
	if b, err := os.ReadFile(filepath.Join(dir, "build.json")); err == nil {
		json.Unmarshal(b, &build)
	}
	rep.FirstLoad.Raw, rep.FirstLoad.Gzip, rep.FirstLoad.Brotli = build.CoreRaw, build.CoreGzip, build.CoreBrotli
	rep.Deferred.Raw, rep.Deferred.Gzip, rep.Deferred.Brotli = build.DeferredRaw, build.DeferredGzip, build.DeferredBrotli

	srv := httptest.NewServer(deploy.Handler(dir))
	defer srv.Close()
	tmp, err := os.MkdirTemp("", "aeir-webbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel, err := browser.New(context.Background(), filepath.Join(tmp, "profile"), 1280, 1000)
	if err != nil {
		return err
	}
	defer cancel()

	// Time to the first result: fresh browser contexts (empty caches, no
	// service worker), the query in the URL.
	for i := range loads {
		tctx, tcancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		// Open the tab with its own context: a tab opened by the first
		// action of a shorter-lived context would close with it.
		if err := chromedp.Do(tctx); err != nil {
			tcancel()
			return err
		}
		l, err := firstResult(tctx, srv.URL)
		tcancel()
		if err != nil {
			return fmt.Errorf("load %d: %w", i+1, err)
		}
		rep.Loads = append(rep.Loads, l)
	}
	pick := func(f func(Load) float64) float64 {
		var x []float64
		for _, l := range rep.Loads {
			x = append(x, f(l))
		}
		return stats(x).P50
	}
	rep.FirstResultMs = pick(func(l Load) float64 { return l.FirstResult })
	rep.ModelReadyMs = pick(func(l Load) float64 { return l.Model })
	rep.AllReadyMs = pick(func(l Load) float64 { return l.Sentences })
	rep.Median = Load{
		FirstResult: rep.FirstResultMs, Model: rep.ModelReadyMs, Sentences: rep.AllReadyMs,
		Worker:   pick(func(l Load) float64 { return l.Worker }),
		Manifest: pick(func(l Load) float64 { return l.Manifest }),
		Wasm:     pick(func(l Load) float64 { return l.Wasm }),
		Compile:  pick(func(l Load) float64 { return l.Compile }),
		Engine:   pick(func(l Load) float64 { return l.Engine }),
		Decode:   pick(func(l Load) float64 { return l.Decode }),
		Download: pick(func(l Load) float64 { return l.Download }),
	}
	if len(rep.Loads) > 0 {
		rep.Median.SentencesFrom = rep.Loads[0].SentencesFrom
	}

	// Per-query latency: sentences the gallery's own names, spread over
	// the corpus.
	tctx, tcancel := chromedp.NewContext(ctx)
	defer tcancel()
	if err := chromedp.Do(tctx); err != nil {
		return err
	}
	if _, err := firstResult(tctx, srv.URL); err != nil {
		return err
	}
	names, err := chromedp.Run(tctx, chromedp.Evaluate[[]string](`aeirDemo.names()`))
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return errors.New("the page has no sentences")
	}
	var qs []string
	for i := range nq {
		qs = append(qs, names[(i*len(names))/nq])
	}
	qj, _ := json.Marshal(qs)
	type timing struct {
		Worker float64 `json:"w"`
		Round  float64 `json:"r"`
	}
	js := fmt.Sprintf(`(async () => {
		const qs = %s, out = [];
		for (const q of qs.slice(0, 10)) await aeirDemo.request("searchText", {query: q, k: 10}); // warm up
		for (const q of qs) {
			const t = performance.now();
			const r = await aeirDemo.request("searchText", {query: q, k: 10});
			out.push({w: r.computeMs, r: performance.now() - t});
		}
		return out;
	})()`, qj)
	qctx, qcancel := context.WithTimeout(tctx, 5*time.Minute)
	defer qcancel()
	ts, err := chromedp.Run(qctx, chromedp.Evaluate[[]timing](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	var wk, rt []float64
	for _, t := range ts {
		wk, rt = append(wk, t.Worker), append(rt, t.Round)
	}
	rep.Worker, rep.RoundTrip, rep.Queries = stats(wk), stats(rt), len(ts)

	// The same queries natively, with the same engine and files.
	nat, err := nativeEngine(dir)
	if err != nil {
		return err
	}
	for _, q := range qs[:10] {
		nat.SearchText(q, 10)
	}
	var nt []float64
	for _, q := range qs {
		t := time.Now()
		if _, err := nat.SearchText(q, 10); err != nil {
			return err
		}
		nt = append(nt, float64(time.Since(t).Nanoseconds())/1e6)
	}
	rep.Native = stats(nt)

	print(&rep)
	if out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		tmp := out + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, out)
	}
	return nil
}

func firstResult(ctx context.Context, url string) (Load, error) {
	var l Load
	lctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(lctx, chromedp.Navigate(url+"/#q=red%20heart")); err != nil {
		return l, err
	}
	if _, err := chromedp.Run(lctx, chromedp.Poll[bool](`window.aeirDemo && (aeirDemo.state().fatal || (aeirDemo.state().allReady && aeirDemo.state().firstResultMs !== null))`,
		chromedp.WithPollingTimeout(110*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		return l, err
	}
	var st struct {
		Fatal         any     `json:"fatal"`
		FirstResultMs float64 `json:"firstResultMs"`
		Timings       struct {
			Start, Manifest, Wasm, Compile, Engine, Decode, Download, Model, Sentences float64
			SentencesFrom                                                              string
		} `json:"timings"`
	}
	b, err := chromedp.Run(lctx, chromedp.Evaluate[string](`JSON.stringify(aeirDemo.state())`))
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal([]byte(b), &st); err != nil {
		return l, err
	}
	if st.Fatal != nil {
		return l, fmt.Errorf("the page could not start: %v", st.Fatal)
	}
	// Both the page's and the worker's timings count from navigation
	// (the page hands the worker its time origin).
	t := st.Timings
	return Load{FirstResult: st.FirstResultMs, Worker: t.Start, Manifest: t.Manifest, Wasm: t.Wasm, Compile: t.Compile, Engine: t.Engine,
		Decode: t.Decode, Download: t.Download, Model: t.Model, Sentences: t.Sentences, SentencesFrom: t.SentencesFrom}, nil
}

func nativeEngine(dir string) (*web.Engine, error) {
	assets := filepath.Join(dir, "site", "assets")
	man, err := deploy.ReadManifest(assets)
	if err != nil {
		return nil, err
	}
	mb, err := os.ReadFile(filepath.Join(assets, man.Model.File))
	if err != nil {
		return nil, err
	}
	e, err := web.NewEngine(man.Model.File, mb)
	if err != nil {
		return nil, err
	}
	for _, g := range man.Galleries {
		if g.Vendor == man.DefaultGallery {
			gb, err := os.ReadFile(filepath.Join(assets, g.Embeddings))
			if err != nil {
				return nil, err
			}
			if err := e.SetGallery(g.Embeddings, gb); err != nil {
				return nil, err
			}
		}
	}
	return e, nil
}

func print(r *Report) {
	kb := func(n int64) string { return fmt.Sprintf("%.0f KB", float64(n)/1024) }
	mb := func(n int) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }
	fmt.Printf("engine aeir.wasm           %s raw, %s gzip, %s brotli\n", kb(r.Wasm.Raw), kb(r.Wasm.Gzip), kb(r.Wasm.Brotli))
	if r.FirstLoad.Raw > 0 {
		fmt.Printf("first page load            %s raw, %s gzip, %s brotli (page, engine, model, gallery, corpus)\n", mb(r.FirstLoad.Raw), mb(r.FirstLoad.Gzip), mb(r.FirstLoad.Brotli))
	}
	if r.Deferred.Raw > 0 {
		fmt.Printf("after the first result     %s raw, %s gzip, %s brotli (precomputed sentence embeddings)\n", mb(r.Deferred.Raw), mb(r.Deferred.Gzip), mb(r.Deferred.Brotli))
	}
	fmt.Printf("navigation → first result  %.0f ms (median of %d cold loads; sentence search ready in the worker at %.0f ms, sentence embeddings at %.0f ms)\n",
		r.FirstResultMs, len(r.Loads), r.ModelReadyMs, r.AllReadyMs)
	phases := func(l Load) string {
		return fmt.Sprintf("worker %.0f, manifest %.0f, engine downloaded %.0f, compiled %.0f, started %.0f, model decoded %.0f, downloads %.0f, search ready %.0f, first result %.0f, sentences %.0f (%s)",
			l.Worker, l.Manifest, l.Wasm, l.Compile, l.Engine, l.Decode, l.Download, l.Model, l.FirstResult, l.Sentences, l.SentencesFrom)
	}
	fmt.Printf("  phases, ms from navigation, median of each: %s\n", phases(r.Median))
	for i, l := range r.Loads {
		fmt.Printf("  load %d: %s\n", i+1, phases(l))
	}
	fmt.Printf("sentence query, %d queries (encode + rank %d images, top 10):\n", r.Queries, 1906)
	fmt.Printf("  in the worker (wasm)     p50 %.2f ms, p95 %.2f ms, mean %.2f ms, max %.2f ms\n", r.Worker.P50, r.Worker.P95, r.Worker.Mean, r.Worker.Max)
	fmt.Printf("  as the page sees it      p50 %.2f ms, p95 %.2f ms (with the message round trip)\n", r.RoundTrip.P50, r.RoundTrip.P95)
	fmt.Printf("  native Go, same engine   p50 %.3f ms, p95 %.3f ms  → wasm/native %.1f× at p50\n", r.Native.P50, r.Native.P95, r.Worker.P50/max(r.Native.P50, 1e-6))
}
