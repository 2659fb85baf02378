package main

// ONNX interoperability: `aeir export --format onnx` (also `aeir export
// onnx` and `aeir onnx export`), `aeir onnx check` (the exported graphs
// against the Go model in onnx-go and onnxruntime-node) and `aeir onnx
// train --image-backbone model.onnx` (a user's data set through a frozen
// ONNX image backbone).

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"aeir/data"
	"aeir/data/vendormoji"
	"aeir/internal/clip"
	"aeir/model"
	"aeir/onnx"
	"aeir/train"
)

// onnxCommands are aeir onnx's subcommands.
var onnxCommands = []command{
	{"export", "write the image and sentence encoders of a model as ONNX graphs (opset 13)", onnxExportCmd},
	{"check", "run exported graphs in onnx-go and onnxruntime-node against the Go model", onnxCheckCmd},
}

// exportCmd is aeir export: `--format onnx …` and `onnx …` go to
// onnxExportCmd, anything else to the subcommands exportCommands.
func exportCmd(args []string) error {
	if len(args) > 0 && args[0] == "onnx" {
		return onnxExportCmd(args[1:])
	}
	format, rest, err := takeFormat(args)
	if err != nil {
		return err
	}
	switch {
	case format == "onnx":
		return onnxExportCmd(rest)
	case format != "":
		return fmt.Errorf("--format %s: the formats are onnx (and the subcommands web and site for the browser demo)", clip.Quote(format))
	}
	return runSub("export", exportCommands, args, "  aeir export --format onnx  write the encoders as ONNX graphs (opset 13; see aeir onnx)")
}

// takeFormat removes a -format/--format flag (as "--format onnx" or
// "--format=onnx") from args.
func takeFormat(args []string) (string, []string, error) {
	var rest []string
	format := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "format" {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return "", nil, errors.New("--format needs a value: --format onnx")
			}
			i++
			val = args[i]
		}
		format = val
	}
	return format, rest, nil
}

// modelFlags are the flags that pick a model file.
type modelFlags struct{ run, file *string }

func addModelFlags(fs *flag.FlagSet) modelFlags {
	return modelFlags{
		run:  fs.String("run", "", "run directory written by aeir train (its best.aeir)"),
		file: fs.String("model", "", "model file (default <run>/best.aeir)"),
	}
}

func (f modelFlags) load() (*model.Model, model.Meta, string, error) {
	path := *f.file
	if path == "" {
		if *f.run == "" {
			return nil, model.Meta{}, "", errors.New("-run or -model is required, e.g. -run runs/aeir-twemoji.en-openmoji.en-shared-s1")
		}
		path = filepath.Join(*f.run, train.BestFile)
	}
	m, meta, _, err := model.Load(path)
	if err != nil {
		return nil, meta, path, fmt.Errorf("%w (CCA runs have no ONNX export)", err)
	}
	return m, meta, path, nil
}

func onnxExportCmd(args []string) error {
	fs := flag.NewFlagSet("export --format onnx", flag.ContinueOnError)
	mf := addModelFlags(fs)
	out := fs.String("out", "", "output directory (default <run>/onnx, or onnx/ beside the model file)")
	check := fs.Bool("check", false, "then run the graphs in onnx-go (and onnxruntime-node when installed) against the Go model")
	quiet := fs.Bool("q", false, "print nothing on success")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	m, meta, path, err := mf.load()
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(filepath.Dir(path), "onnx")
	}
	paths, err := onnx.Export(m, meta, dir)
	if err != nil {
		return err
	}
	if !*quiet {
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			mp, err := onnx.Unmarshal(b)
			if err != nil {
				return err
			}
			in := mp.Graph.Inputs[0]
			fmt.Printf("%s  %.2f MB  %s %v → %s [batch %d]  ops: %s\n", p, float64(len(b))/1e6,
				in.Name, in.Shape, onnx.Output, m.Config.Dim, strings.Join(onnx.OpTypes(mp), " "))
		}
	}
	if *check {
		return runCheck(m, dir, []int{1, 32}, 3, "auto", *quiet)
	}
	return nil
}

func onnxCheckCmd(args []string) error {
	fs := flag.NewFlagSet("onnx check", flag.ContinueOnError)
	mf := addModelFlags(fs)
	dir := fs.String("dir", "", "directory of exported graphs (default: export the model into a temporary directory)")
	batches := fs.String("batches", "1,32", "batch sizes, comma-separated")
	runs := fs.Int("runs", 3, "runs per batch size on one session (repeated runs must not drift)")
	ort := fs.String("ort", "auto", "onnxruntime-node: auto (when installed), require, or off")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	bs, err := parseInts(*batches)
	if err != nil || len(bs) == 0 || slices.Min(bs) < 1 || slices.Max(bs) > 1906 {
		return fmt.Errorf("-batches %q: want positive sizes up to 1906, e.g. 1,32", *batches)
	}
	m, meta, _, err := mf.load()
	if err != nil {
		return err
	}
	d := *dir
	if d == "" {
		if d, err = os.MkdirTemp("", "aeir-onnx-"); err != nil {
			return err
		}
		defer os.RemoveAll(d)
		if _, err := onnx.Export(m, meta, d); err != nil {
			return err
		}
	}
	return runCheck(m, d, bs, *runs, *ort, false)
}

// runCheck compares the graphs in dir with the Go model on VendorMoji
// images and sentences (random features for feature models) and fails
// when a difference exceeds 1e-5.
func runCheck(m *model.Model, dir string, batches []int, runs int, ortMode string, quiet bool) error {
	n := slices.Max(batches)
	in, err := checkInput(m, n)
	if err != nil {
		return err
	}
	var ort *onnx.ORT
	switch ortMode {
	case "off":
	case "auto", "require":
		ort, err = onnx.FindORT()
		if err != nil {
			if ortMode == "require" {
				return err
			}
			fmt.Fprintf(os.Stderr, "onnxruntime-node skipped: %v\n", err)
			ort = nil
		}
	default:
		return fmt.Errorf("-ort %q: want auto, require or off", ortMode)
	}
	diffs, err := onnx.Check(m, dir, in, batches, runs, ort)
	for _, d := range diffs {
		if !quiet || d.MaxAbs > 1e-5 {
			fmt.Println(d)
		}
	}
	if err != nil {
		return err
	}
	for _, d := range diffs {
		if !(d.MaxAbs <= 1e-5) {
			return fmt.Errorf("%s %s batch %d differs from the Go model by %.3g (> 1e-5)", d.Runtime, d.Encoder, d.Batch, d.MaxAbs)
		}
	}
	return nil
}

func checkInput(m *model.Model, n int) (onnx.CheckInput, error) {
	ds, err := vendormoji.Load()
	if err != nil {
		return onnx.CheckInput{}, err
	}
	ids := make([]int, n)
	for i := range ids {
		ids[i] = (i * 7919) % len(ds.Concepts) // spread over the categories
	}
	c := ds.Collection(vendormoji.Default.Target, ids, "")
	in := onnx.CheckInput{Images: c.Images, Texts: c.Texts}
	cfg := m.Config
	switch {
	case cfg.FeatureDim > 0:
		rng := rand.New(rand.NewPCG(1, 2))
		f := make([]float32, n*cfg.FeatureDim)
		for i := range f {
			f[i] = float32(rng.NormFloat64())
		}
		in.Images = &data.Images{N: n, Dim: cfg.FeatureDim, Feat: f}
	case cfg.ImageSize != c.Images.W:
		in.Images = c.Images.Scaled(cfg.ImageSize)
	}
	return in, nil
}
