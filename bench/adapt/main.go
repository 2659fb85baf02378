// Command adapt measures adapting in the page (`make bench-adapt`): the
// Noto gallery (the vendor the shipped model never trained on, 1,906
// images) given to the page's "Your gallery" panel as image files with
// the corpus as sentences, then the page's Adapt button with its budget,
// in headless Chromium. It reports the time to embed the gallery and to
// adapt it, adaptation steps per second in the page against the same
// steps run natively here (the same Go code, package web/adapt), the
// gallery engine's peak WebAssembly memory, and the whole-gallery rsum as
// the page ranks before and after, in the page and natively.
//
//	go run ./bench/adapt -dir site/dist
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"aeir/data/vendormoji"
	"aeir/internal/gallerydir"
	"aeir/web"
	"aeir/web/adapt"
	"aeir/web/browser"
	"aeir/web/deploy"
)

func main() {
	dir := flag.String("dir", "site/dist", "built site (make site)")
	steps := flag.Int("steps", 0, "adaptation steps (0: the page's budget)")
	shots := flag.String("shots", "", "write screenshots before, during and after adapting into this folder")
	out := flag.String("json", "", "also write the figures as JSON to this file")
	flag.Parse()
	if err := run(*dir, *steps, *shots, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench/adapt:", err)
		os.Exit(1)
	}
}

// Report is what this command measures.
type Report struct {
	Images, Sentences, Steps int
	EmbedSeconds             float64 // the page: read, decode and embed the gallery
	AdaptSeconds             float64 // the page: Adapt pressed → adapted gallery searchable (download of the source pairs included)
	StepsPerSecond           struct{ Page, Native, Ratio float64 }
	MemoryMB                 float64 // the gallery engine's WebAssembly memory at the end (it only grows: the peak)
	RSum                     struct{ PageBefore, PageAfter, NativeBefore, NativeAfter float64 }
}

func run(dir string, steps int, shots, out string) error {
	ds, err := vendormoji.LoadSize("", 64)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "aeir-bench-adapt")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	folder, err := gallerydir.Write(ds, "noto", "en", nil, tmp)
	if err != nil {
		return err
	}
	rep := Report{Images: len(folder.Images), Sentences: len(folder.TextImage)}

	srv := httptest.NewServer(deploy.Handler(dir))
	defer srv.Close()
	bctx, cancel, err := browser.New(context.Background(), filepath.Join(tmp, "profile"), 1280, 1600)
	if err != nil {
		return err
	}
	defer cancel()
	ctx, cancel2 := context.WithTimeout(bctx, 30*time.Minute)
	defer cancel2()
	do := func(a ...chromedp.Action[chromedp.Void]) error { return chromedp.Do(ctx, a...) }
	wait := func(cond string, d time.Duration) error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(100*time.Millisecond)))
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", cond, err)
		}
		return nil
	}
	shot := func(name string) error {
		if shots == "" {
			return nil
		}
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(shots, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(shots, name), b, 0o644)
	}
	if err := do(chromedp.Navigate(srv.URL + "/")); err != nil {
		return err
	}
	if err := wait(`window.aeirDemo && aeirDemo.state().allReady`, 2*time.Minute); err != nil {
		return err
	}
	t0 := time.Now()
	if err := do(chromedp.SetUploadFiles(chromedp.CSS("#u-files"), folder.Images)); err != nil {
		return err
	}
	if err := wait(fmt.Sprintf(`aeirDemo.user.state().images === %d && !aeirDemo.user.state().busy`, len(folder.Images)), 10*time.Minute); err != nil {
		return err
	}
	rep.EmbedSeconds = time.Since(t0).Seconds()
	truth, _ := json.Marshal(folder.TextImage)
	before, err := chromedp.Run(ctx, chromedp.Evaluate[evalResult](fmt.Sprintf(`aeirDemo.user.eval(%s)`, truth), chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	rep.RSum.PageBefore = before.RSum
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const q = document.getElementById("u-q"); q.value = "red heart"; q.dispatchEvent(new Event("input")); return true })()`)); err != nil {
		return err
	}
	time.Sleep(time.Second)
	if err := shot("adapt-before.png"); err != nil {
		return err
	}

	t1 := time.Now()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(window.__adapt = aeirDemo.user.adapt(%s), true)`, stepsJSON(steps)))); err != nil {
		return err
	}
	if err := wait(`(() => { const p = aeirDemo.user.lastProgress(); return !!p && p.phase === "step" && p.done * 3 >= p.total })()`, 10*time.Minute); err != nil {
		return err
	}
	if err := shot("adapt-during.png"); err != nil {
		return err
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[adaptResult](`window.__adapt.then((r) => ({done: r.done, total: r.total, cancelled: r.cancelled}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	if res.Cancelled || res.Done != res.Total {
		return fmt.Errorf("the adaptation stopped at step %d of %d", res.Done, res.Total)
	}
	rep.AdaptSeconds = time.Since(t1).Seconds()
	rep.Steps = res.Total
	pace, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`aeirDemo.user.stepTimes()`))
	if err != nil {
		return err
	}
	if len(pace) == 2 && pace[1] > pace[0] {
		rep.StepsPerSecond.Page = float64(res.Total) / ((pace[1] - pace[0]) / 1000)
	}
	after, err := chromedp.Run(ctx, chromedp.Evaluate[evalResult](fmt.Sprintf(`aeirDemo.user.eval(%s)`, truth), chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	rep.RSum.PageAfter = after.RSum
	info, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		MemoryBytes float64 `json:"memoryBytes"`
	}](`aeirDemo.user.info()`, chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	rep.MemoryMB = info.MemoryBytes / (1 << 20)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const q = document.getElementById("u-q"); q.value = "red heart"; q.dispatchEvent(new Event("input")); return true })()`)); err != nil {
		return err
	}
	time.Sleep(time.Second)
	if err := shot("adapt-after.png"); err != nil {
		return err
	}

	// The same adaptation natively.
	assets, err := deploy.ReadAdaptAssets(filepath.Join(dir, "site", "assets"))
	if err != nil {
		return err
	}
	src, err := adapt.DecodeSource("source pairs", assets.Source)
	if err != nil {
		return err
	}
	nat, err := web.NewEngine("model", assets.Model)
	if err != nil {
		return err
	}
	g := adapt.NewGallery(nat.Info().ImageSize, nat.Info().Fit)
	if _, err := adapt.ReadDir(filepath.Join(tmp, "img"), g); err != nil {
		return err
	}
	score := func(mf []byte) (float64, error) {
		e, err := adapt.NewEngine(mf, g, assets.Sentences, nil)
		if err != nil {
			return 0, err
		}
		m, err := e.Evaluate(folder.TextImage)
		return m.RSum, err
	}
	if rep.RSum.NativeBefore, err = score(assets.Model); err != nil {
		return err
	}
	a, _, err := adapt.New(assets.Model, src, g, assets.Sentences, adapt.Request{Steps: rep.Steps})
	if err != nil {
		return err
	}
	t2 := time.Now()
	for a.Done() < a.Total() {
		if _, err := a.Step(); err != nil {
			return err
		}
	}
	rep.StepsPerSecond.Native = float64(a.Total()) / time.Since(t2).Seconds()
	rep.StepsPerSecond.Ratio = rep.StepsPerSecond.Page / rep.StepsPerSecond.Native
	mf, err := adapt.Finish(a, src.Domain)
	if err != nil {
		return err
	}
	if rep.RSum.NativeAfter, err = score(mf); err != nil {
		return err
	}

	fmt.Printf("Noto gallery: %d images, %d sentences (the corpus); %d adaptation steps (the page's budget unless -steps)\n", rep.Images, rep.Sentences, rep.Steps)
	fmt.Printf("page: gallery embedded in %.1f s; adapted in %.1f s (source pairs download and re-embedding included)\n", rep.EmbedSeconds, rep.AdaptSeconds)
	fmt.Printf("steps per second: page %.2f, native %.2f (2 threads), page/native %.2f×\n", rep.StepsPerSecond.Page, rep.StepsPerSecond.Native, rep.StepsPerSecond.Ratio)
	fmt.Printf("gallery engine memory (WebAssembly, peak): %.0f MB\n", rep.MemoryMB)
	fmt.Printf("whole-gallery rsum as the page ranks: page %.1f → %.1f, native %.1f → %.1f\n", rep.RSum.PageBefore, rep.RSum.PageAfter, rep.RSum.NativeBefore, rep.RSum.NativeAfter)
	if out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(out, append(b, '\n'), 0o644)
	}
	return nil
}

type evalResult struct {
	RSum float64 `json:"rsum"`
}

type adaptResult struct {
	Done      int  `json:"done"`
	Total     int  `json:"total"`
	Cancelled bool `json:"cancelled"`
}

func stepsJSON(steps int) string {
	if steps <= 0 {
		return "{}"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"steps": %d}`, steps)
	return b.String()
}
