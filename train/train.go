package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"aeir/data"
	"aeir/eval"
	"aeir/internal/atomicfile"
	"aeir/model"
	"aeir/nn"
	"aeir/text"
	"aeir/train/history"
)

// File names inside a run directory.
const (
	OptionsFile    = "options.json"
	CheckpointFile = "checkpoint.aeir" // latest epoch: model + optimiser + trainer state
	BestFile       = "best.aeir"       // best validation rsum: the model to evaluate and deploy
	HistoryFile    = "history.json"
)

// Epoch is one line of the training history (history.json); the type
// lives in package history so that readers of histories (the figures)
// need not import the trainer.
type Epoch = history.Epoch

// state is what a checkpoint adds to the model.
type state struct {
	Options   Options `json:"options"`
	Epoch     int     `json:"epoch"` // epochs completed
	Best      float64 `json:"best"`
	BestEpoch int     `json:"best_epoch"`
	History   []Epoch `json:"history"`
}

// ErrNotFinite is returned when a loss or gradient becomes NaN or ±Inf.
var ErrNotFinite = errors.New("training diverged")

// Trainer trains one run.
type Trainer struct {
	Opt   Options
	Dir   string
	Log   io.Writer // progress; nil for silence
	TTY   bool      // redraw one progress line instead of printing lines
	Model *model.Model

	task  *data.Task
	set   *data.TrainSet
	opt   *nn.Adam
	loss  model.Contrastive
	aug   *model.Augment
	st    state
	drops []*nn.Dropout

	du, dv *nn.Tensor
	grad   gradTracker // the per-term gradient norms' buffers, reused by every step

	// transfer
	terms  []Term // the method's, in order
	ssl    model.ViewNCE
	sslAug *model.Augment // extra augmentation of the second target view (L_ssl)
	mix    []*model.MixStyle
	ema    []*nn.Param // weight average (Options.EMA), in Model.Params order
	bank   *banks
	appSrc []float32 // appearance descriptors (StrSpace appearance/both)
	appTgt []float32
	orders [2]struct { // the epoch's target image and sentence orders (targetOrder)
		epoch int
		perm  []int
	}

	stopAfter  int            // tests: return after this many epochs, as if interrupted
	beforeStep func(step int) // tests: called before each step
}

// New prepares a run in dir. With resume, it continues from dir's
// checkpoint (whose options must match); without, dir must not already
// hold a run.
func New(task *data.Task, opt Options, dir string, resume bool) (*Trainer, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if opt.Method == "cca" {
		return nil, fmt.Errorf("cca is fitted, not trained: use FitCCA")
	}
	if opt.NameAug > 0 && task.Train.Source.Short == nil {
		return nil, fmt.Errorf("name augmentation %v: the source sentences (%s) have no short forms; only English CLDR sentences do", opt.NameAug, task.Train.Source.Domain)
	}
	if im := task.Train.Source.Images; im.IsPixels() && opt.Model.FeatureDim == 0 && im.W != opt.Model.ImageSize {
		return nil, fmt.Errorf("the task's images are %d px, the model reads %d px (set the model's image size to the data's: aeir train -size)", im.W, opt.Model.ImageSize)
	}
	t := &Trainer{Opt: opt, Dir: dir, task: task, st: state{Options: opt, Best: math.Inf(-1)}}
	t.set = task.Train
	if opt.Method == "oracle" {
		t.set = task.OracleTrain()
	}
	ckpt := filepath.Join(dir, CheckpointFile)
	statErr := os.ErrNotExist // dir "": a trainer that never saves (Speed)
	if dir != "" {
		_, statErr = os.Stat(ckpt)
		if !resume {
			if err := CheckFresh(dir); err != nil {
				return nil, err
			}
		}
		if err := removeStaleTemps(dir); err != nil {
			return nil, err
		}
	}
	switch {
	case resume && statErr == nil:
		m, meta, extra, err := model.Load(ckpt)
		if err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		if err := json.Unmarshal(meta.Extra, &t.st); err != nil {
			return nil, fmt.Errorf("resume: %s: trainer state: %w", ckpt, err)
		}
		a, _ := json.Marshal(t.st.Options)
		b, _ := json.Marshal(opt)
		if string(a) != string(b) {
			return nil, fmt.Errorf("resume: %s was trained with other options:\n  saved %s\n  given %s", ckpt, a, b)
		}
		t.Model = m
		t.newTransfer()
		t.newEMA()
		optState, err := t.restoreOwn(extra)
		if err != nil {
			return nil, fmt.Errorf("resume: %s: %w", ckpt, err)
		}
		t.opt = nn.NewAdamW(opt.LR, opt.WeightDecay)
		if err := t.opt.SetState(optState); err != nil {
			return nil, fmt.Errorf("resume: optimiser state: %w", err)
		}
	case resume:
		if CheckFresh(dir) != nil {
			return nil, fmt.Errorf("resume: %s holds a run but no %s to continue from: pass -force to train it again from the start", dir, CheckpointFile)
		}
		return nil, fmt.Errorf("resume: no checkpoint in %s", dir)
	default:
		m, err := model.New(opt.Model, opt.Seed)
		if err != nil {
			return nil, err
		}
		t.Model = m
		t.newTransfer()
		t.newEMA()
		t.opt = nn.NewAdamW(opt.LR, opt.WeightDecay)
	}
	t.loss = model.Contrastive{Margin: opt.Margin, MaxViolation: opt.MaxViolation}
	if opt.Augment && opt.Model.FeatureDim == 0 {
		t.aug = model.DefaultAugment()
		t.aug.Outline = float64(opt.StyleAug)
		if opt.SSLWeight > 0 {
			t.sslAug = model.ViewAugment()
		}
	}
	if opt.MixStyle > 0 { // after the pooling of the first two conv blocks (layers conv, ReLU, pool)
		for _, k := range []int{2, 5} {
			if _, ok := t.Model.Img.Layers[k].(*nn.MaxPool2D); !ok {
				return nil, fmt.Errorf("mix style: image encoder layer %d is %T, not the pooling of a conv block", k, t.Model.Img.Layers[k])
			}
			ms := &model.MixStyle{Inner: t.Model.Img.Layers[k]}
			t.Model.Img.Layers[k] = ms
			t.mix = append(t.mix, ms)
		}
	}
	for _, seq := range []*nn.Sequential{t.Model.Img, t.Model.Txt} {
		for _, l := range seq.Layers {
			if d, ok := l.(*nn.Dropout); ok {
				t.drops = append(t.drops, d)
			}
		}
	}
	return t, nil
}

// StepsPerEpoch is the number of optimiser steps in one epoch.
func (t *Trainer) StepsPerEpoch() int {
	return (len(t.set.Source.Texts) + t.Opt.Batch - 1) / t.Opt.Batch
}

// History returns the epochs trained so far.
func (t *Trainer) History() []Epoch { return t.st.History }

// Run trains the remaining epochs, validating and checkpointing after each.
func (t *Trainer) Run() error { return t.RunContext(context.Background()) }

// RunContext is Run, stopping before the next step once ctx is done (a
// notebook's interrupt, the page's Cancel, a signal). The epoch under way
// is dropped; the checkpoint of the last whole epoch stays, and a resume
// continues from it exactly. The error wraps ctx.Err().
func (t *Trainer) RunContext(ctx context.Context) error {
	if err := os.MkdirAll(t.Dir, 0o755); err != nil {
		return err
	}
	ob, _ := json.MarshalIndent(t.Opt, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(t.Dir, OptionsFile), ob); err != nil {
		return err
	}
	if err := t.writeHistory(); err != nil {
		return err
	}
	spe := t.StepsPerEpoch()
	total := spe * t.Opt.Epochs
	sched := nn.WarmupCosine(t.Opt.LR, t.Opt.WarmupSteps, total, t.Opt.LR*0.02)
	prog := newProgress(t.Log, t.TTY, total, t.st.Epoch*spe)
	for e := t.st.Epoch; e < t.Opt.Epochs; e++ {
		start := time.Now()
		n := len(t.set.Source.Texts)
		order := rand.New(rand.NewPCG(t.Opt.Seed, uint64(e)+1)).Perm(n)
		sums := map[string]float64{}
		var gsum float64
		steps := 0
		diag, err := t.epochTerms(e)
		if err != nil {
			return err
		}
		for s := 0; s < spe; s++ {
			lo, hi := s*t.Opt.Batch, min((s+1)*t.Opt.Batch, n)
			if hi-lo < 2 {
				continue
			}
			step := e*spe + s
			if t.beforeStep != nil {
				t.beforeStep(step)
			}
			if err := ctx.Err(); err != nil {
				prog.done()
				return fmt.Errorf("stopped in epoch %d at step %d: %w; the checkpoint of epoch %d is kept in %s (resume continues from it)", e+1, s+1, err, t.st.Epoch, t.Dir)
			}
			t.opt.LR = sched(step)
			t.loss.MaxViolation = t.Opt.MaxViolation && e >= t.Opt.SumEpochs
			parts, gn, err := t.step(order[lo:hi], e, s, step, total)
			if err != nil {
				prog.done()
				return fmt.Errorf("epoch %d step %d: %w; the last good checkpoint is kept in %s", e+1, s+1, err, t.Dir)
			}
			for k, v := range parts {
				sums[k] += v
			}
			gsum += gn
			steps++
			prog.step(e+1, t.Opt.Epochs, parts, hi-lo)
		}
		ep := Epoch{Epoch: e + 1, Steps: steps, Loss: map[string]float64{}, GradNorm: gsum / float64(steps), Diag: diag}
		for k, v := range sums {
			ep.Loss[k] = v / float64(steps)
		}
		// The model file names the domains, not where they were read from:
		// the same data trains the same bytes from any file format.
		meta := model.Meta{Method: t.Opt.Method, Scenario: t.task.Train.Source.Domain + "→" + t.task.Train.TargetDomain}
		if err := t.validate(&ep, meta); err != nil {
			return err
		}
		ep.Seconds = time.Since(start).Seconds()
		ep.SamplesPS = float64(n) / ep.Seconds
		t.st.History = append(t.st.History, ep)
		t.st.Epoch = e + 1
		sb, err := json.Marshal(t.st)
		if err != nil {
			return err
		}
		meta.Extra = sb
		if err := t.Model.Save(filepath.Join(t.Dir, CheckpointFile), meta, append(t.ownTensors(), t.opt.State()...)...); err != nil {
			return err
		}
		if err := t.writeHistory(); err != nil {
			return err
		}
		prog.epoch(ep, t.st.Best, t.st.BestEpoch)
		if t.stopAfter > 0 && t.st.Epoch >= t.stopAfter {
			return nil
		}
	}
	prog.done()
	return nil
}

// writeHistory writes the epochs trained so far to HistoryFile. Run
// writes it after each checkpoint, and once more when it starts, so that
// a resume repairs a history a kill left behind the checkpoint.
func (t *Trainer) writeHistory() error {
	if t.st.Epoch == 0 {
		return nil
	}
	hb, _ := json.MarshalIndent(t.st.History, "", " ")
	return atomicfile.WriteFile(filepath.Join(t.Dir, HistoryFile), hb)
}

// validate scores the model on the validation split (and its short
// forms) into ep and saves it as BestFile when it beats the best so far.
// With Options.EMA the weight average is what is scored and saved; the
// training weights are back in the model when it returns, error or not.
func (t *Trainer) validate(ep *Epoch, meta model.Meta) error {
	if t.ema != nil {
		t.swapEMA()
		defer t.swapEMA()
	}
	if t.task.Val == nil { // a target without aligned validation data: the last epoch is the model
		t.st.Best, t.st.BestEpoch = 0, ep.Epoch
		return t.Model.Save(filepath.Join(t.Dir, BestFile), meta)
	}
	m, err := Evaluate(t.Model, t.task.Val)
	if err != nil {
		return fmt.Errorf("validation: %w", err)
	}
	ep.Val, ep.ValRSum = m, m.RSum
	if short := t.task.Val.ShortForms(); short != nil {
		ms, err := Evaluate(t.Model, short)
		if err != nil {
			return fmt.Errorf("validation (short forms): %w", err)
		}
		ep.ValShort = ms.RSum
	}
	if m.RSum > t.st.Best {
		t.st.Best, t.st.BestEpoch = m.RSum, ep.Epoch
		if err := t.Model.Save(filepath.Join(t.Dir, BestFile), meta); err != nil {
			return err
		}
	}
	return nil
}

// step runs one optimiser step on the source pairs at rows idx (indices
// into the source texts) — and, for the transfer methods, on a batch of
// target images and one of target sentences — and returns the loss parts
// and the gradient norm.
func (t *Trainer) step(idx []int, epoch, s, step, total int) (map[string]float64, float64, error) {
	src := t.set.Source
	b := len(idx)
	d := t.Opt.Model.Dim
	in := t.inputs(idx, epoch, s, step)
	imgs, texts, tImg, tTxt := in.imgs, in.texts, in.tImg, in.tTxt
	params := append(t.Model.Params(), t.termParams()...)
	nn.ZeroGrads(params)
	bt := len(tImg)
	ims, sel := []*data.Images{src.Images, t.set.TargetImages}, [][]int{imgs, tImg}
	if t.sslAug != nil { // L_ssl: a second, more strongly augmented view of the target images
		ims, sel = append(ims, t.set.TargetImages), append(sel, tImg)
	}
	x := t.Model.ImageBatchOf(ims, sel, t.aug)
	if t.sslAug != nil {
		sz, s := x.Cols(), t.Opt.Model.ImageSize
		for r := b + bt; r < b+2*bt; r++ {
			t.sslAug.Apply(x.Data[r*sz:(r+1)*sz], s)
		}
	}
	uAll := t.Model.Img.Forward(x, true)
	u := uAll // source images, then target images: what the other terms see
	if t.sslAug != nil {
		u = &nn.Tensor{Shape: []int{b + bt, d}, Data: uAll.Data[:(b+bt)*d]}
	}
	v := t.Model.Txt.Forward(t.Model.TextBatch(texts, true), true)
	t.du = nn.Ensure(t.du, uAll.Rows(), d)
	t.dv = nn.Ensure(t.dv, v.Rows(), d)
	clear(t.du.Data)
	clear(t.dv.Data)
	parts := map[string]float64{}
	if t.sslAug != nil {
		l, acc := t.ssl.Loss(uAll.Data[b*d:(b+bt)*d], uAll.Data[(b+bt)*d:], bt, d, t.Opt.SSLWeight, t.du.Data[b*d:(b+bt)*d], t.du.Data[(b+bt)*d:])
		parts["ssl"], parts["ssl_acc"] = float64(l), float64(acc)
	}
	l := t.loss.Loss(u.Data[:b*d], v.Data[:b*d], b, d, imgs, t.du.Data[:b*d], t.dv.Data[:b*d])
	parts["con"] = float64(l)
	if len(t.terms) > 0 {
		ts := &Step{U: u, V: v, DU: t.du.Data[:len(u.Data)], DV: t.dv.Data, B: b, D: d,
			Pairs: idx, Imgs: imgs, TImg: tImg, TTxt: tTxt,
			Progress: float64(step) / float64(total), Epoch: epoch, InEpoch: float64(s) / float64(t.StepsPerEpoch())}
		g := t.gradParts(ts, parts, "con")
		for i, term := range t.terms {
			term.Loss(ts, parts)
			g.record(ts, parts, t.Opt.method().Terms[i].Name)
		}
	}
	for k, x := range parts {
		if !finite(x) {
			return nil, 0, fmt.Errorf("%w: %s = %v", ErrNotFinite, k, x)
		}
	}
	t.Model.Img.Backward(t.du) // all rows of uAll, the second views included
	t.Model.Bag.Backward(t.Model.Txt.Backward(t.dv))
	gn := float64(nn.ClipGradNorm(params, clipOrInf(t.Opt.Clip)))
	if !finite(gn) {
		return nil, 0, fmt.Errorf("%w: gradient norm %v", ErrNotFinite, gn)
	}
	t.opt.Step(params)
	if t.ema != nil {
		t.updateEMA()
	}
	return parts, gn, nil
}

// gradPrefix starts the loss parts that hold, per term, the norm of the
// gradient the term added at the embeddings (both modalities, all rows):
// a diagnostic of which term drives the encoders, kept in history.json
// and left off the progress line.
const gradPrefix = "grad_"

// gradTracker measures what each term adds to a step's embedding
// gradients: it keeps a copy of the buffers and, after each term, records
// the norm of the difference. The Trainer keeps one and reuses its
// buffers from step to step.
type gradTracker struct{ du, dv []float32 }

// gradParts records the norm of the gradients so far as grad_<first>
// and returns the Trainer's tracker, reset for this step, for the terms.
func (t *Trainer) gradParts(s *Step, parts map[string]float64, first string) *gradTracker {
	g := &t.grad
	g.du, g.dv = zeroed(g.du, len(s.DU)), zeroed(g.dv, len(s.DV))
	g.record(s, parts, first)
	return g
}

// zeroed returns b resized to n zeros, reusing its memory when it is
// large enough.
func zeroed(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// record adds grad_<name>, the norm of what changed since the last record.
func (g *gradTracker) record(s *Step, parts map[string]float64, name string) {
	var sum float64
	for _, p := range [2]struct{ now, then []float32 }{{s.DU, g.du}, {s.DV, g.dv}} {
		for i, x := range p.now {
			e := float64(x - p.then[i])
			sum += e * e
		}
		copy(p.then, p.now)
	}
	parts[gradPrefix+name] = math.Sqrt(sum)
}

// stepInputs are the rows one step reads: source pairs (their images and
// sentences) and, for the transfer methods, target images and sentences.
type stepInputs struct {
	imgs  []int    // source image of each pair (also the L_con groups)
	texts []string // the pairs' sentences (after phrase dropout), then the target sentences
	tImg  []int    // target image rows
	tTxt  []int    // target sentence rows
}

// inputs chooses the rows of a step and seeds its augmentation and dropout
// generators, all from (seed, epoch, step) alone, so a resumed run and an
// outside reference (bench/torch) see exactly what the step saw.
func (t *Trainer) inputs(idx []int, epoch, s, step int) stepInputs {
	src := t.set.Source
	b := len(idx)
	in := stepInputs{imgs: make([]int, b), texts: make([]string, b)}
	var drop, name *rand.Rand
	if t.Opt.TextDrop > 0 {
		drop = rand.New(rand.NewPCG(t.Opt.Seed^0x7d70, uint64(step)))
	}
	if t.Opt.NameAug > 0 && src.Short != nil {
		name = rand.New(rand.NewPCG(t.Opt.Seed^0x6e61, uint64(step)))
	}
	for r, j := range idx {
		in.imgs[r] = src.TextImage[j]
		in.texts[r] = src.Texts[j]
		if name != nil && name.Float32() < t.Opt.NameAug {
			in.texts[r] = src.Short[j] // what people type: "dog face" for "dog face: adorbs, animal, …"
		} else if drop != nil {
			in.texts[r] = dropPhrases(in.texts[r], t.Opt.TextDrop, drop)
		}
	}
	if t.Opt.method().Transfer() {
		in.tImg = cyclic(t.targetOrder(epoch, 0, t.set.TargetImages.N), s, t.Opt.TargetBatch)
		in.tTxt = cyclic(t.targetOrder(epoch, 1, len(t.set.TargetTexts)), s, t.Opt.TargetBatch)
		for _, term := range t.terms {
			if p, ok := term.(pairer); ok {
				p.pairTexts(in.tImg, in.tTxt)
			}
		}
		for _, k := range in.tTxt {
			in.texts = append(in.texts, t.set.TargetTexts[k])
		}
	}
	if t.aug != nil {
		t.aug.Rng = rand.New(rand.NewPCG(t.Opt.Seed^0xa5a5, uint64(step)))
	}
	if t.sslAug != nil {
		t.sslAug.Rng = rand.New(rand.NewPCG(t.Opt.Seed^0x55aa, uint64(step)))
	}
	if t.mix != nil {
		t.pairStyles(b, len(in.tImg), step)
	}
	for k, dr := range t.drops {
		dr.Source().Seed(t.Opt.Seed^0xd0d0, uint64(step)*16+uint64(k))
	}
	return in
}

// pairStyles draws, for the step's image rows (b source images, then bt
// target images and, with L_ssl, their second views), which source images
// take a target image's feature statistics (probability Options.MixStyle)
// and with what weight λ ~ U(0, 1) of their own; every MixStyle layer
// uses the same draw.
func (t *Trainer) pairStyles(b, bt, step int) {
	n := b + bt
	if t.sslAug != nil {
		n += bt
	}
	rng := rand.New(rand.NewPCG(t.Opt.Seed^0x5717, uint64(step)))
	partner, lambda := make([]int, n), make([]float32, n)
	for r := range partner {
		partner[r] = -1
		if r < b && bt > 0 && rng.Float32() < t.Opt.MixStyle {
			partner[r], lambda[r] = b+rng.IntN(bt), rng.Float32()
		}
	}
	for _, ms := range t.mix {
		ms.Partner, ms.Lambda = partner, lambda
	}
}

func clipOrInf(c float32) float32 {
	if c <= 0 {
		return float32(math.Inf(1))
	}
	return c
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Evaluate embeds a collection with m and computes the retrieval metrics.
func Evaluate(m Encoder, c *data.Collection) (eval.Metrics, error) {
	sim := Similarity(m, c)
	return eval.Evaluate(sim, c.Images.N, len(c.Texts), c.TextImage)
}

// EvaluateCSLS is Evaluate with the hubness correction the demo ranks
// with: CSLS with k neighbours, the terms taken within the collection
// (eval.Hubness).
func EvaluateCSLS(m Encoder, c *data.Collection, k int) (eval.Metrics, error) {
	n, nt := c.Images.N, len(c.Texts)
	if k < 1 || k > n || k > nt {
		return eval.Metrics{}, fmt.Errorf("CSLS k = %d for %d images and %d sentences", k, n, nt)
	}
	return eval.Evaluate(eval.CSLS(Similarity(m, c), n, nt, k), n, nt, c.TextImage)
}

// Similarity returns the images × sentences score matrix of a collection,
// its images embedded as a gallery (GalleryEmbeddings).
func Similarity(m Encoder, c *data.Collection) []float32 {
	u := GalleryEmbeddings(m, c.Images)
	return eval.Similarity(nil, u, c.Images.N, m.EncodeTexts(c.Texts), len(c.Texts), m.EmbedDim())
}

// GalleryEmbeddings embeds images as a gallery holds them: with the
// model's test-time views (model.Model.EncodeGallery), if it has any.
func GalleryEmbeddings(m Encoder, im *data.Images) []float32 {
	if g, ok := m.(interface {
		EncodeGallery(*data.Images, []int) []float32
	}); ok {
		return g.EncodeGallery(im, nil)
	}
	return m.EncodeImages(im)
}

// dropPhrases removes each ":"- or ","-separated phrase of s with
// probability p, keeping at least one, so the sentence encoder also learns
// from short, partial descriptions such as one-word queries.
func dropPhrases(s string, p float32, rng *rand.Rand) string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ':' })
	var words []string // phrases with at least one word: a lone "#" would embed as the zero vector
	for _, ph := range parts {
		if ph = strings.TrimSpace(ph); len(text.Words(ph)) > 0 {
			words = append(words, ph)
		}
	}
	if len(words) == 0 {
		return s
	}
	var kept []string
	for _, ph := range words {
		if rng.Float32() >= p {
			kept = append(kept, ph)
		}
	}
	if len(kept) == 0 {
		kept = append(kept, words[rng.IntN(len(words))])
	}
	return strings.Join(kept, ", ")
}
