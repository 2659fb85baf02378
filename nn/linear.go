package nn

import (
	"fmt"
	"math/rand/v2"
)

// Linear is a fully connected layer
//
//	y = x·Wᵀ + b,   x: N×in, W: out×in, b: out, y: N×out
//
// with gradients
//
//	dL/dW += dyᵀ·x,   dL/db += Σₙ dyₙ,   dL/dx = dy·W.
//
// An input of higher rank is read as N rows of in values (N = Shape[0]).
type Linear struct {
	In, Out int
	W, B    *Param

	x     *Tensor
	y, dx *Tensor
}

// NewLinear returns an in→out layer with Xavier-uniform weights drawn from
// rng and zero bias. Parameters are named "w" and "b". Use Init to
// re-initialise, e.g. with HeNormal before a ReLU.
func NewLinear(rng *rand.Rand, in, out int) *Linear {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn: NewLinear(%d, %d): sizes must be positive", in, out))
	}
	l := &Linear{In: in, Out: out, W: NewParam("w", out, in), B: NewParam("b", out)}
	l.Init(rng, XavierUniform)
	return l
}

// Init re-draws the weights with init and zeroes the bias.
func (l *Linear) Init(rng *rand.Rand, init Init) {
	init(rng, l.In, l.Out, l.W.W)
	clear(l.B.W)
}

// Forward computes x·Wᵀ + b.
func (l *Linear) Forward(x *Tensor, train bool) *Tensor {
	if len(x.Shape) < 2 || x.Cols() != l.In {
		panic(fmt.Sprintf("nn: Linear(%d→%d): input shape %v, want N×%d", l.In, l.Out, x.Shape, l.In))
	}
	n := x.Rows()
	l.x = x
	l.y = Ensure(l.y, n, l.Out)
	y := l.y.Data
	for i := range n {
		copy(y[i*l.Out:(i+1)*l.Out], l.B.W)
	}
	Gemm(false, true, n, l.Out, l.In, 1, x.Data, l.In, l.W.W, l.In, 1, y, l.Out)
	return l.y
}

// Backward accumulates dL/dW and dL/db and returns dL/dx (shaped like x).
func (l *Linear) Backward(dy *Tensor) *Tensor {
	mustSame("Linear", dy, l.y)
	n := dy.Rows()
	Gemm(true, false, l.Out, l.In, n, 1, dy.Data, l.Out, l.x.Data, l.In, 1, l.W.G, l.In)
	gb := l.B.G
	for i := range n {
		row := dy.Data[i*l.Out : (i+1)*l.Out]
		for j, v := range row {
			gb[j] += v
		}
	}
	l.dx = Ensure(l.dx, l.x.Shape...)
	Gemm(false, false, n, l.In, l.Out, 1, dy.Data, l.Out, l.W.W, l.In, 0, l.dx.Data, l.In)
	return l.dx
}

// Params returns W and b.
func (l *Linear) Params() []*Param { return []*Param{l.W, l.B} }
