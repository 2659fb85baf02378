package main

import (
	"aeir/internal/gallerydir"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-gota/gota/dataframe"

	"aeir/data/build"
	"aeir/data/vendormoji"
	"aeir/plots"
)

// dataCommands are aeir data's subcommands.
var dataCommands = []command{
	{"build", "build VendorMoji from pinned npm packages", dataBuild},
	{"check", "rebuild in a temporary directory and compare checksums", dataCheck},
	{"stats", "counts, vocabulary and categories per domain and split", dataStats},
	{"sheet", "write a PNG contact sheet of concepts across vendors", dataSheet},
	{"export", "write a VendorMoji scenario as your own data would be: csv, tsv, jsonl, karpathy or precomp", dataExport},
	{"folder", "write one vendor's images as a folder of PNG files with a sentences file, as a visitor gives them to the page's \"Your gallery\" (and aeir adapt)", dataFolder},
}

func dataFolder(args []string) error {
	fs := flag.NewFlagSet("data folder", flag.ContinueOnError)
	vendor := fs.String("vendor", "noto", "vendor of the images: "+strings.Join(vendormoji.Vendors, ", "))
	style := fs.String("style", "en", "text style of the sentences: "+strings.Join(vendormoji.Styles, ", "))
	split := fs.String("split", "all", "concepts: all, or the shared protocol's train, val or test split")
	size := fs.Int("size", 64, "tile size: 32 is embedded; another size N reads .cache/vendormoji-N (make data-64)")
	out := fs.String("out", "", "output folder (must not exist): img/NNNN.png, sentences.txt, and truth.txt (line j: the image sentence j describes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("-out is required")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s exists; give a new folder", *out)
	}
	ds, err := vendormoji.LoadSize("", *size)
	if err != nil {
		return err
	}
	var ids []int
	switch *split {
	case "all":
	case "train", "val", "test":
		sp := ds.Splits.Protocols[vendormoji.Shared]
		ids = map[string][]int{"train": sp.TargetTrain, "val": sp.Val, "test": sp.Test}[*split]
	default:
		return fmt.Errorf("-split %q: want all, train, val or test", *split)
	}
	f, err := gallerydir.Write(ds, *vendor, *style, ids, *out)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d images to %s, %s and %s\n", len(f.Images), filepath.Join(*out, "img"), f.Sentences, f.Truth)
	return nil
}

func dataBuild(args []string) error {
	fs := flag.NewFlagSet("data build", flag.ContinueOnError)
	cache := fs.String("cache", ".cache/npm", "directory of npm tarballs (fetched with npm pack when missing)")
	out := fs.String("out", "data/vendormoji/files", "output directory")
	size := fs.Int("size", 32, "tile size in pixels (8–64)")
	seed := fs.Uint64("seed", 1, "split seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return build.Build(build.Options{Cache: *cache, Out: *out, Size: *size, Seed: *seed, Log: os.Stderr})
}

func dataCheck(args []string) error {
	fs := flag.NewFlagSet("data check", flag.ContinueOnError)
	cache := fs.String("cache", ".cache/npm", "directory of npm tarballs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "vendormoji-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := build.Build(build.Options{Cache: *cache, Out: tmp, Log: os.Stderr}); err != nil {
		return err
	}
	ds, err := vendormoji.Load()
	if err != nil {
		return err
	}
	bad := 0
	for name, want := range ds.Manifest.Files {
		b, err := os.ReadFile(filepath.Join(tmp, name))
		if err != nil {
			return err
		}
		got := build.SHA256(b)
		if got != want {
			fmt.Printf("DIFFERS  %s: rebuilt %s, committed %s\n", name, got[:12], want[:12])
			bad++
		}
		committed, err := vendormoji.ReadFile(name)
		if err != nil || build.SHA256(committed) != want {
			fmt.Printf("CORRUPT  committed %s does not match its manifest checksum\n", name)
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d files differ", bad, len(ds.Manifest.Files))
	}
	fmt.Printf("ok: %d files rebuilt with identical SHA-256\n", len(ds.Manifest.Files))
	return nil
}

func dataStats(args []string) error {
	fs := flag.NewFlagSet("data stats", flag.ContinueOnError)
	protocol := fs.String("protocol", vendormoji.Shared, "protocol: shared or novel")
	asCSV := fs.Bool("csv", false, "print CSV instead of tables")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ds, err := vendormoji.Load()
	if err != nil {
		return err
	}
	ims, txt, err := ds.Stats(*protocol)
	if err != nil {
		return err
	}
	cats, err := ds.Categories(*protocol)
	if err != nil {
		return err
	}
	if *asCSV {
		for _, df := range []dataframe.DataFrame{ims, txt, cats} {
			if err := df.WriteCSV(os.Stdout); err != nil {
				return err
			}
			fmt.Println()
		}
		return nil
	}
	fmt.Print(ds.Describe())
	fmt.Printf("\nimage domains (protocol %s):\n", *protocol)
	fmt.Println(table(ims))
	fmt.Printf("text domains (protocol %s):\n", *protocol)
	fmt.Println(table(txt))
	fmt.Printf("categories (concepts per split, protocol %s):\n", *protocol)
	fmt.Println(table(cats))
	return nil
}

func dataSheet(args []string) error {
	fs := flag.NewFlagSet("data sheet", flag.ContinueOnError)
	out := fs.String("o", "sheet.png", "output PNG")
	n := fs.Int("n", 12, "number of concepts")
	seed := fs.Uint64("seed", 1, "which concepts: one per category in turn, seeded")
	scale := fs.Int("scale", 2, "pixel scale of the tiles")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 200 {
		return fmt.Errorf("-n %d: want 1…200", *n)
	}
	if *scale < 1 || *scale > 8 {
		return fmt.Errorf("-scale %d: want 1…8", *scale)
	}
	ds, err := vendormoji.Load()
	if err != nil {
		return err
	}
	var cols []string
	for _, v := range ds.Manifest.Vendors {
		cols = append(cols, vendormoji.VendorTitle[v])
	}
	var rows []plots.SheetRow
	for _, id := range ds.Sample(*n, *seed) {
		c := ds.Concepts[id]
		row := plots.SheetRow{Title: fmt.Sprintf("%s  (U+%s, %s / %s)", c.Name, c.Unified, c.Category, c.Subgroup),
			Lines: []string{"en: " + c.Texts["en"], "tags: " + c.Texts["tags"], "de: " + c.Texts["de"]}}
		for _, v := range ds.Manifest.Vendors {
			row.Tiles = append(row.Tiles, ds.Images[v].At(id))
		}
		rows = append(rows, row)
	}
	img, err := plots.ContactSheet(cols, rows, *scale)
	if err != nil {
		return err
	}
	if err := writePNG(*out, img); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s (%d concepts)\n", *out, len(rows))
	return nil
}

func dataExport(args []string) error {
	fs := flag.NewFlagSet("data export", flag.ContinueOnError)
	format := fs.String("format", "csv", "output format: "+strings.Join(vendormoji.ExportFormats, ", ")+" (precomp writes the pixels as features, as -image-backbone pixels reads them)")
	source := fs.String("source", vendormoji.Default.Source.String(), "source domain vendor/style (its pairs, split train)")
	target := fs.String("target", vendormoji.Default.Target.String(), "target domain vendor/style (its train, val and test splits)")
	protocol := fs.String("protocol", vendormoji.Shared, "protocol of the splits: shared or novel")
	concepts := fs.Int("concepts", 0, "only this many concepts, spread over the categories (0: all 1,906)")
	size := fs.Int("size", vendormoji.EmbeddedSize, "tile size: 32 is embedded; another size N reads .cache/vendormoji-N (make data-64)")
	out := fs.String("out", "", "output folder (must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return fmt.Errorf("-out is required: a new folder for the files")
	}
	s, err := vendormoji.ParseDomain(*source)
	if err != nil {
		return fmt.Errorf("-source: %w", err)
	}
	t, err := vendormoji.ParseDomain(*target)
	if err != nil {
		return fmt.Errorf("-target: %w", err)
	}
	sz := 0
	if *size != vendormoji.EmbeddedSize {
		sz = *size
	}
	ds, err := vendormoji.LoadSize("", sz)
	if err != nil {
		return err
	}
	src, tgt, err := ds.Export(vendormoji.ExportOptions{Format: *format, Scenario: vendormoji.Scenario{Source: s, Target: t}, Protocol: *protocol, Concepts: *concepts, Out: *out})
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s\nsource: %s\ntarget: %s\ntrain on it with:\n  aeir train -source %s -target %s", *out, src, tgt, src, tgt)
	if *size != vendormoji.EmbeddedSize {
		fmt.Printf(" -size %d", *size)
	}
	fmt.Println()
	return nil
}
