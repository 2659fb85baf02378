package train

import (
	"fmt"
	"math/rand/v2"

	"aeir/data"
	"aeir/model"
	"aeir/nn"
)

// Speed runs a fixed number of the trainer's own optimiser steps from
// fresh weights, for measuring throughput against another implementation
// of the same step (bench/torch, a PyTorch reference). Differences from a
// real run, all of which keep the per-step work the same: the structural
// banks are computed once before the first step and L_str is at full
// weight from the start (no warm-up or ramp); the learning rate is
// constant; λ follows the DANN schedule over the Speed's steps. Step i
// trains on batch i mod StepsPerEpoch of the first epoch's order.
type Speed struct {
	T     *Trainer
	Steps int
	order []int
}

// NewSpeed prepares a Speed of steps steps of opt on task (nothing is
// written to disk).
func NewSpeed(task *data.Task, opt Options, steps int) (*Speed, error) {
	if steps < 1 {
		return nil, fmt.Errorf("speed: %d steps, want at least 1", steps)
	}
	opt.StrWarmup, opt.StrRamp = 0, 0
	t, err := New(task, opt, "", false)
	if err != nil {
		return nil, err
	}
	if _, err := t.refreshBanks(0); err != nil {
		return nil, err
	}
	n := len(t.set.Source.Texts)
	if n < opt.Batch {
		return nil, fmt.Errorf("speed: %d source pairs, fewer than a batch of %d", n, opt.Batch)
	}
	return &Speed{T: t, Steps: steps, order: rand.New(rand.NewPCG(opt.Seed, 1)).Perm(n)}, nil
}

// batch returns step i's source rows and its position in the epoch.
func (sp *Speed) batch(i int) ([]int, int) {
	spe := len(sp.order) / sp.T.Opt.Batch // whole batches only: every step has the same size
	s := i % spe
	return sp.order[s*sp.T.Opt.Batch : (s+1)*sp.T.Opt.Batch], s
}

// Step runs optimiser step i (0-based) and returns its loss parts.
func (sp *Speed) Step(i int) (map[string]float64, error) {
	idx, s := sp.batch(i)
	parts, _, err := sp.T.step(idx, 0, s, i, sp.Steps)
	return parts, err
}

// Reference is what an outside implementation needs to repeat the steps
// of a Speed exactly: constants once, and per step (StepInput) the
// tensors our step consumed.
type Reference struct {
	Method string       `json:"method"`
	Model  model.Config `json:"model"`
	Batch  int          `json:"batch"`  // B source pairs per step
	Target int          `json:"target"` // T target images and T target sentences per step (0: none)
	Disc   int          `json:"disc_hidden,omitempty"`
	LR     float32      `json:"lr"`
	WD     float32      `json:"weight_decay"`
	Clip   float32      `json:"clip"`
	Margin float32      `json:"margin"`
	StrM   float32      `json:"str_margin"`
	StrW   float32      `json:"str_weight"`
	Adv    bool         `json:"adv"`
	Str    bool         `json:"str"`

	// Initial weights, in Params order: the model's, then the image and
	// sentence discriminators' (when Adv).
	Params []*nn.Param `json:"-"`
	// Structural banks (when Str): source image and source sentence
	// embeddings (rows of D), and the source image of each source sentence.
	SrcImg, SrcTxt []float32 `json:"-"`
	TextImage      []int     `json:"-"`
}

// StepInput is one step's input as plain arrays.
type StepInput struct {
	Pixels  []float32 // (B+T)×3×S×S: the pairs' images, then the target images, augmented and composited
	IDs     []int32   // the B+T sentences tokenised, concatenated
	Offsets []int32   // B+T start offsets into IDs
	Groups  []int     // B: the source image of each pair (pairs of one image are not negatives)
	Texts   []int     // B: each pair's source sentence row (the image rows' L_str negatives)
	ImgPos  []int     // T: source sentence lent to each target image as its positive, −1 none
	TxtPos  []int     // T: source image lent to each target sentence, −1 none
	Lambda  float32   // gradient-reversal weight of this step
}

// Reference returns the constants of the speed run and the initial
// weights; call it before the first Step.
func (sp *Speed) Reference() *Reference {
	t := sp.T
	adv, str := t.Opt.method().Has("adv"), t.Opt.method().Has("str")
	r := &Reference{Method: t.Opt.Method, Model: t.Opt.Model, Batch: t.Opt.Batch, LR: t.Opt.LR, WD: t.Opt.WeightDecay,
		Clip: t.Opt.Clip, Margin: t.Opt.Margin, StrM: t.Opt.StrMargin, StrW: t.Opt.StrWeight, Adv: adv, Str: str,
		Params: append(t.Model.Params(), t.termParams()...)}
	if adv || str {
		r.Target = t.Opt.TargetBatch
	}
	if adv {
		r.Disc = t.Opt.DiscHidden
	}
	if str && t.bank != nil {
		r.SrcImg, r.SrcTxt, r.TextImage = t.bank.srcImg, t.bank.srcTxt, t.set.Source.TextImage
	}
	return r
}

// Input returns the inputs of step i exactly as Step(i) reads them.
func (sp *Speed) Input(i int) StepInput {
	t := sp.T
	idx, s := sp.batch(i)
	in := t.inputs(idx, 0, s, i)
	x := t.Model.ImageBatchOf([]*data.Images{t.set.Source.Images, t.set.TargetImages}, [][]int{in.imgs, in.tImg}, t.aug)
	out := StepInput{Pixels: append([]float32(nil), x.Data...), Groups: in.imgs, Texts: append([]int(nil), idx...)}
	for _, txt := range in.texts {
		out.Offsets = append(out.Offsets, int32(len(out.IDs)))
		out.IDs = t.Opt.Model.Tokenizer.IDs(txt, out.IDs)
	}
	if t.Opt.method().Has("adv") {
		out.Lambda = float32(model.DANNLambda(float64(i)/float64(sp.Steps), float64(t.Opt.LambdaMax)))
	}
	if t.bank != nil {
		for _, k := range in.tImg {
			out.ImgPos = append(out.ImgPos, t.bank.imgPos[k])
		}
		for _, k := range in.tTxt {
			out.TxtPos = append(out.TxtPos, t.bank.txtPos[k])
		}
	}
	return out
}
