package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"aeir/internal/atomicfile"
	"aeir/web"
	"aeir/web/adapt"
	"aeir/web/deploy"
)

// adaptCmd replays the demo page's Adapt button natively: the same Go
// code (package web/adapt over train.Adapter) on the same files, so the
// page's adapted model can be checked and its budget compared with
// longer ones.
func adaptCmd(args []string) error {
	fs := flag.NewFlagSet("adapt", flag.ContinueOnError)
	dir := fs.String("assets", "site/assets", "an exported site's assets: the model, the source pairs file and the corpus")
	images := fs.String("images", "", "folder of your images (PNG, JPEG, GIF, WebP, BMP; read recursively, in path order, as the page reads a dropped folder)")
	sentences := fs.String("sentences", "", "text file of your sentences, one a line (default: the site's corpus, as in the page)")
	truth := fs.String("truth", "", "optional: a text file naming, line j, the image file (path under -images) sentence j describes; prints the whole-gallery recall as the page ranks, before and after")
	steps := fs.Int("steps", 0, "stop after this many steps (0: the page's whole budget)")
	seed := fs.Uint64("seed", 0, "seed (0: the page's)")
	lr := fs.Float64("lr", 0, "learning rate (0: the page's)")
	batch := fs.Int("batch", 0, "source pairs, and target images and sentences, a step (0: the page's)")
	out := fs.String("out", "", "write the adapted model here (.aeir, float32; the page's \"Download model\" file)")
	quiet := fs.Bool("q", false, "no progress output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *images == "" {
		return fmt.Errorf("-images is required: the folder of your gallery")
	}
	assets, err := deploy.ReadAdaptAssets(*dir)
	if err != nil {
		return err
	}
	src, err := adapt.DecodeSource(filepath.Join(*dir, assets.Manifest.Adapt.File), assets.Source)
	if err != nil {
		return err
	}
	shipped, err := web.NewEngine(assets.Manifest.Model.File, assets.Model)
	if err != nil {
		return err
	}
	in := shipped.Info()
	g := adapt.NewGallery(in.ImageSize, in.Fit)
	skipped, err := adapt.ReadDir(*images, g)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(os.Stderr, "skipped %s\n", s)
	}
	texts := assets.Sentences
	if *sentences != "" {
		b, err := os.ReadFile(*sentences)
		if err != nil {
			return err
		}
		if texts, err = adapt.ParseSentences(*sentences, string(b)); err != nil {
			return err
		}
	}
	var labels []int
	if *truth != "" {
		if labels, err = readTruth(*truth, g.Names, len(texts)); err != nil {
			return err
		}
	}
	score := func(what string, modelFile []byte) error {
		if labels == nil {
			return nil
		}
		e, err := adapt.NewEngine(modelFile, g, texts, nil)
		if err != nil {
			return err
		}
		m, err := e.Evaluate(labels)
		if err != nil {
			return err
		}
		fmt.Printf("%s: whole gallery of %d images and %d sentences, as the page ranks: i2t R@1/5/10 %.1f/%.1f/%.1f, t2i %.1f/%.1f/%.1f, rsum %.1f\n",
			what, g.Images().N, len(texts), m.I2T.R1, m.I2T.R5, m.I2T.R10, m.T2I.R1, m.T2I.R5, m.T2I.R10, m.RSum)
		return nil
	}
	if err := score("before", assets.Model); err != nil {
		return err
	}
	a, opt, err := adapt.New(assets.Model, src, g, texts, adapt.Request{Steps: *steps, Seed: *seed, LR: float32(*lr), Batch: *batch})
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(os.Stderr, "adapting %s (%s) to %d images and %d sentences with %d source pairs (%s): %d steps of %d pairs + %d target images and sentences, seed %d\n",
			assets.Manifest.Model.File, in.Method, g.Images().N, len(texts), len(src.Pairs.Texts), src.Domain, a.Total(), opt.Batch, opt.TargetBatch, opt.Seed)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	for a.Done() < a.Total() {
		if ctx.Err() != nil {
			return fmt.Errorf("stopped after %d of %d steps; nothing written (an adaptation is short: run it again)", a.Done(), a.Total())
		}
		parts, err := a.Step()
		if err != nil {
			return err
		}
		if !*quiet {
			fmt.Fprintf(os.Stderr, "step %d/%d %s %.1f s\n", a.Done(), a.Total(), lossLine(parts), time.Since(start).Seconds())
		}
	}
	secs := time.Since(start).Seconds()
	mf, err := adapt.Finish(a, src.Domain)
	if err != nil {
		return err
	}
	fmt.Printf("adapted: %d steps in %.1f s (%.2f steps/s)\n", a.Total(), secs, float64(a.Total())/secs)
	if err := score("after", mf); err != nil {
		return err
	}
	if *out != "" {
		if err := atomicfile.WriteFile(*out, mf); err != nil {
			return err
		}
		fmt.Printf("wrote %s\n", *out)
	}
	return nil
}

// lossLine prints a step's loss parts, sorted, without the diagnostics.
func lossLine(parts map[string]float64) string {
	var keys []string
	for k := range parts {
		if !strings.HasPrefix(k, "grad_") && !strings.HasPrefix(k, "diag_") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %.3f ", k, parts[k])
	}
	return strings.TrimSpace(b.String())
}

// readTruth reads -truth: line j names the image sentence j describes.
func readTruth(path string, names []string, n int) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
	if len(lines) != n {
		return nil, fmt.Errorf("%s has %d lines for %d sentences", path, len(lines), n)
	}
	at := make(map[string]int, len(names))
	for i, nm := range names {
		at[nm] = i
	}
	out := make([]int, n)
	for j, l := range lines {
		i, ok := at[strings.TrimSpace(l)]
		if !ok {
			return nil, fmt.Errorf("%s:%d: %q is not an image of the gallery", path, j+1, l)
		}
		out[j] = i
	}
	return out, nil
}
