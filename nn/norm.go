package nn

import (
	"fmt"
	"math"
)

// BatchNorm normalises each channel over the batch (Ioffe & Szegedy,
// 2015). Input is N×C or N×C×H×W; statistics are per channel c over the
// M = N·H·W values x_c:
//
//	μ = mean(x_c),  σ² = mean((x_c−μ)²),  x̂ = (x−μ)/√(σ²+ε),  y = γ·x̂ + β.
//
// In training mode μ and σ² are the batch's and the running statistics
// are updated with momentum m: r_μ ← (1−m)·r_μ + m·μ and
// r_σ² ← (1−m)·r_σ² + m·σ²·M/(M−1) (unbiased). In evaluation mode r_μ and
// r_σ² replace μ and σ². The gradients (training mode) are
//
//	dL/dγ += Σ dy·x̂,  dL/dβ += Σ dy,
//	dL/dx = γ/(M·√(σ²+ε)) · (M·dy − Σ dy − x̂·Σ dy·x̂);
//
// in evaluation mode dL/dx = γ·dy/√(r_σ²+ε).
//
// Params are "gamma" (1) and "beta" (0); Buffers are "running_mean" (0)
// and "running_var" (1), saved with the model.
type BatchNorm struct {
	C             int
	Eps, Momentum float32
	Gamma, Beta   *Param
	RunMean       *Param
	RunVar        *Param

	train  bool
	m      int // values per channel in the last batch
	hw     int
	xhat   []float32
	invstd []float32
	y, dx  *Tensor
}

// NewBatchNorm returns a batch normalisation over c channels with ε = 1e-5
// and momentum 0.1.
func NewBatchNorm(c int) *BatchNorm {
	if c <= 0 {
		panic(fmt.Sprintf("nn: NewBatchNorm(%d): channels must be positive", c))
	}
	b := &BatchNorm{C: c, Eps: 1e-5, Momentum: 0.1,
		Gamma: NewParam("gamma", c), Beta: NewParam("beta", c),
		RunMean: newBuffer("running_mean", c), RunVar: newBuffer("running_var", c),
		invstd: make([]float32, c)}
	for i := range c {
		b.Gamma.W[i] = 1
		b.RunVar.W[i] = 1
	}
	return b
}

// Forward normalises x (N×C or N×C×H×W).
func (b *BatchNorm) Forward(x *Tensor, train bool) *Tensor {
	if (len(x.Shape) != 2 && len(x.Shape) != 4) || x.Shape[1] != b.C || len(x.Data) != x.Size() {
		panic(fmt.Sprintf("nn: BatchNorm(%d): input shape %v, want N×%d or N×%d×H×W", b.C, x.Shape, b.C, b.C))
	}
	n, hw := x.Shape[0], 1
	if len(x.Shape) == 4 {
		hw = x.Shape[2] * x.Shape[3]
	}
	b.train, b.m, b.hw = train, n*hw, hw
	b.y = Ensure(b.y, x.Shape...)
	b.xhat = grow(b.xhat, len(x.Data))
	for c := range b.C {
		var mean, vr float64
		if train {
			if b.m == 0 {
				panic("nn: BatchNorm: empty batch in training mode")
			}
			var s float64
			for i := range n {
				for _, v := range x.Data[(i*b.C+c)*hw : (i*b.C+c+1)*hw] {
					s += float64(v)
				}
			}
			mean = s / float64(b.m)
			var ss float64
			for i := range n {
				for _, v := range x.Data[(i*b.C+c)*hw : (i*b.C+c+1)*hw] {
					d := float64(v) - mean
					ss += d * d
				}
			}
			vr = ss / float64(b.m)
			mom := float64(b.Momentum)
			unbiased := vr
			if b.m > 1 {
				unbiased = ss / float64(b.m-1)
			}
			b.RunMean.W[c] = float32((1-mom)*float64(b.RunMean.W[c]) + mom*mean)
			b.RunVar.W[c] = float32((1-mom)*float64(b.RunVar.W[c]) + mom*unbiased)
		} else {
			mean, vr = float64(b.RunMean.W[c]), float64(b.RunVar.W[c])
		}
		inv := 1 / math.Sqrt(vr+float64(b.Eps))
		b.invstd[c] = float32(inv)
		g, be := b.Gamma.W[c], b.Beta.W[c]
		mu, is := float32(mean), float32(inv)
		for i := range n {
			off := (i*b.C + c) * hw
			xs := x.Data[off : off+hw]
			xh := b.xhat[off : off+hw]
			ys := b.y.Data[off : off+hw]
			for j, v := range xs {
				h := (v - mu) * is
				xh[j] = h
				ys[j] = g*h + be
			}
		}
	}
	return b.y
}

// Backward accumulates dL/dγ and dL/dβ and returns dL/dx.
func (b *BatchNorm) Backward(dy *Tensor) *Tensor {
	mustSame("BatchNorm", dy, b.y)
	n, hw := dy.Shape[0], b.hw
	b.dx = Ensure(b.dx, dy.Shape...)
	for c := range b.C {
		var sdy, sdyx float64
		for i := range n {
			off := (i*b.C + c) * hw
			xh := b.xhat[off : off+hw]
			for j, g := range dy.Data[off : off+hw] {
				sdy += float64(g)
				sdyx += float64(g) * float64(xh[j])
			}
		}
		b.Gamma.G[c] += float32(sdyx)
		b.Beta.G[c] += float32(sdy)
		g := b.Gamma.W[c] * b.invstd[c]
		if !b.train {
			for i := range n {
				off := (i*b.C + c) * hw
				dx := b.dx.Data[off : off+hw]
				for j, d := range dy.Data[off : off+hw] {
					dx[j] = g * d
				}
			}
			continue
		}
		m := float32(b.m)
		mdy, mdyx := float32(sdy)/m, float32(sdyx)/m
		for i := range n {
			off := (i*b.C + c) * hw
			xh := b.xhat[off : off+hw]
			dx := b.dx.Data[off : off+hw]
			for j, d := range dy.Data[off : off+hw] {
				dx[j] = g * (d - mdy - xh[j]*mdyx)
			}
		}
	}
	return b.dx
}

// Params returns γ and β.
func (b *BatchNorm) Params() []*Param { return []*Param{b.Gamma, b.Beta} }

// Buffers returns the running mean and variance.
func (b *BatchNorm) Buffers() []*Param { return []*Param{b.RunMean, b.RunVar} }

// LayerNorm normalises each row of d values (the last dimension; Ba et al.,
// 2016):
//
//	μ = mean(x),  σ² = mean((x−μ)²),  x̂ = (x−μ)/√(σ²+ε),  y = γ⊙x̂ + β,
//
// with γ, β of length d and gradients
//
//	dL/dγ += Σ_rows dy⊙x̂,  dL/dβ += Σ_rows dy,
//	ĝ = γ⊙dy,  dL/dx = (ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂)) / √(σ²+ε).
//
// Params are "gamma" (1) and "beta" (0).
type LayerNorm struct {
	D           int
	Eps         float32
	Gamma, Beta *Param

	xhat   []float32
	invstd []float32
	y, dx  *Tensor
}

// NewLayerNorm returns a layer normalisation over the last d values with
// ε = 1e-5.
func NewLayerNorm(d int) *LayerNorm {
	if d <= 0 {
		panic(fmt.Sprintf("nn: NewLayerNorm(%d): size must be positive", d))
	}
	l := &LayerNorm{D: d, Eps: 1e-5, Gamma: NewParam("gamma", d), Beta: NewParam("beta", d)}
	for i := range d {
		l.Gamma.W[i] = 1
	}
	return l
}

// Forward normalises every row of x (…×d).
func (l *LayerNorm) Forward(x *Tensor, train bool) *Tensor {
	if len(x.Shape) < 1 || x.Shape[len(x.Shape)-1] != l.D || len(x.Data) != x.Size() {
		panic(fmt.Sprintf("nn: LayerNorm(%d): input shape %v, want …×%d", l.D, x.Shape, l.D))
	}
	d := l.D
	rows := len(x.Data) / d
	l.y = Ensure(l.y, x.Shape...)
	l.xhat = grow(l.xhat, len(x.Data))
	l.invstd = grow(l.invstd, rows)
	for r := range rows {
		xs := x.Data[r*d : (r+1)*d]
		var s float64
		for _, v := range xs {
			s += float64(v)
		}
		mean := s / float64(d)
		var ss float64
		for _, v := range xs {
			t := float64(v) - mean
			ss += t * t
		}
		inv := float32(1 / math.Sqrt(ss/float64(d)+float64(l.Eps)))
		l.invstd[r] = inv
		mu := float32(mean)
		xh, ys := l.xhat[r*d:(r+1)*d], l.y.Data[r*d:(r+1)*d]
		for j, v := range xs {
			h := (v - mu) * inv
			xh[j] = h
			ys[j] = l.Gamma.W[j]*h + l.Beta.W[j]
		}
	}
	return l.y
}

// Backward accumulates dL/dγ and dL/dβ and returns dL/dx.
func (l *LayerNorm) Backward(dy *Tensor) *Tensor {
	mustSame("LayerNorm", dy, l.y)
	d := l.D
	rows := len(dy.Data) / d
	l.dx = Ensure(l.dx, dy.Shape...)
	gam, gg, gb := l.Gamma.W, l.Gamma.G, l.Beta.G
	for r := range rows {
		ds := dy.Data[r*d : (r+1)*d]
		xh := l.xhat[r*d : (r+1)*d]
		var sg, sgx float32
		for j, g := range ds {
			gg[j] += g * xh[j]
			gb[j] += g
			h := gam[j] * g
			sg += h
			sgx += h * xh[j]
		}
		sg /= float32(d)
		sgx /= float32(d)
		inv := l.invstd[r]
		dx := l.dx.Data[r*d : (r+1)*d]
		for j, g := range ds {
			dx[j] = (gam[j]*g - sg - xh[j]*sgx) * inv
		}
	}
	return l.dx
}

// Params returns γ and β.
func (l *LayerNorm) Params() []*Param { return []*Param{l.Gamma, l.Beta} }

// L2Norm scales every row (of N×D input, or the flattened trailing
// dimensions) to unit Euclidean length:
//
//	ν = max(‖x‖₂, ε),  y = x/ν   (rows with ‖x‖₂ ≤ ε get a zero gradient),
//	dL/dx = (dy − y·(y·dy))/ν   when ‖x‖₂ > ε,   dy/ε otherwise,
//
// so a zero row maps to zero instead of NaN. ε defaults to 1e-12.
type L2Norm struct {
	Eps float32

	norm  []float32 // ν per row
	live  []bool    // ‖x‖ > ε
	y, dx *Tensor
}

// NewL2Norm returns a row-wise L2 normalisation.
func NewL2Norm() *L2Norm { return &L2Norm{Eps: 1e-12} }

// Forward normalises the rows of x.
func (l *L2Norm) Forward(x *Tensor, train bool) *Tensor {
	if len(x.Shape) < 2 || len(x.Data) != x.Size() {
		panic(fmt.Sprintf("nn: L2Norm: input shape %v, want N×D", x.Shape))
	}
	n, d := x.Rows(), x.Cols()
	l.y = Ensure(l.y, x.Shape...)
	l.norm = grow(l.norm, n)
	if cap(l.live) < n {
		l.live = make([]bool, n)
	}
	l.live = l.live[:n]
	for r := range n {
		xs := x.Data[r*d : (r+1)*d]
		var ss float64
		for _, v := range xs {
			ss += float64(v) * float64(v)
		}
		nu := math.Sqrt(ss)
		l.live[r] = nu > float64(l.Eps)
		if !l.live[r] {
			nu = float64(l.Eps)
		}
		l.norm[r] = float32(nu)
		inv := float32(1 / nu)
		ys := l.y.Data[r*d : (r+1)*d]
		for j, v := range xs {
			ys[j] = v * inv
		}
	}
	return l.y
}

// Backward returns dL/dx.
func (l *L2Norm) Backward(dy *Tensor) *Tensor {
	mustSame("L2Norm", dy, l.y)
	n, d := dy.Rows(), dy.Cols()
	l.dx = Ensure(l.dx, dy.Shape...)
	for r := range n {
		ds := dy.Data[r*d : (r+1)*d]
		ys := l.y.Data[r*d : (r+1)*d]
		dx := l.dx.Data[r*d : (r+1)*d]
		if !l.live[r] {
			// ‖x‖ ≤ ε (e.g. an empty bag of words): the exact gradient 1/ε
			// would blow the step up, and the row has no direction to keep.
			clear(dx)
			continue
		}
		inv := 1 / l.norm[r]
		var dot float32
		for j, g := range ds {
			dot += g * ys[j]
		}
		for j, g := range ds {
			dx[j] = (g - ys[j]*dot) * inv
		}
	}
	return l.dx
}

// Params returns nil.
func (l *L2Norm) Params() []*Param { return nil }
