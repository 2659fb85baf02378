package train

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"aeir/data"
	"aeir/model"
	"aeir/nn"
)

// Adapter runs a Trainer's schedule in memory, one optimiser step at a
// time, starting from a trained model instead of fresh weights: the demo
// page's Adapt button (package web, compiled to WebAssembly) and its
// native replay, `aeir adapt`. Each step is Run's step — the same batches
// from (seed, epoch, step), the same learning-rate schedule, the method's
// terms prepared at every epoch's start — so a page and a native build
// given the same data and options compute the same model. Nothing is
// written to disk and no validation runs (a user's gallery has no
// alignment to validate on); the caller decides when to stop, and the
// model it started from is never touched.
type Adapter struct {
	t     *Trainer
	spe   int // steps per epoch
	total int // steps of the whole adaptation
	done  int // steps run
	sched func(int) float32
	order []int // the current epoch's order of the source pairs
	diag  map[string]float64
}

// NewAdapter prepares the adaptation of start to task's target with opt:
// opt.Model must be start's configuration. steps > 0 stops after that
// many steps instead of opt.Epochs whole epochs (the schedule then runs
// over those steps).
func NewAdapter(task *data.Task, opt Options, start *model.Model, steps int) (*Adapter, error) {
	if start == nil {
		return nil, fmt.Errorf("adapt: no model to start from")
	}
	a, _ := json.Marshal(opt.Model)
	b, _ := json.Marshal(start.Config)
	if string(a) != string(b) {
		return nil, fmt.Errorf("adapt: the options' model configuration differs from the model's:\n  options %s\n  model   %s", a, b)
	}
	if task.Train.TargetImages == nil || task.Train.TargetImages.N < 2 || len(task.Train.TargetTexts) < 2 {
		return nil, fmt.Errorf("adapt: the target needs at least 2 images and 2 sentences")
	}
	if !opt.method().Transfer() {
		return nil, fmt.Errorf("adapt: method %s does not read the target domain", opt.Method)
	}
	t, err := New(task, opt, "", false)
	if err != nil {
		return nil, err
	}
	if err := nn.CopyTensors(t.Model.Tensors(), start.Tensors()); err != nil {
		return nil, fmt.Errorf("adapt: %w", err)
	}
	t.newEMA() // the average starts at the start model's weights
	ad := &Adapter{t: t, spe: t.StepsPerEpoch()}
	ad.total = ad.spe * opt.Epochs
	if steps > 0 {
		ad.total = min(ad.total, steps)
	}
	ad.sched = nn.WarmupCosine(opt.LR, opt.WarmupSteps, ad.total, opt.LR*0.02)
	return ad, nil
}

// Total is the number of steps of the adaptation; Done how many have run.
func (a *Adapter) Total() int { return a.total }

// Done is the number of steps run so far.
func (a *Adapter) Done() int { return a.done }

// Epoch is the 0-based epoch of the next step.
func (a *Adapter) Epoch() int { return a.done / a.spe }

// Model is the model being adapted (the trainer's, shared: it changes
// with every step).
func (a *Adapter) Model() *model.Model { return a.t.Model }

// Step runs the next optimiser step and returns its loss parts (and, on
// an epoch's first step, the diagnostics of the epoch's terms under
// "diag_"). After Total steps it returns an error.
func (a *Adapter) Step() (map[string]float64, error) {
	t := a.t
	if a.done >= a.total {
		return nil, fmt.Errorf("adapt: all %d steps have run", a.total)
	}
	n := len(t.set.Source.Texts)
	for {
		e, s := a.done/a.spe, a.done%a.spe
		if s == 0 || a.order == nil {
			a.order = rand.New(rand.NewPCG(t.Opt.Seed, uint64(e)+1)).Perm(n)
			d, err := t.epochTerms(e)
			if err != nil {
				return nil, err
			}
			a.diag = d
		}
		lo, hi := s*t.Opt.Batch, min((s+1)*t.Opt.Batch, n)
		if hi-lo < 2 { // as Run: a last batch of one pair is skipped
			a.done++
			if a.done >= a.total {
				return map[string]float64{}, nil
			}
			continue
		}
		t.opt.LR = a.sched(a.done)
		t.loss.MaxViolation = t.Opt.MaxViolation && e >= t.Opt.SumEpochs
		parts, _, err := t.step(a.order[lo:hi], e, s, a.done, a.total)
		if err != nil {
			return nil, fmt.Errorf("adapt: epoch %d step %d: %w", e+1, s+1, err)
		}
		if s == 0 {
			for k, v := range a.diag {
				parts["diag_"+k] = v
			}
		}
		a.done++
		return parts, nil
	}
}

// Result returns a copy of the adapted model (the weight average with
// Options.EMA), independent of further steps.
func (a *Adapter) Result() (*model.Model, error) {
	t := a.t
	if t.ema != nil {
		t.swapEMA()
		defer t.swapEMA()
	}
	m, err := model.New(t.Model.Config, 0)
	if err != nil {
		return nil, err
	}
	if err := nn.CopyTensors(m.Tensors(), t.Model.Tensors()); err != nil {
		return nil, err
	}
	return m, nil
}
