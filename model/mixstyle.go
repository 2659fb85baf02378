package model

import (
	"fmt"
	"math"

	"aeir/nn"
)

// MixStyle follows a convolutional layer (Inner) and, in training only,
// gives chosen rows of its N×C×H×W output the feature statistics of
// another row: with μ, σ the mean and standard deviation of one channel
// over H×W,
//
//	y_i = σ_mix · (h_i − μ_i) / σ_i + μ_mix,
//	μ_mix = λ_i μ_i + (1 − λ_i) μ_p,  σ_mix = λ_i σ_i + (1 − λ_i) σ_p,
//
// where p = Partner[i] (−1: row i passes unchanged) and λ_i = Lambda[i].
// The statistics are constants for the gradient (as in MixStyle, Zhou et
// al. 2021), so dL/dh_i = σ_mix/σ_i · dL/dy_i. Channel statistics of
// early layers carry an image's style — line weight, palette, shading —
// rather than its content; the trainer pairs source images with target
// images (train.Options.MixStyle), so the source pairs are also seen in
// the target artist's style. In evaluation (train false) it is Inner
// alone, and it has no parameters of its own: a model file does not know
// it was used.
type MixStyle struct {
	Inner   nn.Layer
	Partner []int     // per row of the next training Forward
	Lambda  []float32 // per row, in [0, 1]

	mixed bool
	scale []float32 // σ_mix/σ_i per row and channel (1 for unmixed rows)
	y, dx *nn.Tensor
}

// Forward applies Inner, then the style mixing when training.
func (m *MixStyle) Forward(x *nn.Tensor, train bool) *nn.Tensor {
	h := m.Inner.Forward(x, train)
	m.mixed = train && m.Partner != nil
	if !m.mixed {
		return h
	}
	if len(h.Shape) != 4 || len(m.Partner) != h.Shape[0] || len(m.Lambda) != h.Shape[0] {
		panic(fmt.Sprintf("model: MixStyle on %v with %d partners, %d weights", h.Shape, len(m.Partner), len(m.Lambda)))
	}
	n, c, hw := h.Shape[0], h.Shape[1], h.Shape[2]*h.Shape[3]
	mu, sig := make([]float32, n*c), make([]float32, n*c)
	for r := 0; r < n*c; r++ {
		p := h.Data[r*hw : (r+1)*hw]
		var s, ss float64
		for _, v := range p {
			s += float64(v)
		}
		mean := s / float64(hw)
		for _, v := range p {
			ss += (float64(v) - mean) * (float64(v) - mean)
		}
		mu[r], sig[r] = float32(mean), float32(math.Sqrt(ss/float64(hw)+1e-6))
	}
	m.y = nn.Ensure(m.y, h.Shape...)
	if cap(m.scale) < n*c {
		m.scale = make([]float32, n*c)
	}
	m.scale = m.scale[:n*c]
	for i := 0; i < n; i++ {
		pi := m.Partner[i]
		for ch := 0; ch < c; ch++ {
			r := i*c + ch
			src, dst := h.Data[r*hw:(r+1)*hw], m.y.Data[r*hw:(r+1)*hw]
			if pi < 0 {
				m.scale[r] = 1
				copy(dst, src)
				continue
			}
			if pi >= n {
				panic(fmt.Sprintf("model: MixStyle partner %d of row %d outside %d rows", pi, i, n))
			}
			l := m.Lambda[i]
			q := pi*c + ch
			muMix, sigMix := l*mu[r]+(1-l)*mu[q], l*sig[r]+(1-l)*sig[q]
			k := sigMix / sig[r]
			m.scale[r] = k
			for j, v := range src {
				dst[j] = k*(v-mu[r]) + muMix
			}
		}
	}
	return m.y
}

// Backward scales dy by σ_mix/σ_i per row and channel, then runs Inner's
// Backward.
func (m *MixStyle) Backward(dy *nn.Tensor) *nn.Tensor {
	if !m.mixed {
		return m.Inner.Backward(dy)
	}
	m.dx = nn.Ensure(m.dx, dy.Shape...)
	hw := dy.Shape[2] * dy.Shape[3]
	for r, k := range m.scale {
		src, dst := dy.Data[r*hw:(r+1)*hw], m.dx.Data[r*hw:(r+1)*hw]
		for j, v := range src {
			dst[j] = k * v
		}
	}
	return m.Inner.Backward(m.dx)
}

// Params returns Inner's parameters.
func (m *MixStyle) Params() []*nn.Param { return m.Inner.Params() }
