package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"aeir/data"
	"aeir/data/vendormoji"
	"aeir/eval"
	"aeir/internal/atomicfile"
	"aeir/model"
	"aeir/results"
	"aeir/train"
)

func init() {
	commands["train"] = command{"train a model (AEIR, a baseline or the oracle) on a scenario", trainCmd}
	commands["eval"] = command{"evaluate a trained run on the target and source domains", evalCmd}
}

// loadTask builds the VendorMoji task a run's options name.
func loadTask(d train.Data) (*data.Task, error) {
	return results.TaskFor(d)
}

func isTTY(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func trainCmd(args []string) error {
	def := train.Defaults()
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	config := fs.String("config", "", "JSON options file (e.g. a run's options.json); flags given override it")
	method := fs.String("method", def.Method, "method: "+strings.Join(train.Methods, ", "))
	source := fs.String("source", vendormoji.Default.Source.String(), "source domain vendor/style (aligned pairs)")
	target := fs.String("target", vendormoji.Default.Target.String(), "target domain vendor/style (unaligned)")
	protocol := fs.String("protocol", vendormoji.Shared, "protocol: shared, novel, or deploy (every target item unaligned in training; for the demo model)")
	epochs := fs.Int("epochs", def.Epochs, "epochs")
	batch := fs.Int("batch", def.Batch, "batch size (source pairs per step)")
	lr := fs.Float64("lr", float64(def.LR), "peak learning rate (AdamW, warm-up then cosine)")
	wd := fs.Float64("wd", float64(def.WeightDecay), "AdamW weight decay")
	margin := fs.Float64("margin", float64(def.Margin), "margin α of the triplet loss")
	sumv := fs.Bool("sum-violations", !def.MaxViolation, "sum over negatives instead of the hardest one")
	sumEpochs := fs.Int("sum-epochs", def.SumEpochs, "with the hardest negative: sum of violations for this many first epochs")
	dim := fs.Int("dim", def.Model.Dim, "dimension D of the common space")
	channels := fs.String("channels", joinInts(def.Model.Channels), "CNN widths, comma-separated")
	size := fs.Int("size", vendormoji.EmbeddedSize, "tile size of the data and the model's input: 32 is embedded; another size N reads the build in .cache/vendormoji-N (make data-64)")
	noAug := fs.Bool("no-augment", !def.Augment, "turn image augmentation off")
	seed := fs.Uint64("seed", def.Seed, "seed of initialisation, data order, augmentation and dropout")
	out := fs.String("out", "", "run directory (default runs/<method>-<source>-<target>-<protocol>-s<seed>)")
	resume := fs.Bool("resume", false, "continue the run in --out from its last checkpoint")
	quiet := fs.Bool("q", false, "no progress output")
	lambda := fs.Float64("lambda", float64(def.LambdaMax), "ceiling of the gradient-reversal weight λ_p (dann, aeir)")
	strW := fs.Float64("str-weight", float64(def.StrWeight), "ceiling of the structural weight μ_p (structure, aeir)")
	strSpace := fs.String("str-space", def.StrSpace, "where image neighbours are searched: embedding, appearance or both")
	strFilter := fs.String("str-filter", def.StrFilter, "neighbour filter: mutual, threshold or none")
	strThresh := fs.Float64("str-thresh", float64(def.StrThresh), "minimum neighbour similarity")
	strWarm := fs.Int("str-warmup", def.StrWarmup, "epochs before L_str starts")
	mmdW := fs.Float64("mmd-weight", float64(def.MMDWeight), "weight of MMD² (mmd)")
	tb := fs.Int("target-batch", def.TargetBatch, "target images and sentences per step (transfer methods)")
	styleAug := fs.Float64("style-aug", float64(def.StyleAug), "probability of the line-art (outline) style augmentation of images")
	nameAug := fs.Float64("name-aug", float64(def.NameAug), "replace a source sentence by its short form (the CLDR name, style en) with this probability: teaches the short queries people type")
	fit := fs.Bool("fit", def.Model.Fit, "crop every image to its content before encoding (removes vendors' differences in drawing size)")
	strCSLS := fs.Int("str-csls", def.StrCSLS, "search structural neighbours by CSLS with this many neighbours instead of by cosine (0: cosine; not in the paper)")
	imW := fs.Float64("im-weight", float64(def.IMWeight), "weight of L_im, information maximisation of target images over the source sentences (structure, aeir; 0: off; not in the paper)")
	imTemp := fs.Float64("im-temp", float64(def.IMTemp), "temperature τ of L_im")
	sslW := fs.Float64("ssl-weight", float64(def.SSLWeight), "weight of L_ssl: two augmented views of each target image must find each other in the batch (transfer methods; 0: off; not in the paper)")
	sslTemp := fs.Float64("ssl-temp", float64(def.SSLTemp), "temperature τ of L_ssl")
	bankViews := fs.Int("bank-views", def.BankViews, "embed the images of the structural neighbour search as the mean of this many augmented views (structure, aeir; 0 or 1: one; not in the paper)")
	ema := fs.Float64("ema", float64(def.EMA), "keep an exponential moving average of the weights with this decay per step (e.g. 0.99): it finds the structural neighbours, is validated and saved as best.aeir (0: off; not in the paper)")
	mixStyle := fs.Float64("mix-style", float64(def.MixStyle), "probability that a source image takes a target image's feature statistics after the first two conv blocks (MixStyle; transfer methods; 0: off; not in the paper)")
	textDrop := fs.Float64("text-drop", float64(def.TextDrop), "drop each phrase of a source sentence with this probability (short-query robustness)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	opt := def
	if *config != "" {
		b, err := os.ReadFile(*config)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opt); err != nil {
			return fmt.Errorf("%s: %v", *config, err)
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	apply := func(name string, f func()) {
		if *config == "" || set[name] {
			f()
		}
	}
	apply("method", func() { opt.Method = *method })
	apply("source", func() { opt.Data.Source = *source })
	apply("target", func() { opt.Data.Target = *target })
	apply("protocol", func() { opt.Data.Protocol = *protocol })
	apply("epochs", func() { opt.Epochs = *epochs })
	apply("batch", func() { opt.Batch = *batch })
	apply("lr", func() { opt.LR = float32(*lr) })
	apply("wd", func() { opt.WeightDecay = float32(*wd) })
	apply("margin", func() { opt.Margin = float32(*margin) })
	apply("sum-violations", func() { opt.MaxViolation = !*sumv })
	apply("sum-epochs", func() { opt.SumEpochs = *sumEpochs })
	apply("dim", func() { opt.Model.Dim = *dim })
	apply("lambda", func() { opt.LambdaMax = float32(*lambda) })
	apply("str-weight", func() { opt.StrWeight = float32(*strW) })
	apply("str-space", func() { opt.StrSpace = *strSpace })
	apply("str-filter", func() { opt.StrFilter = *strFilter })
	apply("str-thresh", func() { opt.StrThresh = float32(*strThresh) })
	apply("str-warmup", func() { opt.StrWarmup = *strWarm })
	apply("mmd-weight", func() { opt.MMDWeight = float32(*mmdW) })
	apply("target-batch", func() { opt.TargetBatch = *tb })
	apply("text-drop", func() { opt.TextDrop = float32(*textDrop) })
	apply("style-aug", func() { opt.StyleAug = float32(*styleAug) })
	apply("fit", func() { opt.Model.Fit = *fit })
	apply("name-aug", func() { opt.NameAug = float32(*nameAug) })
	apply("str-csls", func() { opt.StrCSLS = *strCSLS })
	apply("im-weight", func() { opt.IMWeight = float32(*imW) })
	apply("im-temp", func() { opt.IMTemp = float32(*imTemp) })
	apply("ssl-weight", func() { opt.SSLWeight = float32(*sslW) })
	apply("ssl-temp", func() { opt.SSLTemp = float32(*sslTemp) })
	apply("mix-style", func() { opt.MixStyle = float32(*mixStyle) })
	apply("bank-views", func() { opt.BankViews = *bankViews })
	apply("ema", func() { opt.EMA = float32(*ema) })
	apply("no-augment", func() { opt.Augment = !*noAug })
	apply("seed", func() { opt.Seed = *seed; opt.Data.Seed = *seed })
	if *config == "" || set["channels"] {
		ch, err := parseInts(*channels)
		if err != nil {
			return fmt.Errorf("-channels: %v", err)
		}
		opt.Model.Channels = ch
	}
	apply("size", func() {
		opt.Model.ImageSize = *size
		opt.Data.Size = 0
		if *size != vendormoji.EmbeddedSize {
			opt.Data.Size = *size
		}
	})
	opt.Data.Dataset = vendormoji.Name
	if err := opt.Validate(); err != nil {
		return err
	}
	task, err := loadTask(opt.Data)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", fmt.Sprintf("%s-%s-%s-%s-s%d", opt.Method,
			strings.ReplaceAll(opt.Data.Source, "/", "."), strings.ReplaceAll(opt.Data.Target, "/", "."), opt.Data.Protocol, opt.Seed))
	}
	if opt.Method == "cca" {
		return fitCCA(task, opt, dir)
	}
	tr, err := train.New(task, opt, dir, *resume)
	if err != nil {
		return err
	}
	if !*quiet {
		tr.Log, tr.TTY = os.Stderr, isTTY(os.Stderr)
		label := opt.Method
		if opt.Method == "oracle" {
			label += " (target oracle: supervised on target pairs, an upper bound)"
		}
		fmt.Fprintf(os.Stderr, "train %s on %s, %d epochs × %d steps → %s\n", label, task.Name, opt.Epochs, tr.StepsPerEpoch(), dir)
	}
	if err := tr.Run(); err != nil {
		return err
	}
	h := tr.History()
	if len(h) > 0 && !*quiet {
		fmt.Fprintf(os.Stderr, "done: %s (best val rsum %.2f); evaluate with: aeir eval -run %s\n", filepath.Join(dir, train.BestFile), bestOf(h), dir)
	}
	return nil
}

func bestOf(h []train.Epoch) float64 {
	b := h[0].ValRSum
	for _, e := range h {
		b = max(b, e.ValRSum)
	}
	return b
}

func evalCmd(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	run := fs.String("run", "", "run directory written by aeir train")
	split := fs.String("split", "test", "target split: test or val")
	file := fs.String("model", train.BestFile, "model file inside the run directory")
	csls := fs.Int("csls", 0, "also rank with the demo's hubness correction (CSLS with this many neighbours), with whole sentences and, for English, short names; writes eval_<split>_csls<K>.json")
	views := fs.Int("views", 0, "embed the images as the mean of this many views under the run's training augmentation (test-time augmentation, as aeir export web -views does for the demo's galleries; 0: the model file's setting)")
	viewStyle := fs.Float64("view-style", -1, "line-art probability of the views (-1: the run's -style-aug)")
	gallery := fs.String("gallery", "split", "what each query ranks: split (the split's own images or sentences) or whole (every target image or sentence of the data set, as the demo page ranks; writes eval_<split>_whole….json)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *views < 0 || *views > 64 {
		return fmt.Errorf("-views %d: want 0 (the model file's setting), 1 (one view) … 64", *views)
	}
	if *viewStyle >= 0 && *views <= 1 {
		return fmt.Errorf("-view-style %v needs -views 2 or more", *viewStyle)
	}
	if *gallery != "split" && *gallery != "whole" {
		return fmt.Errorf("-gallery %q: want split or whole", *gallery)
	}
	if *run == "" {
		return fmt.Errorf("-run is required")
	}
	if *csls < 0 {
		return fmt.Errorf("-csls %d: want 0 (off) or a neighbour count", *csls)
	}
	if *split != "test" && *split != "val" {
		return fmt.Errorf("-split %q: want test or val", *split)
	}
	ob, err := os.ReadFile(filepath.Join(*run, train.OptionsFile))
	if err != nil {
		return fmt.Errorf("%v (is %s a run directory?)", err, *run)
	}
	var opt train.Options
	if err := json.Unmarshal(ob, &opt); err != nil {
		return fmt.Errorf("%s: %v", filepath.Join(*run, train.OptionsFile), err)
	}
	var m train.Encoder
	if opt.Method == "cca" {
		m, err = train.LoadCCA(filepath.Join(*run, *file))
	} else {
		m, _, _, err = model.Load(filepath.Join(*run, *file))
	}
	if err != nil {
		return err
	}
	suffix := ""
	if *views > 0 {
		mm, ok := m.(*model.Model)
		if !ok {
			return fmt.Errorf("-views: a %s model has no image augmentation", opt.Method)
		}
		mm.Config.GalleryViews, mm.Config.ViewStyle = *views, opt.StyleAug
		if *viewStyle >= 0 {
			mm.Config.ViewStyle = float32(*viewStyle)
		}
		if err := mm.Config.Validate(); err != nil {
			return err
		}
		suffix = fmt.Sprintf("_views%d", *views)
		if *viewStyle >= 0 {
			suffix += fmt.Sprintf("_style%g", *viewStyle)
		}
	}
	task, err := loadTask(opt.Data)
	if err != nil {
		return err
	}
	tgt := task.Test
	if *split == "val" {
		tgt = task.Val
	}
	if mm, ok := m.(*model.Model); ok && mm.Config.FeatureDim == 0 && tgt.Images.IsPixels() && mm.Config.ImageSize != tgt.Images.W {
		return fmt.Errorf("the model reads %d-px images, the run's data has %d px (options.json data.size)", mm.Config.ImageSize, tgt.Images.W)
	}
	name := opt.Method
	if opt.Method == "oracle" {
		name = "oracle (upper bound)"
	}
	var rows []eval.Row
	if *gallery == "whole" {
		rows, err = wholeGalleryRows(m, opt.Data, tgt, *csls, fmt.Sprintf("%s, target %s %s", name, opt.Data.Target, *split))
		if err != nil {
			return err
		}
		if err := eval.WriteTable(os.Stdout, rows); err != nil {
			return err
		}
		base := "eval_" + *split + "_whole"
		if *csls > 0 {
			base += fmt.Sprintf("_csls%d", *csls)
		}
		base += suffix
		return saveRows(filepath.Join(*run, base), rows)
	}
	mt, err := train.Evaluate(m, tgt)
	if err != nil {
		return err
	}
	rows = append(rows, eval.Row{Name: fmt.Sprintf("%s, target %s %s (cross-domain)", name, opt.Data.Target, *split), Metrics: mt})
	if *csls > 0 {
		extra, err := cslsRows(m, tgt, *csls, fmt.Sprintf("%s, target %s %s", name, opt.Data.Target, *split))
		if err != nil {
			return err
		}
		rows = append(rows, extra...)
	}
	if *split == "test" {
		ms, err := train.Evaluate(m, task.SourceTest)
		if err != nil {
			return err
		}
		seen := "held out"
		if opt.Data.Protocol == vendormoji.Shared {
			seen = "pairs seen in training"
		}
		rows = append(rows, eval.Row{Name: fmt.Sprintf("%s, source %s test concepts (in-domain, %s)", name, opt.Data.Source, seen), Metrics: ms})
	}
	ch, err := eval.Chance(tgt.Images.N, len(tgt.Texts), tgt.TextImage)
	if err != nil {
		return err
	}
	rows = append(rows, eval.Row{Name: "chance", Metrics: ch})
	if err := eval.WriteTable(os.Stdout, rows); err != nil {
		return err
	}
	base := "eval_" + *split
	if *csls > 0 {
		base += fmt.Sprintf("_csls%d", *csls)
	}
	base += suffix
	return saveRows(filepath.Join(*run, base), rows)
}

// saveRows writes rows as base.json and base.csv.
func saveRows(base string, rows []eval.Row) error {
	for _, ext := range []string{".json", ".csv"} {
		if err := eval.SaveFile(base+ext, rows); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "wrote %s and .csv\n", base+".json")
	return nil
}

// wholeGalleryRows measures the concepts of split against every image and
// sentence of the target domain — the demo page's gallery and corpus —
// rather than against the split alone: plain and, with k > 0, as the page
// ranks (CSLS over the whole gallery), with whole sentences and, for
// English, short names.
func wholeGalleryRows(m train.Encoder, d train.Data, split *data.Collection, k int, name string) ([]eval.Row, error) {
	dom, err := vendormoji.ParseDomain(d.Target)
	if err != nil {
		return nil, err
	}
	ds, err := vendormoji.LoadSize("", d.Size)
	if err != nil {
		return nil, err
	}
	all := make([]int, len(ds.Concepts))
	for i := range all {
		all[i] = i
	}
	whole := ds.Collection(dom, all, "all")
	at := make(map[string]int, len(whole.ImageIDs))
	for i, id := range whole.ImageIDs {
		at[id] = i
	}
	n := whole.Images.N
	var imgs, txts []int
	query := make([]bool, n)
	for _, id := range split.ImageIDs {
		i, ok := at[id]
		if !ok {
			return nil, fmt.Errorf("%s concept %s is not in the data set", split.Split, id)
		}
		imgs = append(imgs, i)
		query[i] = true
	}
	for j, i := range whole.TextImage {
		if query[i] {
			txts = append(txts, j)
		}
	}
	u := train.GalleryEmbeddings(m, whole.Images) // once: the short names share the images
	var rows []eval.Row
	add := func(c *data.Collection, label string) error {
		sim := eval.Similarity(nil, u, n, m.EncodeTexts(c.Texts), len(c.Texts), m.EmbedDim())
		mt, err := eval.EvaluateQueries(sim, n, len(c.Texts), c.TextImage, imgs, txts)
		if err != nil {
			return err
		}
		g := fmt.Sprintf("%s%s, against the whole gallery (%d images × %d sentences)", name, label, n, len(c.Texts))
		rows = append(rows, eval.Row{Name: g, Metrics: mt})
		if k > 0 {
			mc, err := eval.EvaluateQueries(eval.CSLS(sim, n, len(c.Texts), k), n, len(c.Texts), c.TextImage, imgs, txts)
			if err != nil {
				return err
			}
			rows = append(rows, eval.Row{Name: fmt.Sprintf("%s, hubness-corrected (CSLS, k = %d)", g, k), Metrics: mc})
		}
		return nil
	}
	if err := add(whole, ""); err != nil {
		return nil, err
	}
	if short := whole.ShortForms(); short != nil {
		if err := add(short, ", short names as sentences"); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// cslsRows evaluates c ranked with the hubness correction and, when c has
// short forms, with them as the sentences, plain and corrected.
func cslsRows(m train.Encoder, c *data.Collection, k int, name string) ([]eval.Row, error) {
	var rows []eval.Row
	mc, err := train.EvaluateCSLS(m, c, k)
	if err != nil {
		return nil, err
	}
	rows = append(rows, eval.Row{Name: fmt.Sprintf("%s, hubness-corrected (CSLS, k = %d)", name, k), Metrics: mc})
	short := c.ShortForms()
	if short == nil {
		return rows, nil
	}
	ms, err := train.Evaluate(m, short)
	if err != nil {
		return nil, err
	}
	msc, err := train.EvaluateCSLS(m, short, k)
	if err != nil {
		return nil, err
	}
	return append(rows,
		eval.Row{Name: name + ", short names as sentences", Metrics: ms},
		eval.Row{Name: fmt.Sprintf("%s, short names as sentences, hubness-corrected (CSLS, k = %d)", name, k), Metrics: msc}), nil
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var x int
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%d", &x); err != nil {
			return nil, fmt.Errorf("%q is not a list of integers", s)
		}
		out = append(out, x)
	}
	return out, nil
}

// fitCCA fits the CCA baseline on the source pairs and saves it as the
// run's model, with options.json beside it like a trained run.
func fitCCA(task *data.Task, opt train.Options, dir string) error {
	c, err := train.FitCCA(task.Train.Source, 128, 64, opt.Model.Fit)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ob, _ := json.MarshalIndent(opt, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(dir, train.OptionsFile), ob); err != nil {
		return err
	}
	if err := c.Save(filepath.Join(dir, train.BestFile)); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fitted CCA on %d source pairs → %s\n", len(task.Train.Source.Texts), dir)
	return nil
}
