package nn

import "fmt"

// Twinner is implemented by layers that can make a twin: a layer that
// shares their parameters and buffers (the same *Param values) but keeps
// its own caches and output buffers.
//
// A twin lets one set of weights process two batches before either is
// backpropagated, as when a shared encoder embeds a source and a target
// batch for one loss: call Forward on the layer for one batch and on its
// twin for the other, then Backward on each; both add their gradients into
// the shared Param.G. Hyperparameters (Dropout's p, GradReverse's λ,
// BatchNorm's momentum) are copied; Dropout twins share one random source.
type Twinner interface {
	Twin() Layer
}

// Twin returns l.Twin(). It panics if l does not implement Twinner.
func Twin(l Layer) Layer {
	t, ok := l.(Twinner)
	if !ok {
		panic(fmt.Sprintf("nn: Twin: %T has no Twin method", l))
	}
	return t.Twin()
}

// Twin returns a chain of the layers' twins.
func (s *Sequential) Twin() Layer {
	ls := make([]Layer, len(s.Layers))
	for i, l := range s.Layers {
		ls[i] = Twin(l)
	}
	return &Sequential{Layers: ls}
}

// Twin shares W and b.
func (l *Linear) Twin() Layer { return &Linear{In: l.In, Out: l.Out, W: l.W, B: l.B} }

// Twin shares W and b.
func (c *Conv2D) Twin() Layer {
	return &Conv2D{InC: c.InC, OutC: c.OutC, K: c.K, Stride: c.Stride, Pad: c.Pad, W: c.W, B: c.B}
}

// Twin returns a new MaxPool2D(k).
func (m *MaxPool2D) Twin() Layer { return NewMaxPool2D(m.K) }

// Twin returns a new GlobalAvgPool.
func (g *GlobalAvgPool) Twin() Layer { return NewGlobalAvgPool() }

// Twin returns a new ReLU.
func (r *ReLU) Twin() Layer { return NewReLU() }

// Twin returns a LeakyReLU with the same slope.
func (r *LeakyReLU) Twin() Layer { return NewLeakyReLU(r.Slope) }

// Twin returns a Dropout with the same p drawing from the same source.
func (d *Dropout) Twin() Layer { return &Dropout{P: d.P, src: d.src, rng: d.rng} }

// Twin returns a GradReverse with the same λ (set each one's λ).
func (g *GradReverse) Twin() Layer { return NewGradReverse(g.Lambda) }

// Twin returns a new Flatten.
func (f *Flatten) Twin() Layer { return NewFlatten() }

// Twin shares γ, β and the running statistics.
func (b *BatchNorm) Twin() Layer {
	return &BatchNorm{C: b.C, Eps: b.Eps, Momentum: b.Momentum, Gamma: b.Gamma, Beta: b.Beta,
		RunMean: b.RunMean, RunVar: b.RunVar, invstd: make([]float32, b.C)}
}

// Twin shares γ and β.
func (l *LayerNorm) Twin() Layer { return &LayerNorm{D: l.D, Eps: l.Eps, Gamma: l.Gamma, Beta: l.Beta} }

// Twin returns an L2Norm with the same ε.
func (l *L2Norm) Twin() Layer { return &L2Norm{Eps: l.Eps} }

// Twin returns an EmbeddingBag sharing the table W (and its record of
// touched rows).
func (e *EmbeddingBag) Twin() *EmbeddingBag {
	return &EmbeddingBag{Buckets: e.Buckets, Dim: e.Dim, W: e.W}
}
