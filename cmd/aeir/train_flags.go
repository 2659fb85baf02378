package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"aeir/data/formats"
	"aeir/data/vendormoji"
	"aeir/onnx"
	"aeir/run"
	"aeir/train"
)

// trainFlags is aeir train's command line, parsed.
type trainFlags struct {
	opt    train.Options // the run's options: the defaults or -config, with the flags given over them
	lim    formats.Limits
	out    string // -out, "" for the default run directory
	resume bool
	force  bool
	quiet  bool
}

// An optionFlag is a flag of aeir train that sets fields of a
// train.Options. optionFlags(o) binds each flag to fields of o: its
// default is read from them when the flag is defined, its value stored in
// them when it is applied.
type optionFlag struct {
	name   string
	define func(fs *flag.FlagSet) // registers the flag, its default the field's value
	set    func(v any)            // stores the parsed value (flag.Getter.Get) in the fields
}

// optionFlags are the flags of aeir train that set fields of o, one line
// each. A new training option is its field, default and check in package
// train, and one line here; the flags of aeir train that set options in
// more than one way are optionSteps.
func optionFlags(o *train.Options) []optionFlag {
	return []optionFlag{
		stringFlag("method", &o.Method, "method: "+strings.Join(train.Methods, ", ")),
		stringFlag("source", &o.Data.Source, "source domain, whose aligned pairs train: "+run.SpecHelp),
		stringFlag("target", &o.Data.Target, "target domain, handed to the learner unaligned; its val/test splits evaluate (same syntax; a file target without val/test splits gets the seeded -holdout)"),
		stringFlag("protocol", &o.Data.Protocol, "VendorMoji protocol: shared, novel, or deploy (every target item unaligned in training; for the demo model); files use their own splits"),
		intFlag("feature-hidden", &o.Model.FeatureHidden, "for feature images (precomp, a backbone): 0 projects them linearly; N > 0 uses an MLP with N hidden units (choose on validation)"),
		intFlag("epochs", &o.Epochs, "epochs"),
		intFlag("batch", &o.Batch, "batch size (source pairs per step)"),
		float32Flag("lr", &o.LR, "peak learning rate (AdamW, warm-up then cosine)"),
		float32Flag("wd", &o.WeightDecay, "AdamW weight decay"),
		float32Flag("margin", &o.Margin, "margin α of the triplet loss"),
		notFlag("sum-violations", &o.MaxViolation, "sum over negatives instead of the hardest one"),
		intFlag("sum-epochs", &o.SumEpochs, "with the hardest negative: sum of violations for this many first epochs"),
		intFlag("dim", &o.Model.Dim, "dimension D of the common space"),
		notFlag("no-augment", &o.Augment, "turn image augmentation off"),
		uint64Flag("seed", &o.Seed, "seed of initialisation, data order, augmentation and dropout", &o.Data.Seed),
		float32Flag("lambda", &o.LambdaMax, "ceiling of the gradient-reversal weight λ_p (dann, aeir)"),
		float32Flag("str-weight", &o.StrWeight, "ceiling of the structural weight μ_p (structure, aeir)"),
		stringFlag("str-space", &o.StrSpace, "where image neighbours are searched: embedding, appearance or both"),
		stringFlag("str-filter", &o.StrFilter, "neighbour filter: mutual, threshold or none"),
		float32Flag("str-thresh", &o.StrThresh, "minimum neighbour similarity"),
		intFlag("str-warmup", &o.StrWarmup, "epochs before L_str starts"),
		float32Flag("mmd-weight", &o.MMDWeight, "weight of MMD² (mmd)"),
		intFlag("target-batch", &o.TargetBatch, "target images and sentences per step (transfer methods)"),
		float32Flag("style-aug", &o.StyleAug, "probability of the line-art (outline) style augmentation of images"),
		float32Flag("name-aug", &o.NameAug, "replace a source sentence by its short form (the CLDR name, style en) with this probability: teaches the short queries people type"),
		boolFlag("fit", &o.Model.Fit, "crop every image to its content before encoding (removes vendors' differences in drawing size)"),
		intFlag("str-sample", &o.StrSample, "search structural neighbours among a seeded sample of this many source images and as many source sentences, drawn anew each epoch (0: all; the exact search costs targets × sources, about 2 h per epoch at COCO's size: docs/scale.md)"),
		intFlag("str-csls", &o.StrCSLS, "search structural neighbours by CSLS with this many neighbours instead of by cosine (0: cosine; not in the paper)"),
		float32Flag("im-weight", &o.IMWeight, "weight of L_im, information maximisation of target images over the source sentences (structure, aeir; 0: off; not in the paper)"),
		float32Flag("im-temp", &o.IMTemp, "temperature τ of L_im"),
		float32Flag("ssl-weight", &o.SSLWeight, "weight of L_ssl: two augmented views of each target image must find each other in the batch (transfer methods; 0: off; not in the paper)"),
		float32Flag("ssl-temp", &o.SSLTemp, "temperature τ of L_ssl"),
		intFlag("bank-views", &o.BankViews, "embed the images of the structural neighbour search as the mean of this many augmented views (structure, aeir; 0 or 1: one; not in the paper)"),
		float32Flag("ema", &o.EMA, "keep an exponential moving average of the weights with this decay per step (e.g. 0.99): it finds the structural neighbours, is validated and saved as best.aeir (0: off; not in the paper)"),
		float32Flag("mix-style", &o.MixStyle, "probability that a source image takes a target image's feature statistics after the first two conv blocks (MixStyle; transfer methods; 0: off; not in the paper)"),
		float32Flag("ot-weight", &o.OTWeight, "ceiling of the weight of L_ot, L_con on pseudo-pairs from optimal transport (method ot; not in the paper)"),
		intFlag("ot-warmup", &o.OTWarmup, "epochs before the first pseudo-pair assignment (ot)"),
		float32Flag("ot-keep", &o.OTKeep, "fraction of target images given a pseudo-sentence in the last round; the share grows linearly over the rounds (ot)"),
		float32Flag("ot-eps", &o.OTEps, "temperature of the pseudo-pair kernel's two softmaxes (-ot-space pairs) or entropic regularisation on cosines (embedding) (ot)"),
		stringFlag("ot-space", &o.OTSpace, "kernel of the pseudo-pair transport: pairs (through the source pairs: drawings compared by colour layout, sentences in the common space) or embedding (cross-modal cosines) (ot)"),
		float32Flag("text-drop", &o.TextDrop, "drop each phrase of a source sentence with this probability (short-query robustness)"),
	}
}

// float32Flag is a float flag (the flag package has no float32) for *p.
func float32Flag(name string, p *float32, help string) optionFlag {
	return optionFlag{name,
		func(fs *flag.FlagSet) { fs.Float64(name, float64(*p), help) },
		func(v any) { *p = float32(v.(float64)) }}
}

func intFlag(name string, p *int, help string) optionFlag {
	return optionFlag{name,
		func(fs *flag.FlagSet) { fs.Int(name, *p, help) },
		func(v any) { *p = v.(int) }}
}

func stringFlag(name string, p *string, help string) optionFlag {
	return optionFlag{name,
		func(fs *flag.FlagSet) { fs.String(name, *p, help) },
		func(v any) { *p = v.(string) }}
}

func boolFlag(name string, p *bool, help string) optionFlag {
	return optionFlag{name,
		func(fs *flag.FlagSet) { fs.Bool(name, *p, help) },
		func(v any) { *p = v.(bool) }}
}

// notFlag is a bool flag that is the negation of *p (-no-augment: Augment
// false).
func notFlag(name string, p *bool, help string) optionFlag {
	return optionFlag{name,
		func(fs *flag.FlagSet) { fs.Bool(name, !*p, help) },
		func(v any) { *p = !v.(bool) }}
}

// uint64Flag is a flag for *p that also sets the fields also point to.
func uint64Flag(name string, p *uint64, help string, also ...*uint64) optionFlag {
	return optionFlag{name,
		func(fs *flag.FlagSet) { fs.Uint64(name, *p, help) },
		func(v any) {
			for _, q := range append([]*uint64{p}, also...) {
				*q = v.(uint64)
			}
		}}
}

// flagDefaults are the options whose fields are the defaults optionFlags
// show: train.Defaults on VendorMoji's default scenario.
func flagDefaults() train.Options {
	o := train.Defaults()
	o.Data.Source, o.Data.Target = vendormoji.Default.Source.String(), vendormoji.Default.Target.String()
	o.Data.Protocol = vendormoji.Shared
	return o
}

// applyOptionFlags stores the flags of optionFlags in o: every one (given
// or its default) when all, else only the flags given.
func applyOptionFlags(fs *flag.FlagSet, o *train.Options, all bool) {
	bound := map[string]optionFlag{}
	for _, f := range optionFlags(o) {
		bound[f.name] = f
	}
	visit := fs.Visit
	if all {
		visit = fs.VisitAll
	}
	visit(func(f *flag.Flag) {
		if b, ok := bound[f.Name]; ok {
			b.set(f.Value.(flag.Getter).Get())
		}
	})
}

// optionSteps are the flags of aeir train that set options in more than
// one way (several fields, a check across flags, a file to read), each
// applied by a step of its own.
type optionSteps struct {
	holdout, backbone, mean, std, channels string
	size                                   int

	config bool            // the options come from -config: only the flags given apply
	given  map[string]bool // the flags given
}

func (s *optionSteps) define(fs *flag.FlagSet, def train.Options) {
	fs.StringVar(&s.holdout, "holdout", "0.1,0.1", "for a file target without val/test splits: the fractions of its images held out for val and test, seeded by -seed (0,0: none; the run then trains without validation and cannot be scored)")
	fs.StringVar(&s.backbone, "image-backbone", "", "turn images into features first with a frozen backbone: an .onnx image model (input [batch, 3, S, S]; run by onnx-go) or \"pixels\" (the RGB values themselves); the image encoder is then a projection of the features")
	fs.StringVar(&s.mean, "mean", "0,0,0", "with -image-backbone: per-channel mean subtracted from RGB in [0, 1] (ImageNet models: 0.485,0.456,0.406)")
	fs.StringVar(&s.std, "std", "1,1,1", "with -image-backbone: per-channel divisor after the mean (ImageNet models: 0.229,0.224,0.225)")
	fs.StringVar(&s.channels, "channels", joinInts(def.Model.Channels), "CNN widths, comma-separated")
	fs.IntVar(&s.size, "size", vendormoji.EmbeddedSize, "side of the images and the model's input: VendorMoji 32 is embedded, another size N reads the build in .cache/vendormoji-N (make data-64); files are cropped square and resized to it")
}

// applies reports whether any of the flags named sets options: all do
// without -config, only the flags given with it.
func (s *optionSteps) applies(names ...string) bool {
	if !s.config {
		return true
	}
	for _, n := range names {
		if s.given[n] {
			return true
		}
	}
	return false
}

// apply runs the steps in order.
func (s *optionSteps) apply(o *train.Options) error {
	for _, step := range []func(*train.Options) error{s.applyHoldout, s.applyBackbone, s.applyChannels, s.applySize, s.applyData} {
		if err := step(o); err != nil {
			return err
		}
	}
	return nil
}

// applyHoldout: -holdout splits a file target, but only when given (its
// default shows the fractions it takes).
func (s *optionSteps) applyHoldout(o *train.Options) error {
	if !s.applies("holdout") {
		return nil
	}
	o.Data.Holdout = nil
	if s.given["holdout"] {
		h, err := parseFloats(s.holdout, 2)
		if err != nil {
			return fmt.Errorf("-holdout: %w", err)
		}
		o.Data.Holdout = &train.Holdout{Val: h[0], Test: h[1]}
	}
	return nil
}

// applyBackbone: -image-backbone with its -mean and -std.
func (s *optionSteps) applyBackbone(o *train.Options) error {
	if !s.applies("image-backbone", "mean", "std") {
		return nil
	}
	if s.backbone == "" && (s.given["mean"] || s.given["std"]) {
		return fmt.Errorf("-mean and -std need -image-backbone")
	}
	o.Data.Backbone = nil
	if s.backbone == "" {
		return nil
	}
	m, err := parseFloats(s.mean, 3)
	if err != nil {
		return fmt.Errorf("-mean: %w", err)
	}
	sd, err := parseFloats(s.std, 3)
	if err != nil || sd[0] == 0 || sd[1] == 0 || sd[2] == 0 {
		return fmt.Errorf("-std %q: want three non-zero numbers", s.std)
	}
	o.Data.Backbone = &train.Backbone{Path: s.backbone}
	for c := range 3 {
		o.Data.Backbone.Mean[c], o.Data.Backbone.Std[c] = float32(m[c]), float32(sd[c])
	}
	return nil
}

func (s *optionSteps) applyChannels(o *train.Options) error {
	if !s.applies("channels") {
		return nil
	}
	ch, err := parseInts(s.channels)
	if err != nil {
		return fmt.Errorf("-channels: %w", err)
	}
	o.Model.Channels = ch
	return nil
}

// applySize: -size is the model's input and picks the data set build.
func (s *optionSteps) applySize(o *train.Options) error {
	if !s.applies("size") {
		return nil
	}
	o.Model.ImageSize = s.size
	o.Data.Size = 0
	if s.size != vendormoji.EmbeddedSize {
		o.Data.Size = s.size
	}
	return nil
}

// applyData: what the data decides is read from the data, not from a
// -config: content hashes afresh, a holdout only for the target it was
// for, and an ONNX backbone's input size.
func (s *optionSteps) applyData(o *train.Options) error {
	o.Data.SourceSHA256, o.Data.TargetSHA256 = "", ""
	if s.config && (s.given["source"] || s.given["target"]) && !s.given["holdout"] {
		o.Data.Holdout = nil
	}
	if bb := o.Data.Backbone; bb != nil && bb.Path != run.PixelsBackbone && !s.given["size"] && s.applies("image-backbone") {
		b, err := onnx.OpenBackbone(bb.Path) // its input size is the data's
		if err != nil {
			return err
		}
		o.Data.Size, o.Model.ImageSize = b.Size, b.Size
	}
	return nil
}

// parseTrainFlags reads aeir train's command line into the run's options:
// the defaults, or -config with the flags given over it.
func parseTrainFlags(args []string) (*trainFlags, error) {
	tf := &trainFlags{}
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	addLimitFlags(fs, &tf.lim)
	config := fs.String("config", "", "JSON options file (e.g. a run's options.json); flags given override it")
	def := flagDefaults()
	for _, f := range optionFlags(&def) {
		f.define(fs)
	}
	var steps optionSteps
	steps.define(fs, def)
	fs.StringVar(&tf.out, "out", "", "run directory (default runs/<method>-<source>-<target>-<protocol>-s<seed>)")
	fs.BoolVar(&tf.resume, "resume", false, "continue the run in -out from its last checkpoint")
	fs.BoolVar(&tf.force, "force", false, "replace a run already in -out (its run files only: "+strings.Join(train.RunFiles, ", ")+")")
	fs.BoolVar(&tf.quiet, "q", false, "no progress output")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if tf.force && tf.resume {
		return nil, fmt.Errorf("-force starts the run in -out over, -resume continues it: give one")
	}
	opt, err := readConfig(*config)
	if err != nil {
		return nil, err
	}
	steps.config, steps.given = *config != "", map[string]bool{}
	fs.Visit(func(f *flag.Flag) { steps.given[f.Name] = true })
	applyOptionFlags(fs, &opt, !steps.config)
	if err := steps.apply(&opt); err != nil {
		return nil, err
	}
	tf.opt = opt
	return tf, nil
}

// readConfig reads a JSON options file over train.Defaults (path "":
// the defaults).
func readConfig(path string) (train.Options, error) {
	opt := train.Defaults()
	if path == "" {
		return opt, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return opt, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&opt); err != nil {
		return opt, fmt.Errorf("%s: %w", path, err)
	}
	return opt, nil
}
