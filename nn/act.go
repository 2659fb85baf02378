package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ReLU is the rectifier y = max(0, x), applied elementwise to any shape;
// dL/dx = dy · [x > 0].
type ReLU struct {
	y, dx *Tensor

	// operands of the parallel loops (method values, made once, so a
	// warm call allocates nothing)
	in       []float32
	fwd, bwd func(lo, hi int)
}

// NewReLU returns a ReLU layer.
func NewReLU() *ReLU { return &ReLU{} }

// Forward computes max(0, x).
func (r *ReLU) Forward(x *Tensor, train bool) *Tensor {
	r.y = ensureLike(r.y, x)
	if r.fwd == nil {
		r.fwd, r.bwd = r.forward, r.backward
	}
	r.in = x.Data
	parallelFor(len(x.Data), 1, r.fwd) // elementwise: one contiguous range per worker
	r.in = nil
	return r.y
}

func (r *ReLU) forward(lo, hi int) {
	xs, ys := r.in[lo:hi], r.y.Data[lo:hi]
	if reluFast(xs, ys) {
		return
	}
	for i, v := range xs {
		ys[i] = max(v, 0)
	}
}

// Backward masks dy with [y > 0] (equivalently [x > 0]).
func (r *ReLU) Backward(dy *Tensor) *Tensor {
	mustSame("ReLU", dy, r.y)
	r.dx = ensureLike(r.dx, dy)
	if r.fwd == nil {
		r.fwd, r.bwd = r.forward, r.backward
	}
	r.in = dy.Data
	parallelFor(len(dy.Data), 1, r.bwd)
	r.in = nil
	return r.dx
}

// backward masks r.in (dy) into dx over [lo, hi). Branch-free: the signs
// of activations are unpredictable. y ≥ +0 as an int32 is positive exactly
// when y > 0, and then −bits>>31 is all ones.
func (r *ReLU) backward(lo, hi int) {
	ys, dxs := r.y.Data[lo:hi], r.dx.Data[lo:hi]
	for i, g := range r.in[lo:hi] {
		mask := uint32(-int32(math.Float32bits(ys[i])) >> 31)
		dxs[i] = math.Float32frombits(math.Float32bits(g) & mask)
	}
}

// Params returns nil.
func (r *ReLU) Params() []*Param { return nil }

// LeakyReLU is y = x for x > 0 and y = a·x otherwise (slope a, usually
// 0.01–0.2), elementwise; dL/dx = dy · (x > 0 ? 1 : a).
type LeakyReLU struct {
	Slope float32

	x     *Tensor
	y, dx *Tensor
}

// NewLeakyReLU returns a leaky ReLU with the given negative slope.
func NewLeakyReLU(slope float32) *LeakyReLU { return &LeakyReLU{Slope: slope} }

// Forward computes the leaky rectifier.
func (r *LeakyReLU) Forward(x *Tensor, train bool) *Tensor {
	r.x = x
	r.y = ensureLike(r.y, x)
	y := r.y.Data[:len(x.Data)]
	a := r.Slope
	for i, v := range x.Data {
		if v > 0 {
			y[i] = v
		} else {
			y[i] = a * v
		}
	}
	return r.y
}

// Backward returns dy · (x > 0 ? 1 : a).
func (r *LeakyReLU) Backward(dy *Tensor) *Tensor {
	mustSame("LeakyReLU", dy, r.y)
	r.dx = ensureLike(r.dx, dy)
	x, dx := r.x.Data, r.dx.Data[:len(dy.Data)]
	x = x[:len(dx)]
	a := r.Slope
	for i, g := range dy.Data {
		if x[i] > 0 {
			dx[i] = g
		} else {
			dx[i] = a * g
		}
	}
	return r.dx
}

// Params returns nil.
func (r *LeakyReLU) Params() []*Param { return nil }

// Dropout zeroes each element with probability p during training and
// scales the survivors by 1/(1−p) (inverted dropout):
//
//	y = x ⊙ m / (1−p),   m ~ Bernoulli(1−p),   dL/dx = dy ⊙ m / (1−p).
//
// At evaluation (train == false) it is the identity and returns x itself.
// It draws masks from its own seeded PCG generator, so runs are
// reproducible; Source exposes that generator for saving and restoring.
type Dropout struct {
	P float32

	src   *rand.PCG
	rng   *rand.Rand
	mask  []float32 // 0 or 1/(1−p)
	train bool
	y, dx *Tensor
}

// NewDropout returns a dropout layer with drop probability p in [0, 1) and
// a generator seeded with seed.
func NewDropout(p float32, seed uint64) *Dropout {
	if !(p >= 0 && p < 1) {
		panic(fmt.Sprintf("nn: NewDropout(%v): p must be in [0, 1)", p))
	}
	src := rand.NewPCG(seed, seed^0x9E3779B97F4A7C15)
	return &Dropout{P: p, src: src, rng: rand.New(src)}
}

// Source returns the layer's random source; it implements
// encoding.BinaryMarshaler and BinaryUnmarshaler for exact resumption.
func (d *Dropout) Source() *rand.PCG { return d.src }

// Forward applies a fresh random mask when train is true.
func (d *Dropout) Forward(x *Tensor, train bool) *Tensor {
	d.train = train && d.P > 0
	if !d.train {
		d.y = x
		return x
	}
	n := len(x.Data)
	d.mask = grow(d.mask, n)
	scale := 1 / (1 - d.P)
	// Draw 32-bit uniforms two at a time from each 64-bit output.
	thresh := uint32(float64(d.P) * (1 << 32))
	for i := 0; i < n; i += 2 {
		u := d.rng.Uint64()
		d.mask[i] = keep(uint32(u), thresh, scale)
		if i+1 < n {
			d.mask[i+1] = keep(uint32(u>>32), thresh, scale)
		}
	}
	d.y = Ensure(d.y, x.Shape...)
	y, m := d.y.Data, d.mask[:n]
	for i, v := range x.Data {
		y[i] = v * m[i]
	}
	return d.y
}

func keep(u, thresh uint32, scale float32) float32 {
	if u < thresh {
		return 0
	}
	return scale
}

// Backward applies the same mask to dy (or returns dy at evaluation).
func (d *Dropout) Backward(dy *Tensor) *Tensor {
	mustSame("Dropout", dy, d.y)
	if !d.train {
		return dy
	}
	d.dx = ensureLike(d.dx, dy)
	m, dx := d.mask[:len(dy.Data)], d.dx.Data
	for i, g := range dy.Data {
		dx[i] = g * m[i]
	}
	return d.dx
}

// Params returns nil.
func (d *Dropout) Params() []*Param { return nil }

// GradReverse is the gradient reversal layer of domain-adversarial
// training (Ganin & Lempitsky, 2015): the identity going forward and a
// gradient multiplied by −λ going back,
//
//	y = x,   dL/dx = −λ · dy.
//
// Placed between a feature extractor and a domain classifier, it makes the
// extractor maximise the classifier's loss while the classifier minimises
// it. λ is usually ramped up with training progress p ∈ [0, 1] as
// λ = 2/(1+exp(−10p)) − 1 (see SetLambda). Forward returns x itself.
type GradReverse struct {
	Lambda float32

	y, dx *Tensor
}

// DANNLambda is the warm-start schedule of DANN for the reversal weight at
// training progress p ∈ [0, 1]: λ_p = 2/(1+exp(−10p)) − 1, rising from 0 to
// about 1.
func DANNLambda(p float64) float32 {
	return float32(2/(1+math.Exp(-10*p)) - 1)
}

// NewGradReverse returns a gradient reversal layer with the given λ.
func NewGradReverse(lambda float32) *GradReverse { return &GradReverse{Lambda: lambda} }

// SetLambda sets λ.
func (g *GradReverse) SetLambda(lambda float32) { g.Lambda = lambda }

// Forward returns x unchanged.
func (g *GradReverse) Forward(x *Tensor, train bool) *Tensor {
	g.y = x
	return x
}

// Backward returns −λ·dy.
func (g *GradReverse) Backward(dy *Tensor) *Tensor {
	mustSame("GradReverse", dy, g.y)
	g.dx = ensureLike(g.dx, dy)
	s := -g.Lambda
	for i, v := range dy.Data {
		g.dx.Data[i] = s * v
	}
	return g.dx
}

// Params returns nil.
func (g *GradReverse) Params() []*Param { return nil }
