package nn

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Optimizer updates parameters from their accumulated gradients.
//
// Step applies one update to every trainable Param in params (buffers,
// with G == nil, are skipped). Per-parameter state is keyed by Param.Name,
// so names must be unique and stable (Step panics if two different Params
// share a name).
//
// State returns the optimiser's state as named tensors that alias the live
// state (save them with Save for an exact resume); SetState restores it from
// tensors with the same names, e.g. as returned by Load.
type Optimizer interface {
	Step(params []*Param)
	State() []*Param
	SetState(state []*Param) error
}

// Schedule gives the learning rate for a step, counted from 0.
type Schedule func(step int) float32

// ConstantLR returns the schedule lr(t) = lr.
func ConstantLR(lr float32) Schedule {
	return func(int) float32 { return lr }
}

// WarmupCosine returns linear warm-up followed by cosine decay:
//
//	lr(t) = peak·(t+1)/warmup                                  for t < warmup,
//	lr(t) = floor + (peak−floor)·(1 + cos(π·q))/2,  q = min(1, (t−warmup)/(total−warmup)),
//
// so it reaches peak at the end of warm-up and floor at step total (and
// stays there).
func WarmupCosine(peak float32, warmup, total int, floor float32) Schedule {
	return func(t int) float32 {
		if t < warmup {
			return peak * float32(t+1) / float32(warmup)
		}
		q := 1.0
		if total > warmup {
			q = min(1, float64(t-warmup)/float64(total-warmup))
		}
		return floor + (peak-floor)*float32((1+math.Cos(math.Pi*q))/2)
	}
}

// ClipGradNorm scales all gradients by maxNorm/‖g‖ when their global L2 norm
//
//	‖g‖ = √(Σ_params Σ_i G_i²)
//
// exceeds maxNorm, and returns ‖g‖ before clipping. With maxNorm ≤ 0, or
// when ‖g‖ is not finite, the gradients are left unchanged (check the
// returned norm to skip such a step).
func ClipGradNorm(params []*Param, maxNorm float32) float32 {
	var ss float64
	forGrad(params, func(g []float32) {
		for _, v := range g {
			ss += float64(v) * float64(v)
		}
	})
	norm := math.Sqrt(ss)
	if maxNorm > 0 && norm > float64(maxNorm) && !math.IsInf(norm, 0) && !math.IsNaN(norm) {
		s := float32(float64(maxNorm) / (norm + 1e-6))
		forGrad(params, func(g []float32) {
			for i := range g {
				g[i] *= s
			}
		})
	}
	return float32(norm)
}

// forGrad calls f on each non-zero stretch of gradient: the whole G of a
// dense parameter, each touched row of a sparse one.
func forGrad(params []*Param, f func(g []float32)) {
	for _, p := range params {
		if p.G == nil {
			continue
		}
		if p.rows == nil {
			f(p.G)
			continue
		}
		d := p.rowSize()
		for _, r := range p.rows.list {
			f(p.G[int(r)*d : int(r+1)*d])
		}
	}
}

// forRows calls f(lo, hi) for each stretch of p to update: all of it for a
// dense parameter, each touched row for a sparse one.
func forRows(p *Param, f func(lo, hi int)) {
	if p.rows == nil {
		f(0, len(p.W))
		return
	}
	d := p.rowSize()
	for _, r := range p.rows.list {
		f(int(r)*d, int(r+1)*d)
	}
}

// slots holds per-parameter state tensors by parameter name.
type slots struct {
	kinds []string // suffixes, e.g. "m", "v"
	by    map[string]*slot
}

type slot struct {
	owner *Param
	bufs  []*Param
}

func newSlots(kinds ...string) slots {
	return slots{kinds: kinds, by: map[string]*slot{}}
}

// get returns the state buffers of p, creating zero ones on first use.
func (s *slots) get(p *Param) []*Param {
	st := s.by[p.Name]
	if st == nil {
		st = &slot{}
		for _, k := range s.kinds {
			st.bufs = append(st.bufs, newBuffer(p.Name+"."+k, p.Shape...))
		}
		s.by[p.Name] = st
	}
	if st.owner != p {
		if st.owner != nil {
			panic(fmt.Sprintf("nn: optimiser: two parameters are named %q", p.Name))
		}
		if len(st.bufs[0].W) != len(p.W) {
			panic(fmt.Sprintf("nn: optimiser: state for %q has %d values, the parameter has %d", p.Name, len(st.bufs[0].W), len(p.W)))
		}
		st.owner = p
	}
	return st.bufs
}

// stepTensor encodes a step count exactly in two float32 values
// (t = hi·2²⁴ + lo).
func stepTensor(name string, t int) *Param {
	p := newBuffer(name, 2)
	p.W[0], p.W[1] = float32(t>>24), float32(t&(1<<24-1))
	return p
}

// state lists the step tensor and all slots sorted by parameter name.
func (s *slots) state(stepName string, t int) []*Param {
	out := []*Param{stepTensor(stepName, t)}
	names := make([]string, 0, len(s.by))
	for n := range s.by {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		out = append(out, s.by[n].bufs...)
	}
	return out
}

// setState replaces the slots and returns the step count from tensors made
// by state.
func (s *slots) setState(stepName string, state []*Param) (int, error) {
	t := -1
	by := map[string]*slot{}
	pending := map[string][]*Param{}
	for _, p := range state {
		if p.Name == stepName {
			if len(p.W) != 2 || p.W[0] < 0 || p.W[1] < 0 || p.W[0] >= 1<<24 || p.W[1] >= 1<<24 {
				return 0, fmt.Errorf("optimiser state: bad step tensor %q", stepName)
			}
			t = int(p.W[0])<<24 | int(p.W[1])
			continue
		}
		i := strings.LastIndexByte(p.Name, '.')
		if i < 0 || !slices.Contains(s.kinds, p.Name[i+1:]) {
			return 0, fmt.Errorf("optimiser state: unexpected tensor %q", p.Name)
		}
		pending[p.Name[:i]] = append(pending[p.Name[:i]], p)
	}
	if t < 0 {
		return 0, fmt.Errorf("optimiser state: no %q tensor (is this state from another optimiser?)", stepName)
	}
	for name, ps := range pending {
		st := &slot{bufs: make([]*Param, len(s.kinds))}
		for _, p := range ps {
			k := slices.Index(s.kinds, p.Name[len(name)+1:])
			if st.bufs[k] != nil {
				return 0, fmt.Errorf("optimiser state: duplicate tensor %q", p.Name)
			}
			st.bufs[k] = &Param{Name: p.Name, Shape: slices.Clone(p.Shape), W: slices.Clone(p.W)}
		}
		for k, b := range st.bufs {
			if b == nil {
				return 0, fmt.Errorf("optimiser state: missing tensor %q", name+"."+s.kinds[k])
			}
			if len(b.W) != len(st.bufs[0].W) {
				return 0, fmt.Errorf("optimiser state: %q and %q differ in size", b.Name, st.bufs[0].Name)
			}
		}
		by[name] = st
	}
	s.by = by
	return t, nil
}

// Adam is the Adam optimiser (Kingma & Ba, 2015) with optional weight
// decay, either coupled (L2 added to the gradient, "Adam") or decoupled
// ("AdamW", Loshchilov & Hutter, 2019). At step t (from 1), for each weight
// w with gradient g:
//
//	g ← g + λw                                (coupled decay only)
//	w ← w − η·λ·w                             (decoupled decay only)
//	m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²
//	w ← w − η · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
//
// where η is LR, or Schedule(t−1) if Schedule is set. Sparse parameters
// (EmbeddingBag) are updated lazily: only rows with gradient this step.
type Adam struct {
	LR           float32
	Schedule     Schedule
	Beta1, Beta2 float32
	Eps          float32
	WeightDecay  float32
	Decoupled    bool

	t     int
	slots slots
}

// NewAdam returns Adam with β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and no weight
// decay.
func NewAdam(lr float32) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, slots: newSlots("m", "v")}
}

// NewAdamW returns Adam with decoupled weight decay wd (AdamW).
func NewAdamW(lr, wd float32) *Adam {
	a := NewAdam(lr)
	a.WeightDecay, a.Decoupled = wd, true
	return a
}

// Steps returns the number of steps taken.
func (a *Adam) Steps() int { return a.t }

// Step updates params.
func (a *Adam) Step(params []*Param) {
	a.t++
	lr := a.LR
	if a.Schedule != nil {
		lr = a.Schedule(a.t - 1)
	}
	b1, b2 := a.Beta1, a.Beta2
	bc1 := 1 - math.Pow(float64(b1), float64(a.t))
	bc2 := 1 - math.Pow(float64(b2), float64(a.t))
	stepSize := float32(float64(lr) / bc1)
	invSqrtBc2 := float32(1 / math.Sqrt(bc2))
	eps, wd := a.Eps, a.WeightDecay
	decay := float32(1)
	if a.Decoupled {
		decay = 1 - lr*wd
		wd = 0
	}
	for _, p := range params {
		if p.G == nil {
			continue
		}
		st := a.slots.get(p)
		mAll, vAll := st[0].W, st[1].W
		forRows(p, func(lo, hi int) {
			w, g, m, v := p.W[lo:hi], p.G[lo:hi], mAll[lo:hi], vAll[lo:hi]
			g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
			for i := range w {
				gi := g[i] + wd*w[i]
				mi := b1*m[i] + (1-b1)*gi
				vi := b2*v[i] + (1-b2)*gi*gi
				m[i], v[i] = mi, vi
				den := float32(math.Sqrt(float64(vi)))*invSqrtBc2 + eps
				w[i] = w[i]*decay - stepSize*mi/den
			}
		})
	}
}

// State returns "adam.step" and, for each parameter seen, "<name>.m" and
// "<name>.v".
func (a *Adam) State() []*Param { return a.slots.state("adam.step", a.t) }

// SetState restores a State.
func (a *Adam) SetState(state []*Param) error {
	t, err := a.slots.setState("adam.step", state)
	if err != nil {
		return err
	}
	a.t = t
	return nil
}

// SGD is stochastic gradient descent with momentum μ and coupled weight
// decay λ:
//
//	g ← g + λw,   b ← μb + g,   w ← w − η·b
//
// (plain SGD when μ = 0). η is LR, or Schedule(t) if Schedule is set.
// Sparse parameters are updated lazily, as in Adam.
type SGD struct {
	LR          float32
	Schedule    Schedule
	Momentum    float32
	WeightDecay float32

	t     int
	slots slots
}

// NewSGD returns SGD with the given learning rate and momentum.
func NewSGD(lr, momentum float32) *SGD {
	return &SGD{LR: lr, Momentum: momentum, slots: newSlots("momentum")}
}

// Steps returns the number of steps taken.
func (s *SGD) Steps() int { return s.t }

// Step updates params.
func (s *SGD) Step(params []*Param) {
	lr := s.LR
	if s.Schedule != nil {
		lr = s.Schedule(s.t)
	}
	s.t++
	mu, wd := s.Momentum, s.WeightDecay
	for _, p := range params {
		if p.G == nil {
			continue
		}
		var bAll []float32
		if mu != 0 {
			bAll = s.slots.get(p)[0].W
		}
		forRows(p, func(lo, hi int) {
			w, g := p.W[lo:hi], p.G[lo:hi]
			g = g[:len(w)]
			if mu == 0 {
				for i := range w {
					w[i] -= lr * (g[i] + wd*w[i])
				}
				return
			}
			b := bAll[lo:hi]
			b = b[:len(w)]
			for i := range w {
				bi := mu*b[i] + g[i] + wd*w[i]
				b[i] = bi
				w[i] -= lr * bi
			}
		})
	}
}

// State returns "sgd.step" and "<name>.momentum" for each parameter seen.
func (s *SGD) State() []*Param { return s.slots.state("sgd.step", s.t) }

// SetState restores a State.
func (s *SGD) SetState(state []*Param) error {
	t, err := s.slots.setState("sgd.step", state)
	if err != nil {
		return err
	}
	s.t = t
	return nil
}
