// Package train fits the retrieval model on a data.Task with one of the
// project's methods, keeping checkpoints that resume exactly, the best
// model by validation rsum, and a per-epoch history for the figures.
package train

import (
	"fmt"

	"aeir/internal/clip"
	"aeir/model"
)

// Data identifies the task a run was trained on, so evaluation can rebuild
// it (package run does, through its registry of data sources).
//
// Source and Target name data sources: a VendorMoji domain "vendor/style"
// (e.g. "twemoji/en"), or "PATH" or "PATH#DOMAIN" for a user's file or
// folder (a .csv/.tsv/.jsonl table, a Karpathy dataset_*.json, a VSE++
// precomp folder); see run.ParseSpec.
type Data struct {
	Dataset  string `json:"dataset"`
	Source   string `json:"source"`   // e.g. "twemoji/en" or "pairs.csv#photo"
	Target   string `json:"target"`   // e.g. "openmoji/en" or "pairs.csv#sketch"
	Protocol string `json:"protocol"` // VendorMoji: "shared", "novel" or "deploy"; files: "file" (the file's splits)
	Seed     uint64 `json:"seed"`     // shuffling of the target sets (and the holdout split)
	// Size is the tile size of the data set build the run reads: 0 for the
	// embedded 32-px files, else vendormoji.VariantDir(Size). For files, the
	// side images are loaded at (0: 32).
	Size int `json:"size,omitempty"`
	// Holdout is the seeded split of a file target that has no val or test
	// split of its own: the fractions of its images held out as val and as
	// test (nil: the file's own splits).
	Holdout *Holdout `json:"holdout,omitempty"`
	// SourceSHA256 and TargetSHA256 are the SHA-256 of the loaded content
	// of each file domain (images or features, sentences, alignment and
	// splits), checked whenever the run's task is rebuilt.
	SourceSHA256 string `json:"source_sha256,omitempty"`
	TargetSHA256 string `json:"target_sha256,omitempty"`
	// Backbone, when set, turns every pixel image into a feature vector
	// before training: "pixels" (the composited RGB values, 3·S·S) or an
	// ONNX image model run by onnx-go.
	Backbone *Backbone `json:"backbone,omitempty"`
}

// Holdout fractions of a seeded target split.
type Holdout struct {
	Val  float64 `json:"val"`
	Test float64 `json:"test"`
}

// Backbone is a frozen image feature extractor.
type Backbone struct {
	Path   string     `json:"path"`             // "pixels" or an .onnx file
	SHA256 string     `json:"sha256,omitempty"` // of the .onnx file
	Mean   [3]float32 `json:"mean"`             // subtracted from RGB in [0, 1]
	Std    [3]float32 `json:"std"`              // then divided by
}

// Options are a run's settings, saved with it (options.json) and in every
// checkpoint.
type Options struct {
	Method       string       `json:"method"`
	Data         Data         `json:"data"`
	Model        model.Config `json:"model"`
	Epochs       int          `json:"epochs"`
	Batch        int          `json:"batch"`
	LR           float32      `json:"lr"`
	WeightDecay  float32      `json:"weight_decay"`
	WarmupSteps  int          `json:"warmup_steps"`
	Clip         float32      `json:"clip"`   // max global gradient norm (0: none)
	Margin       float32      `json:"margin"` // α of L_con
	MaxViolation bool         `json:"max_violation"`
	SumEpochs    int          `json:"sum_epochs"` // with MaxViolation: sum of violations for this many first epochs (a warm start)
	Augment      bool         `json:"augment"`
	StyleAug     float32      `json:"style_aug,omitempty"` // with Augment: probability of the line-art (outline) style augmentation
	TextDrop     float32      `json:"text_drop,omitempty"` // drop each phrase of a source sentence with this probability (keeps one); teaches short queries
	NameAug      float32      `json:"name_aug,omitempty"`  // replace a source sentence by its short form (data.Collection.Short, the CLDR name) with this probability
	Seed         uint64       `json:"seed"`

	// Transfer (methods dann, mmd, structure, aeir).
	TargetBatch int     `json:"target_batch"`         // target images and target sentences per step
	LambdaMax   float32 `json:"lambda_max"`           // ceiling of the gradient-reversal weight λ_p (L_adv)
	DiscHidden  int     `json:"disc_hidden"`          // discriminator width
	MMDWeight   float32 `json:"mmd_weight"`           // weight of MMD² (method mmd)
	StrWeight   float32 `json:"str_weight"`           // ceiling of μ_p (L_str)
	StrMargin   float32 `json:"str_margin"`           // β
	StrWarmup   int     `json:"str_warmup"`           // epochs of L_con (+ L_adv) before L_str starts
	StrRamp     int     `json:"str_ramp"`             // epochs over which μ_p rises linearly to StrWeight
	StrFilter   string  `json:"str_filter"`           // neighbour confidence filter: "mutual", "threshold" or "none"
	StrThresh   float32 `json:"str_thresh"`           // minimum neighbour similarity (filters "mutual" and "threshold")
	StrSpace    string  `json:"str_space"`            // where image neighbours are searched: "embedding" (the common space), "appearance" (colour layout) or "both"
	StrCSLS     int     `json:"str_csls,omitempty"`   // search structural neighbours by CSLS with this many neighbours instead of by cosine (0: cosine; not in the paper)
	StrSample   int     `json:"str_sample,omitempty"` // search structural neighbours among a seeded sample of this many source images and as many source sentences, drawn anew each epoch (0: all; for data too large for the exact search, whose cost is targets × sources)
	IMWeight    float32 `json:"im_weight,omitempty"`  // with L_str (structure, aeir): ceiling of the weight of L_im, information maximisation of target images over the source sentences (0: off; not in the paper)
	IMTemp      float32 `json:"im_temp,omitempty"`    // τ of L_im
	SSLWeight   float32 `json:"ssl_weight,omitempty"` // weight of L_ssl, two augmented views of each target image must find each other (model.ViewNCE; 0: off; not in the paper)
	SSLTemp     float32 `json:"ssl_temp,omitempty"`   // τ of L_ssl
	BankViews   int     `json:"bank_views,omitempty"` // embed the images of the structural neighbour search as the mean of this many augmented views (model.Model.EncodeViews; 0, 1: one; not in the paper)
	EMA         float32 `json:"ema,omitempty"`        // keep an exponential moving average of the weights with this decay per step: it finds the structural neighbours, is validated and is saved as best.aeir (0: off; not in the paper)
	MixStyle    float32 `json:"mix_style,omitempty"`  // probability that a source image is given the feature statistics of a target image after each of the first two conv blocks (model.MixStyle; 0: off; not in the paper)

	// Pseudo-pairs by optimal transport (L_ot: method ot; not in the paper).
	OTWeight float32 `json:"ot_weight,omitempty"` // ceiling of the weight of L_ot (ramped over StrRamp epochs)
	OTWarmup int     `json:"ot_warmup,omitempty"` // epochs before the first assignment
	OTKeep   float32 `json:"ot_keep,omitempty"`   // fraction of the target images paired in the last round; the share grows linearly from the first round
	OTEps    float32 `json:"ot_eps,omitempty"`    // temperature of the two hops' softmaxes ("pairs"), or the entropic regularisation of the transport on cosines ("embedding")
	OTSpace  string  `json:"ot_space,omitempty"`  // the transport's kernel: "pairs" (through the source pairs: colour layout image to image, common space sentence to sentence) or "embedding" (cross-modal cosines of the common space)
}

// Defaults are the settings used for VendorMoji unless flags say otherwise.
func Defaults() Options {
	return Options{
		Method: "source-only", Model: model.DefaultConfig(),
		Epochs: 30, Batch: 128, LR: 2e-3, WeightDecay: 1e-4, WarmupSteps: 50,
		Clip: 2, Margin: 0.2, MaxViolation: false, SumEpochs: 5, Augment: true, Seed: 1,
		TargetBatch: 64, LambdaMax: 0.1, DiscHidden: 128, MMDWeight: 1,
		StrWeight: 1, StrMargin: 0.2, StrWarmup: 5, StrRamp: 5, StrFilter: "mutual", StrThresh: 0, StrSpace: "appearance",
		IMTemp: 0.05, SSLTemp: 0.1,
		OTWeight: 1, OTWarmup: 0, OTKeep: 1, OTEps: 0.02, OTSpace: "pairs",
	}
}

// Validate reports unusable options.
func (o Options) Validate() error {
	m, ok := MethodOf(o.Method)
	if !ok {
		return fmt.Errorf("unknown method %s (have %v)", clip.Quote(o.Method), Methods)
	}
	if o.Epochs < 1 || o.Epochs > 10000 {
		return fmt.Errorf("epochs %d out of [1, 10000]", o.Epochs)
	}
	if o.Batch < 2 || o.Batch > 4096 {
		return fmt.Errorf("batch %d out of [2, 4096]", o.Batch)
	}
	if !(o.LR > 0 && o.LR < 10) || o.WeightDecay < 0 || o.Clip < 0 || o.WarmupSteps < 0 {
		return fmt.Errorf("bad optimiser settings: lr %v, weight decay %v, clip %v, warm-up %d", o.LR, o.WeightDecay, o.Clip, o.WarmupSteps)
	}
	if o.StyleAug < 0 || o.StyleAug > 1 {
		return fmt.Errorf("style augmentation %v not in [0, 1]", o.StyleAug)
	}
	if o.TextDrop < 0 || o.TextDrop >= 1 {
		return fmt.Errorf("text drop %v not in [0, 1)", o.TextDrop)
	}
	if o.NameAug < 0 || o.NameAug > 1 {
		return fmt.Errorf("name augmentation %v not in [0, 1]", o.NameAug)
	}
	if !(o.Margin > 0 && o.Margin < 2) {
		return fmt.Errorf("margin %v out of (0, 2)", o.Margin)
	}
	if o.TargetBatch < 2 || o.TargetBatch > 4096 || o.LambdaMax < 0 || o.MMDWeight < 0 || o.StrWeight < 0 ||
		o.StrMargin < 0 || o.StrWarmup < 0 || o.StrRamp < 0 || o.DiscHidden < 1 || o.DiscHidden > 4096 {
		return fmt.Errorf("bad transfer settings: target batch %d, λ %v, disc %d, mmd %v, str %v/%v/%d/%d",
			o.TargetBatch, o.LambdaMax, o.DiscHidden, o.MMDWeight, o.StrWeight, o.StrMargin, o.StrWarmup, o.StrRamp)
	}
	if o.IMWeight < 0 || (o.IMWeight > 0 && !(o.IMTemp > 0 && o.IMTemp <= 10)) {
		return fmt.Errorf("information maximisation: weight %v, temperature %v (want weight ≥ 0 and, when on, temperature in (0, 10])", o.IMWeight, o.IMTemp)
	}
	if o.SSLWeight < 0 || (o.SSLWeight > 0 && !(o.SSLTemp > 0 && o.SSLTemp <= 10)) {
		return fmt.Errorf("self-supervised views: weight %v, temperature %v (want weight ≥ 0 and, when on, temperature in (0, 10])", o.SSLWeight, o.SSLTemp)
	}
	if o.SSLWeight > 0 && !m.Transfer() {
		return fmt.Errorf("self-supervised views (ssl weight %v) need target images: a transfer method, not %s", o.SSLWeight, o.Method)
	}
	if o.SSLWeight > 0 && (!o.Augment || o.Model.FeatureDim > 0) {
		return fmt.Errorf("self-supervised views (ssl weight %v) need augmented pixel images (augment on, no feature inputs)", o.SSLWeight)
	}
	if o.EMA < 0 || o.EMA >= 1 {
		return fmt.Errorf("weight average decay %v not in [0, 1)", o.EMA)
	}
	if o.BankViews < 0 || o.BankViews > 64 {
		return fmt.Errorf("bank views %d not in [0, 64]", o.BankViews)
	}
	if o.BankViews > 1 && (!m.Has("str") || o.Model.FeatureDim > 0 || o.StrSpace == "appearance") {
		return fmt.Errorf("bank views %d embed the pixel images of the structural neighbour search: they need method structure or aeir (not %s), a pixel model and -str-space embedding or both (not %s)", o.BankViews, o.Method, o.StrSpace)
	}
	if m.Has("ot") {
		if !(o.OTWeight >= 0 && o.OTWeight <= 100) || o.OTWarmup < 0 || o.OTWarmup >= o.Epochs || !(o.OTKeep > 0 && o.OTKeep <= 1) || !(o.OTEps >= 0.001 && o.OTEps <= 10) {
			return fmt.Errorf("pseudo-pairs: weight %v, warm-up %d, keep %v, temperature %v (want weight in [0, 100], warm-up in [0, epochs %d), keep in (0, 1], temperature in [0.001, 10])", o.OTWeight, o.OTWarmup, o.OTKeep, o.OTEps, o.Epochs)
		}
		if o.OTSpace != "pairs" && o.OTSpace != "embedding" {
			return fmt.Errorf("ot space %s: want pairs or embedding", clip.Quote(o.OTSpace))
		}
	}
	if o.MixStyle < 0 || o.MixStyle > 1 {
		return fmt.Errorf("mix style %v not in [0, 1]", o.MixStyle)
	}
	if o.MixStyle > 0 && (!m.Transfer() || o.Model.FeatureDim > 0 || len(o.Model.Channels) < 2) {
		return fmt.Errorf("mix style %v needs target images and a pixel model of at least two conv blocks: a transfer method, not %s, with channels %v", o.MixStyle, o.Method, o.Model.Channels)
	}
	if o.IMWeight > 0 && !m.Has("str") {
		return fmt.Errorf("information maximisation (im weight %v) needs the structural bank: methods structure or aeir, not %s", o.IMWeight, o.Method)
	}
	if o.StrSample < 0 || o.StrSample == 1 {
		return fmt.Errorf("str sample %d: want 0 (every source item) or at least 2", o.StrSample)
	}
	if o.StrCSLS < 0 || o.StrCSLS > 100 {
		return fmt.Errorf("str csls %d: want 0 (cosine) to 100 neighbours", o.StrCSLS)
	}
	if o.StrSpace != "embedding" && o.StrSpace != "appearance" && o.StrSpace != "both" {
		return fmt.Errorf("str space %s: want embedding, appearance or both", clip.Quote(o.StrSpace))
	}
	if o.StrFilter != "mutual" && o.StrFilter != "threshold" && o.StrFilter != "none" {
		return fmt.Errorf("str filter %s: want mutual, threshold or none", clip.Quote(o.StrFilter))
	}
	return o.Model.Validate()
}
