package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"aeir/data/formats"
	"aeir/data/vendormoji"
	"aeir/eval"
	"aeir/onnx"
	"aeir/run"
	"aeir/train"
)

func isTTY(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func trainCmd(args []string) error {
	def := train.Defaults()
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	var lim formats.Limits
	addLimitFlags(fs, &lim)
	config := fs.String("config", "", "JSON options file (e.g. a run's options.json); flags given override it")
	method := fs.String("method", def.Method, "method: "+strings.Join(train.Methods, ", "))
	source := fs.String("source", vendormoji.Default.Source.String(), "source domain, whose aligned pairs train: "+run.SpecHelp)
	target := fs.String("target", vendormoji.Default.Target.String(), "target domain, handed to the learner unaligned; its val/test splits evaluate (same syntax; a file target without val/test splits gets the seeded -holdout)")
	protocol := fs.String("protocol", vendormoji.Shared, "VendorMoji protocol: shared, novel, or deploy (every target item unaligned in training; for the demo model); files use their own splits")
	holdout := fs.String("holdout", "0.1,0.1", "for a file target without val/test splits: the fractions of its images held out for val and test, seeded by -seed (0,0: none; the run then trains without validation and cannot be scored)")
	backbone := fs.String("image-backbone", "", "turn images into features first with a frozen backbone: an .onnx image model (input [batch, 3, S, S]; run by onnx-go) or \"pixels\" (the RGB values themselves); the image encoder is then a projection of the features")
	mean := fs.String("mean", "0,0,0", "with -image-backbone: per-channel mean subtracted from RGB in [0, 1] (ImageNet models: 0.485,0.456,0.406)")
	std := fs.String("std", "1,1,1", "with -image-backbone: per-channel divisor after the mean (ImageNet models: 0.229,0.224,0.225)")
	featHidden := fs.Int("feature-hidden", def.Model.FeatureHidden, "for feature images (precomp, a backbone): 0 projects them linearly; N > 0 uses an MLP with N hidden units (choose on validation)")
	epochs := fs.Int("epochs", def.Epochs, "epochs")
	batch := fs.Int("batch", def.Batch, "batch size (source pairs per step)")
	lr := fs.Float64("lr", float64(def.LR), "peak learning rate (AdamW, warm-up then cosine)")
	wd := fs.Float64("wd", float64(def.WeightDecay), "AdamW weight decay")
	margin := fs.Float64("margin", float64(def.Margin), "margin α of the triplet loss")
	sumv := fs.Bool("sum-violations", !def.MaxViolation, "sum over negatives instead of the hardest one")
	sumEpochs := fs.Int("sum-epochs", def.SumEpochs, "with the hardest negative: sum of violations for this many first epochs")
	dim := fs.Int("dim", def.Model.Dim, "dimension D of the common space")
	channels := fs.String("channels", joinInts(def.Model.Channels), "CNN widths, comma-separated")
	size := fs.Int("size", vendormoji.EmbeddedSize, "side of the images and the model's input: VendorMoji 32 is embedded, another size N reads the build in .cache/vendormoji-N (make data-64); files are cropped square and resized to it")
	noAug := fs.Bool("no-augment", !def.Augment, "turn image augmentation off")
	seed := fs.Uint64("seed", def.Seed, "seed of initialisation, data order, augmentation and dropout")
	out := fs.String("out", "", "run directory (default runs/<method>-<source>-<target>-<protocol>-s<seed>)")
	resume := fs.Bool("resume", false, "continue the run in -out from its last checkpoint")
	force := fs.Bool("force", false, "replace a run already in -out (its run files only: "+strings.Join(train.RunFiles, ", ")+")")
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
	strSample := fs.Int("str-sample", def.StrSample, "search structural neighbours among a seeded sample of this many source images and as many source sentences, drawn anew each epoch (0: all; the exact search costs targets × sources, about 2 h per epoch at COCO's size: docs/scale.md)")
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
	if *force && *resume {
		return fmt.Errorf("-force starts the run in -out over, -resume continues it: give one")
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
			return fmt.Errorf("%s: %w", *config, err)
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
	apply("str-sample", func() { opt.StrSample = *strSample })
	apply("im-weight", func() { opt.IMWeight = float32(*imW) })
	apply("im-temp", func() { opt.IMTemp = float32(*imTemp) })
	apply("ssl-weight", func() { opt.SSLWeight = float32(*sslW) })
	apply("ssl-temp", func() { opt.SSLTemp = float32(*sslTemp) })
	apply("mix-style", func() { opt.MixStyle = float32(*mixStyle) })
	apply("bank-views", func() { opt.BankViews = *bankViews })
	apply("ema", func() { opt.EMA = float32(*ema) })
	apply("no-augment", func() { opt.Augment = !*noAug })
	apply("seed", func() { opt.Seed = *seed; opt.Data.Seed = *seed })
	apply("feature-hidden", func() { opt.Model.FeatureHidden = *featHidden })
	if *config == "" || set["holdout"] {
		opt.Data.Holdout = nil
		if set["holdout"] {
			h, err := parseFloats(*holdout, 2)
			if err != nil {
				return fmt.Errorf("-holdout: %w", err)
			}
			opt.Data.Holdout = &train.Holdout{Val: h[0], Test: h[1]}
		}
	}
	if *config == "" || set["image-backbone"] || set["mean"] || set["std"] {
		if *backbone == "" && (set["mean"] || set["std"]) {
			return fmt.Errorf("-mean and -std need -image-backbone")
		}
		opt.Data.Backbone = nil
		if *backbone != "" {
			m, err := parseFloats(*mean, 3)
			if err != nil {
				return fmt.Errorf("-mean: %w", err)
			}
			sd, err := parseFloats(*std, 3)
			if err != nil || sd[0] == 0 || sd[1] == 0 || sd[2] == 0 {
				return fmt.Errorf("-std %q: want three non-zero numbers", *std)
			}
			opt.Data.Backbone = &train.Backbone{Path: *backbone}
			for c := range 3 {
				opt.Data.Backbone.Mean[c], opt.Data.Backbone.Std[c] = float32(m[c]), float32(sd[c])
			}
		}
	}
	if *config == "" || set["channels"] {
		ch, err := parseInts(*channels)
		if err != nil {
			return fmt.Errorf("-channels: %w", err)
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
	// What the data decides is read from the data, not from a -config:
	// content hashes afresh, and a holdout only for the target it was for.
	opt.Data.SourceSHA256, opt.Data.TargetSHA256 = "", ""
	if *config != "" && (set["source"] || set["target"]) && !set["holdout"] {
		opt.Data.Holdout = nil
	}
	if bb := opt.Data.Backbone; bb != nil && bb.Path != run.PixelsBackbone && !set["size"] && (*config == "" || set["image-backbone"]) {
		b, err := onnx.OpenBackbone(bb.Path) // its input size is the data's
		if err != nil {
			return err
		}
		opt.Data.Size, opt.Model.ImageSize = b.Size, b.Size
	}
	early := opt // bad flags fail before any data is read; the feature settings wait for the data
	early.Model.FeatureHidden = 0
	if err := early.Validate(); err != nil {
		return err
	}
	task, err := run.Prepare(&opt, &lim)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", fmt.Sprintf("%s-%s-%s-%s-s%d", opt.Method,
			runName(opt.Data.Source), runName(opt.Data.Target), opt.Data.Protocol, opt.Seed))
	}
	if *force {
		if err := train.RemoveRun(dir); err != nil {
			return err
		}
	}
	if opt.Method == "cca" {
		if _, err := run.FitCCA(task, opt, dir); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "fitted CCA on %d source pairs → %s\n", len(task.Train.Source.Texts), dir)
		return nil
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
	// Ctrl-C stops at the next step; the last epoch's checkpoint stays for -resume.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := tr.RunContext(ctx); err != nil {
		return err
	}
	h := tr.History()
	if len(h) > 0 && !*quiet {
		if task.Val == nil {
			fmt.Fprintf(os.Stderr, "done: %s (no validation data: the last epoch); the target has no aligned test data to evaluate\n", filepath.Join(dir, train.BestFile))
		} else {
			fmt.Fprintf(os.Stderr, "done: %s (best val rsum %.2f); evaluate with: aeir eval -run %s\n", filepath.Join(dir, train.BestFile), bestOf(h), dir)
		}
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
	var lim formats.Limits
	addLimitFlags(fs, &lim)
	dir := fs.String("run", "", "run directory written by aeir train")
	split := fs.String("split", "test", "target split: test or val")
	file := fs.String("model", train.BestFile, "model file inside the run directory")
	csls := fs.Int("csls", 0, "also rank with the demo's hubness correction (CSLS with this many neighbours), with whole sentences and, where the data has them, short forms; writes eval_<split>_csls<K>.json")
	views := fs.Int("views", 0, "embed the images as the mean of this many views under the run's training augmentation (test-time augmentation, as aeir export web -views does for the demo's galleries; 0: the model file's setting)")
	viewStyle := fs.Float64("view-style", -1, "line-art probability of the views (-1: the run's -style-aug)")
	gallery := fs.String("gallery", "split", "what each query ranks: split (the split's own images or sentences) or whole (every target image or sentence of the data set, as the demo page ranks; writes eval_<split>_whole….json)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("-run is required")
	}
	r, err := run.Open(*dir)
	if err != nil {
		return err
	}
	r.Limits = &lim
	o := run.EvalOptions{Split: *split, Gallery: *gallery, CSLS: *csls, Views: *views, ViewStyle: *viewStyle, File: *file}
	rows, err := r.Evaluate(o)
	if err != nil {
		return err
	}
	if err := eval.WriteTable(os.Stdout, rows); err != nil {
		return err
	}
	return saveRows(filepath.Join(*dir, o.Base()), rows)
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

// runName is a data source as part of a run directory's name.
func runName(spec string) string {
	if s, err := run.ParseSpec(spec); err == nil && s.Vendor == nil {
		name := strings.TrimSuffix(filepath.Base(s.Path), filepath.Ext(s.Path))
		if s.Domain != "" {
			name += "." + s.Domain
		}
		spec = name
	}
	return strings.NewReplacer("/", ".", "#", ".", " ", "_").Replace(spec)
}

// parseFloats reads n comma-separated numbers.
func parseFloats(s string, n int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("%q: want %d comma-separated numbers", s, n)
	}
	out := make([]float64, n)
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q: %q is not a number", s, p)
		}
		out[i] = v
	}
	return out, nil
}
