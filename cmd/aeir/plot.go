package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"

	"aeir/data"
	"aeir/data/formats"
	"aeir/data/vendormoji"
	"aeir/eval"
	"aeir/model"
	"aeir/plots"
	"aeir/run"
	"aeir/train"
	"aeir/tsne"
)

// plotCommands are aeir plot's subcommands.
var plotCommands = []command{
	{"tsne", "t-SNE map of source and target images and sentences, before and after adaptation", plotTSNE},
	{"recall", "recall@K curves (K = 1…100) of runs, image→text and text→image", plotRecall},
	{"curves", "training curves of runs: loss parts, accuracies, validation rsum", plotCurves},
	{"results", "results bars per scenario with error bars over seeds, from a results CSV", plotResults},
}

// runList is a repeatable -run flag.
type runList []string

func (r *runList) String() string { return strings.Join(*r, ",") }
func (r *runList) Set(s string) error {
	*r = append(*r, s)
	return nil
}

// figFlags are the output flags every plot subcommand takes.
type figFlags struct {
	out           *string
	width, height *float64
	dpi           *int
}

func addFigFlags(fs *flag.FlagSet) figFlags {
	return figFlags{
		out:    fs.String("o", "", "output file: .png, .svg or .pdf (required)"),
		width:  fs.Float64("width", 0, "width in inches (0: the figure's default, 7 = double column, 3.5 = single)"),
		height: fs.Float64("height", 0, "height in inches (0: the figure's default)"),
		dpi:    fs.Int("dpi", plots.DefaultDPI, "PNG resolution"),
	}
}

// check validates the output flags before any work is done.
// parse parses a plot subcommand's arguments (flags only) and checks the
// figure flags.
func (f figFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return f.check()
}

func (f figFlags) check() error {
	if *f.out == "" {
		return fmt.Errorf("-o is required: the figure file (.png, .svg or .pdf)")
	}
	if _, err := plots.FormatOf(*f.out); err != nil {
		return fmt.Errorf("-o %s: unknown extension %q: use .png, .svg or .pdf", *f.out, filepath.Ext(*f.out))
	}
	if *f.width < 0 || *f.width > 40 || *f.height < 0 || *f.height > 40 {
		return fmt.Errorf("-width %v, -height %v: want inches in (0, 40]", *f.width, *f.height)
	}
	if *f.dpi < 30 || *f.dpi > 2400 {
		return fmt.Errorf("-dpi %d: want 30…2400", *f.dpi)
	}
	return nil
}

func (f figFlags) size() (w, h vg.Length) {
	return vg.Length(*f.width) * vg.Inch, vg.Length(*f.height) * vg.Inch
}

func (f figFlags) save(fig *plots.Figure) error {
	fig.DPI = *f.dpi
	if err := fig.Save(*f.out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s\n", *f.out)
	return nil
}

// plotRun is a run directory's options and model.
type plotRun struct {
	dir string
	opt train.Options
	enc train.Encoder
	r   *run.Run
}

// readOptions reads dir/options.json.
func readOptions(dir string) (train.Options, error) {
	r, err := run.Open(dir)
	if err != nil {
		return train.Options{}, err
	}
	return r.Options, nil
}

// loadRun reads a run directory: options and best model; its data, when
// read, is read within lim.
func loadRun(dir string, lim *formats.Limits) (plotRun, error) {
	r, err := run.Open(dir)
	if err != nil {
		return plotRun{}, err
	}
	r.Limits = lim
	enc, err := r.Model("")
	if err != nil {
		return plotRun{}, err
	}
	return plotRun{dir, r.Options, enc, r}, nil
}

// label is a run's name in a legend.
func (r plotRun) label() string {
	if r.opt.Method == "oracle" {
		return "oracle (upper bound)"
	}
	return r.opt.Method
}

func sameData(a, b train.Data) bool {
	return a.Source == b.Source && a.Target == b.Target && a.Protocol == b.Protocol
}

func scenarioOf(d train.Data) string {
	return fmt.Sprintf("%s → %s (%s)", d.Source, d.Target, d.Protocol)
}

func splitOf(task *data.Task, split string) (*data.Collection, error) {
	var c *data.Collection
	switch split {
	case "test":
		c = task.Test
	case "val":
		c = task.Val
	default:
		return nil, fmt.Errorf("-split %q: want test or val", split)
	}
	if c == nil {
		return nil, fmt.Errorf("the target %s has no aligned %s split to draw (its run was trained without a holdout)", task.Train.TargetDomain, split)
	}
	return c, nil
}

func plotTSNE(args []string) error {
	fs := flag.NewFlagSet("plot tsne", flag.ContinueOnError)
	var lim formats.Limits
	addLimitFlags(fs, &lim)
	ff := addFigFlags(fs)
	after := fs.String("run", "", "run directory of the adapted (\"after\") model (required)")
	before := fs.String("before", "init", `"before" model: a run directory (e.g. source-only), or "init" for the untrained network of -run's configuration and seed`)
	split := fs.String("split", "test", "concepts to map: test or val (target split; the source domain on the same concepts)")
	n := fs.Int("n", 0, "concepts per domain (0: all of the split), the first n in split order")
	thumbs := fs.Int("thumbs", 16, "emoji thumbnails per panel (0: none)")
	perp := fs.Float64("perplexity", 30, "t-SNE perplexity")
	theta := fs.Float64("theta", 0.5, "Barnes–Hut θ (0: exact repulsion)")
	iters := fs.Int("iters", 1000, "t-SNE iterations")
	seed := fs.Uint64("seed", 1, "seed of drawing order and thumbnail choice")
	caption := fs.String("caption", "", "text printed under the panels")
	emb := fs.String("emb", "", "instead of -run: an N×D .npy of embeddings trained anywhere (one panel; rows are L2-normalised)")
	meta := fs.String("meta", "", "with -emb: a CSV of N rows with columns domain, modality (image or text), label and optional image (a thumbnail path relative to the CSV)")
	title := fs.String("title", "", "with -emb: the panel's title")
	if err := ff.parse(fs, args); err != nil {
		return err
	}
	if *emb != "" || *meta != "" {
		if *emb == "" || *meta == "" || *after != "" {
			return fmt.Errorf("-emb and -meta go together, without -run")
		}
		set := flagSet(fs)
		o := defaultPlotEmbOptions()
		o.Title, o.Caption, o.Theta, o.Iters, o.Seed, o.Thumbs, o.Log = *title, *caption, *theta, *iters, *seed, *thumbs, os.Stderr
		if set["perplexity"] {
			o.Perplexity = *perp
		}
		o.Width, o.Height = ff.size()
		fig, err := plotTSNEFromFiles(*emb, *meta, o)
		if err != nil {
			return err
		}
		return ff.save(fig)
	}
	if *after == "" {
		return fmt.Errorf("-run is required: the run directory of the adapted model (or -emb and -meta for embeddings of your own)")
	}
	ra, err := loadRun(*after, &lim)
	if err != nil {
		return err
	}
	var rb plotRun
	beforeTitle := ""
	if *before == "init" {
		if ra.opt.Method == "cca" {
			return fmt.Errorf("-before init: %s is a CCA fit, which has no untrained network; pass -before with a run directory", *after)
		}
		m, err := model.New(ra.opt.Model, ra.opt.Seed)
		if err != nil {
			return err
		}
		rb = plotRun{dir: "init", opt: ra.opt, enc: m, r: ra.r}
		beforeTitle = "before: untrained network"
	} else {
		if rb, err = loadRun(*before, &lim); err != nil {
			return fmt.Errorf("-before: %w", err)
		}
		if !sameData(rb.opt.Data, ra.opt.Data) {
			return fmt.Errorf("-before %s was trained on %s but -run %s on %s: map runs of the same scenario", *before, scenarioOf(rb.opt.Data), *after, scenarioOf(ra.opt.Data))
		}
		beforeTitle = "before: " + rb.label()
	}
	task, err := ra.r.Task()
	if err != nil {
		return err
	}
	tgt, err := splitOf(task, *split)
	if err != nil {
		return err
	}
	src := task.SourceTest
	if spec, _ := run.ParseSpec(ra.opt.Data.Source); spec.Vendor != nil && *split == "val" {
		if src, err = sourceOn(ra.opt.Data, tgt); err != nil {
			return err
		}
	} else if spec.Vendor == nil && (src == nil || *split == "val") {
		src = first(task.Train.Source, tgt.Images.N) // a file's source: as many of its training pairs
	}
	if *n > 0 {
		tgt, src = first(tgt, *n), first(src, *n)
	}
	opt := tsne.Defaults()
	opt.Perplexity, opt.Theta, opt.Iters = *perp, *theta, *iters
	opt.ExaggerationIters = min(opt.ExaggerationIters, *iters/2)
	srcName, tgtName := "source "+task.Train.Source.Domain, "target "+task.Train.TargetDomain
	var panels []plots.MapPanel
	for i, r := range []plotRun{rb, ra} {
		title := []string{"(a) " + beforeTitle, "(b) after: " + ra.label()}[i]
		groups := []plots.Embeddings{
			embeddings(r.enc, src, srcName, plots.Image),
			embeddings(r.enc, src, srcName, plots.Sentence),
			embeddings(r.enc, tgt, tgtName, plots.Image),
			embeddings(r.enc, tgt, tgtName, plots.Sentence),
		}
		fmt.Fprintf(os.Stderr, "t-SNE of %d points (%s)…\n", 2*(src.Images.N+tgt.Images.N), title)
		p, err := plots.Map(title, groups, opt)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "  KL %.3f\n", p.KL)
		panels = append(panels, p)
	}
	w, h := ff.size()
	fig, err := plots.MapFigure(panels, plots.MapOptions{Width: w, Height: h, Thumbs: *thumbs, Seed: *seed, Caption: *caption})
	if err != nil {
		return err
	}
	return ff.save(fig)
}

// sourceOn returns the source domain on the concepts of the target
// collection c.
func sourceOn(d train.Data, c *data.Collection) (*data.Collection, error) {
	ds, err := vendormoji.LoadSize("", d.Size)
	if err != nil {
		return nil, err
	}
	dom, err := vendormoji.ParseDomain(d.Source)
	if err != nil {
		return nil, err
	}
	id := map[string]int{}
	for _, k := range ds.Concepts {
		id[k.Unified] = k.ID
	}
	var ids []int
	for _, u := range c.ImageIDs {
		i, ok := id[u]
		if !ok {
			return nil, fmt.Errorf("concept %s of %s is not in %s", u, c.Domain, vendormoji.Name)
		}
		ids = append(ids, i)
	}
	return ds.Collection(dom, ids, c.Split), nil
}

// embeddings encodes a collection's images or sentences.
func embeddings(enc train.Encoder, c *data.Collection, domain string, m plots.Modality) plots.Embeddings {
	e := plots.Embeddings{Domain: domain, Modality: m, Dim: enc.EmbedDim()}
	if m == plots.Image {
		e.Vecs = enc.EncodeImages(c.Images)
		if c.Images.IsPixels() {
			for i := range c.Images.N {
				e.Thumbs = append(e.Thumbs, image.Image(c.Images.At(i)))
			}
		}
	} else {
		e.Vecs = enc.EncodeTexts(c.Texts)
	}
	return e
}

// first returns the first n images of c with their sentences.
func first(c *data.Collection, n int) *data.Collection {
	if n >= c.Images.N {
		return c
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return c.Subset(idx)
}

func plotRecall(args []string) error {
	fs := flag.NewFlagSet("plot recall", flag.ContinueOnError)
	var lim formats.Limits
	addLimitFlags(fs, &lim)
	ff := addFigFlags(fs)
	var runs runList
	fs.Var(&runs, "run", "run directory (repeat for several methods; all of the same scenario)")
	split := fs.String("split", "test", "target split: test or val")
	kmax := fs.Int("kmax", 100, "largest K")
	chance := fs.Bool("chance", true, "draw the chance curve")
	linear := fs.Bool("linear", false, "linear K axis (default logarithmic)")
	caption := fs.String("caption", "", "text printed under the panels")
	if err := ff.parse(fs, args); err != nil {
		return err
	}
	if len(runs) == 0 {
		return fmt.Errorf("-run is required: one or more run directories")
	}
	if *kmax < 1 || *kmax > 10000 {
		return fmt.Errorf("-kmax %d: want 1…10000", *kmax)
	}
	var loaded []plotRun
	for _, d := range runs {
		r, err := loadRun(d, &lim)
		if err != nil {
			return err
		}
		if len(loaded) > 0 && !sameData(r.opt.Data, loaded[0].opt.Data) {
			return fmt.Errorf("-run %s is %s but -run %s is %s: recall curves compare methods on one scenario", d, scenarioOf(r.opt.Data), loaded[0].dir, scenarioOf(loaded[0].opt.Data))
		}
		loaded = append(loaded, r)
	}
	task, err := loaded[0].r.Task()
	if err != nil {
		return err
	}
	tgt, err := splitOf(task, *split)
	if err != nil {
		return err
	}
	names := map[string]int{}
	for _, r := range loaded {
		names[r.label()]++
	}
	var curves []plots.RecallCurve
	for _, r := range loaded {
		sim := train.Similarity(r.enc, tgt)
		i2t, t2i, err := eval.RecallCurve(sim, tgt.Images.N, len(tgt.Texts), tgt.TextImage, *kmax)
		if err != nil {
			return fmt.Errorf("%s: %w", r.dir, err)
		}
		name := r.label()
		if names[name] > 1 {
			name += " (" + filepath.Base(r.dir) + ")"
		}
		curves = append(curves, plots.RecallCurve{Name: name, I2T: i2t, T2I: t2i, UpperBound: r.opt.Method == "oracle"})
	}
	w, h := ff.size()
	ro := plots.RecallOptions{Width: w, Height: h, LinearK: *linear, Caption: *caption}
	if *chance {
		i2t, t2i, err := eval.ChanceCurve(tgt.Images.N, len(tgt.Texts), tgt.TextImage, *kmax)
		if err != nil {
			return err
		}
		ro.Chance = &plots.RecallCurve{Name: "chance", I2T: i2t, T2I: t2i}
	}
	fig, err := plots.RecallFigure(curves, ro)
	if err != nil {
		return err
	}
	return ff.save(fig)
}

func plotCurves(args []string) error {
	fs := flag.NewFlagSet("plot curves", flag.ContinueOnError)
	ff := addFigFlags(fs)
	var runs runList
	fs.Var(&runs, "run", "run directory (repeat to compare runs)")
	caption := fs.String("caption", "", "text printed under the panels")
	if err := ff.parse(fs, args); err != nil {
		return err
	}
	if len(runs) == 0 {
		return fmt.Errorf("-run is required: one or more run directories")
	}
	var hs []plots.History
	names := map[string]int{}
	var opts []train.Options
	for _, d := range runs {
		opt, err := readOptions(d)
		if err != nil {
			return err
		}
		opts = append(opts, opt)
		names[plotRun{opt: opt}.label()]++
	}
	for i, d := range runs {
		p := filepath.Join(d, train.HistoryFile)
		b, err := os.ReadFile(p)
		if err != nil {
			if opts[i].Method == "cca" {
				return fmt.Errorf("%s is a CCA fit: it has no training history to draw", d)
			}
			return fmt.Errorf("%s has no %s: has it trained an epoch yet?", d, train.HistoryFile)
		}
		var h []train.Epoch
		if err := json.Unmarshal(b, &h); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if len(h) == 0 {
			return fmt.Errorf("%s: no epochs recorded", p)
		}
		name := plotRun{opt: opts[i]}.label()
		if names[name] > 1 {
			name += " (" + filepath.Base(d) + ")"
		}
		hs = append(hs, plots.History{Name: name, Epochs: h})
	}
	w, h := ff.size()
	fig, err := plots.CurvesFigure(hs, plots.CurvesOptions{Width: w, Height: h, Caption: *caption})
	if err != nil {
		return err
	}
	return ff.save(fig)
}

func plotResults(args []string) error {
	fs := flag.NewFlagSet("plot results", flag.ContinueOnError)
	ff := addFigFlags(fs)
	csvPath := fs.String("csv", "", "results CSV: a header with method, scenario (or source and target), seed, rsum and other metric columns, one line per run (e.g. results/image.csv of aeir bench) (required)")
	metric := fs.String("metric", "rsum", "column to draw")
	methods := fs.String("methods", "", "methods to draw, in order, comma-separated (default: all, the registered methods in table order, then others as they appear)")
	caption := fs.String("caption", "", "text printed under the panel")
	if err := ff.parse(fs, args); err != nil {
		return err
	}
	if *csvPath == "" {
		return fmt.Errorf("-csv is required: the results CSV to draw")
	}
	f, err := os.Open(*csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := plots.ReadResultsCSV(f, *csvPath)
	if err != nil {
		return err
	}
	bars, err := plots.Summarize(rows, *metric)
	if err != nil {
		return fmt.Errorf("%s: %w", *csvPath, err)
	}
	w, h := ff.size()
	ro := plots.ResultsOptions{Width: w, Height: h, Metric: *metric, Caption: *caption, Order: train.Methods}
	if *methods != "" {
		for _, m := range strings.Split(*methods, ",") {
			ro.Methods = append(ro.Methods, strings.TrimSpace(m))
		}
	}
	fig, err := plots.ResultsFigure(bars, ro)
	if err != nil {
		return err
	}
	return ff.save(fig)
}
