package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"aeir/web/deploy"
)

// exportCommands are aeir export's subcommands; `aeir export --format
// onnx` (or `aeir export onnx`) writes ONNX graphs instead (exportCmd).
var exportCommands = []command{
	{"web", "write the demo's assets for a run (VendorMoji, or a user's files): float16 model, gallery embeddings, corpus, manifest", exportWebCmd},
	{"site", "assemble the static demo directory (page, engine, assets, licences, .gz/.br copies)", exportSiteCmd},
}

func exportWebCmd(args []string) error {
	fs := flag.NewFlagSet("export web", flag.ContinueOnError)
	run := fs.String("run", "", "run directory written by aeir train (its best.aeir and options.json); for a run on your own files the gallery is its whole target domain")
	file := fs.String("model", "", "model file (default <run>/best.aeir); without -run its metadata must name the scenario")
	out := fs.String("out", "site/assets", "assets directory the site is built from")
	galleries := fs.String("galleries", "", "VendorMoji: vendors to export galleries for, comma-separated (default: all three, the model's target first)")
	attribution := fs.String("attribution", "", "a run on your own files: the licence and attribution notice of the data, shown on the page (default: a notice naming the data file)")
	maxGallery := fs.Float64("max-gallery-mb", float64(deploy.DefaultGalleryBytes)/(1<<20), "a run on your own files: budget of the gallery's files (embeddings, thumbnails or labels, sentences) in MiB, uncompressed")
	maxDrop := fs.Float64("max-drop", 2, "largest rsum the float16 weights may lose against float32")
	views := fs.Int("views", 1, "embed each gallery image as the mean of this many augmented views (test-time augmentation; saved in the model file)")
	viewStyle := fs.Float64("view-style", -1, "line-art probability of the views (-1: the run's -style-aug)")
	scenario := fs.String("scenario", "", "VendorMoji scenario source→target to export the model for, when its file names none (a model adapted in the page says \"…→your gallery\"), e.g. twemoji/en→noto/en")
	quiet := fs.Bool("q", false, "no progress output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *run == "" && *file == "" {
		return errors.New("-run (or -model) is required, e.g. aeir export web -run runs/aeir-twemoji.en-openmoji.en-shared-s1")
	}
	if *views < 1 || *views > 64 {
		return fmt.Errorf("-views %d: want 1 (one view) … 64", *views)
	}
	if *viewStyle >= 0 && *views == 1 {
		return fmt.Errorf("-view-style %v needs -views 2 or more", *viewStyle)
	}
	if *maxGallery <= 0 {
		return fmt.Errorf("-max-gallery-mb %v: want a positive budget", *maxGallery)
	}
	o := deploy.ExportOptions{Run: *run, Model: *file, Scenario: *scenario, Out: *out, MaxDrop: *maxDrop, Views: *views, ViewStyle: float32(*viewStyle),
		Attribution: *attribution, MaxGalleryBytes: int(*maxGallery * (1 << 20))}
	if *galleries != "" {
		o.Vendors = strings.Split(*galleries, ",")
	}
	if !*quiet {
		o.Log = os.Stderr
	}
	_, err := deploy.Export(o)
	return err
}

func exportSiteCmd(args []string) error {
	fs := flag.NewFlagSet("export site", flag.ContinueOnError)
	out := fs.String("out", "site/dist", "output directory: created, or replaced as a whole only when an earlier aeir export site wrote it (its "+deploy.SiteMarker+" file); any other non-empty directory is refused")
	root := fs.String("root", ".", "repository root (index.html and site/)")
	assets := fs.String("assets", "", "exported assets (default <root>/site/assets)")
	wasm := fs.String("wasm", "bin/aeir.wasm", "engine built with GOOS=js GOARCH=wasm go build -o bin/aeir.wasm ./wasm")
	wasmExec := fs.String("wasm-exec", "", "wasm_exec.js of the Go that built the engine (default $(go env GOROOT)/lib/wasm/wasm_exec.js)")
	figures := fs.String("figures", "", "directory with tsne.png and results.md or results.csv (default <root>/docs/figures)")
	br := fs.Int("brotli", 11, "brotli quality 1…11; -1 writes no .br copies")
	budget := fs.Float64("budget", 5, "largest first download in MB (10^6 bytes), gzip-compressed; 0 turns the check off")
	quiet := fs.Bool("q", false, "print only the totals")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *wasmExec == "" {
		b, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return fmt.Errorf("-wasm-exec not given and `go env GOROOT` failed: %v", err)
		}
		*wasmExec = filepath.Join(strings.TrimSpace(string(b)), "lib", "wasm", "wasm_exec.js")
	}
	if _, err := os.Stat(*wasm); err != nil {
		return fmt.Errorf("%v: build the engine first: GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o %s ./wasm", err, *wasm)
	}
	rep, err := deploy.BuildSite(deploy.SiteOptions{Root: *root, Assets: *assets, Wasm: *wasm, WasmExec: *wasmExec, Figures: *figures, Out: *out, Brotli: *br})
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Printf("%-40s %10s %10s %10s  %s\n", "file", "raw", "gzip", "brotli", "first load")
		for _, f := range rep.Files {
			c := ""
			if f.Core {
				c = "yes"
			}
			fmt.Printf("%-40s %10d %10d %10d  %s\n", f.Path, f.Raw, f.Gzip, f.Brotli, c)
		}
	}
	fmt.Printf("site %s (model: %s): first load %s raw, %s gzip, %s brotli; all files %s raw, %s gzip\n",
		*out, rep.Method, mb(rep.CoreRaw), mb(rep.CoreGzip), mb(rep.CoreBrotli), mb(rep.TotalRaw), mb(rep.TotalGzip))
	if *budget > 0 && float64(rep.CoreGzip) > *budget*1e6 {
		return fmt.Errorf("the first load is %s gzip-compressed, over the %.1f MB budget", mb(rep.CoreGzip), *budget)
	}
	return nil
}

func mb(n int) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }
