package nn

import (
	"fmt"
	"slices"
	"strconv"
)

// Layer is one differentiable stage of a network.
//
// Forward maps x to y; train selects training behaviour (Dropout active,
// BatchNorm on batch statistics). The returned tensor is owned by the layer
// and is overwritten by its next Forward. Forward keeps what Backward needs,
// which may include x itself: x must not change until Backward has run.
//
// Backward takes dL/dy for the last Forward and returns dL/dx (owned by the
// layer), and adds dL/dθ into the G of each of its Params. It must follow a
// Forward.
//
// Params returns the trainable parameters, the same pointers on every call.
type Layer interface {
	Forward(x *Tensor, train bool) *Tensor
	Backward(dy *Tensor) *Tensor
	Params() []*Param
}

// Bufferer is implemented by layers with non-trainable state that must be
// saved with the weights, such as BatchNorm's running statistics.
type Bufferer interface {
	Buffers() []*Param
}

// Tensors returns the trainable parameters of l followed by its buffers:
// everything to save in a model file.
func Tensors(l Layer) []*Param {
	ps := slices.Clone(l.Params())
	if b, ok := l.(Bufferer); ok {
		ps = append(ps, b.Buffers()...)
	}
	return ps
}

// Sequential chains layers: y = fₙ(…f₂(f₁(x))). Backward runs them in
// reverse. It is itself a Layer and a Bufferer.
type Sequential struct {
	Layers []Layer
}

// NewSequential returns the chain of layers. Parameter and buffer names of
// layer i are prefixed with "i." (so "0.w", "2.running_mean"; nested
// chains give "1.0.w").
func NewSequential(layers ...Layer) *Sequential {
	for i, l := range layers {
		Prefix(strconv.Itoa(i)+".", Tensors(l))
	}
	return &Sequential{Layers: layers}
}

// Forward applies the layers in order.
func (s *Sequential) Forward(x *Tensor, train bool) *Tensor {
	for _, l := range s.Layers {
		x = l.Forward(x, train)
	}
	return x
}

// Backward applies the layers' Backward in reverse order.
func (s *Sequential) Backward(dy *Tensor) *Tensor {
	for i := len(s.Layers) - 1; i >= 0; i-- {
		dy = s.Layers[i].Backward(dy)
	}
	return dy
}

// Params returns the parameters of all layers, in order.
func (s *Sequential) Params() []*Param {
	var ps []*Param
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Buffers returns the buffers of all layers, in order.
func (s *Sequential) Buffers() []*Param {
	var ps []*Param
	for _, l := range s.Layers {
		if b, ok := l.(Bufferer); ok {
			ps = append(ps, b.Buffers()...)
		}
	}
	return ps
}

// Flatten reshapes N×d₁×…×dₖ to N×(d₁⋯dₖ) without copying: the output
// shares x's data and the gradient shares dy's.
type Flatten struct {
	inShape []int
	y, dx   Tensor
}

// NewFlatten returns a Flatten layer.
func NewFlatten() *Flatten { return &Flatten{} }

// Forward returns x viewed as a matrix.
func (f *Flatten) Forward(x *Tensor, train bool) *Tensor {
	f.inShape = append(f.inShape[:0], x.Shape...)
	f.y.Shape = append(f.y.Shape[:0], x.Rows(), x.Cols())
	f.y.Data = x.Data
	return &f.y
}

// Backward returns dy viewed with the input's shape.
func (f *Flatten) Backward(dy *Tensor) *Tensor {
	if len(dy.Data) != shapeSize(f.inShape) {
		panic(fmt.Sprintf("nn: Flatten.Backward: dy %v does not match input %v", dy.Shape, f.inShape))
	}
	f.dx.Shape = append(f.dx.Shape[:0], f.inShape...)
	f.dx.Data = dy.Data
	return &f.dx
}

// Params returns nil.
func (f *Flatten) Params() []*Param { return nil }

// mustShape panics unless t has the given rank and, where want[i] >= 0,
// the given dimension.
func mustShape(layer string, t *Tensor, want ...int) {
	ok := len(t.Shape) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = want[i] < 0 || t.Shape[i] == want[i]
	}
	if !ok || len(t.Data) != shapeSize(t.Shape) {
		w := make([]string, len(want))
		for i, d := range want {
			if d < 0 {
				w[i] = "*"
			} else {
				w[i] = strconv.Itoa(d)
			}
		}
		panic(fmt.Sprintf("nn: %s: got shape %v (%d values), want %v", layer, t.Shape, len(t.Data), w))
	}
}

// mustSame panics unless dy has the shape of the layer's last output.
func mustSame(layer string, dy, y *Tensor) {
	if !slices.Equal(dy.Shape, y.Shape) || len(dy.Data) != len(y.Data) {
		panic(fmt.Sprintf("nn: %s.Backward: dy has shape %v, output had %v", layer, dy.Shape, y.Shape))
	}
}
