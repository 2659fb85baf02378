package nn

import (
	"fmt"
	"slices"
)

// Tensor is a dense row-major float32 array. Shape[0] is the batch
// dimension; len(Data) == Size() == the product of Shape.
type Tensor struct {
	Shape []int
	Data  []float32
}

// NewTensor returns a zero tensor of the given shape.
// It panics if a dimension is negative.
func NewTensor(shape ...int) *Tensor {
	n := shapeSize(shape)
	return &Tensor{Shape: slices.Clone(shape), Data: make([]float32, n)}
}

// FromData returns a tensor of the given shape that uses data as its
// storage (no copy). It panics if len(data) does not match the shape.
func FromData(data []float32, shape ...int) *Tensor {
	if n := shapeSize(shape); n != len(data) {
		panic(fmt.Sprintf("nn: FromData: %d values for shape %v (needs %d)", len(data), shape, n))
	}
	return &Tensor{Shape: slices.Clone(shape), Data: data}
}

// Size returns the number of elements, the product of Shape.
func (t *Tensor) Size() int { return shapeSize(t.Shape) }

// Dim returns Shape[i].
func (t *Tensor) Dim(i int) int { return t.Shape[i] }

// Rows returns Shape[0] and Cols the product of the remaining dimensions:
// the tensor seen as a batch of flat rows.
func (t *Tensor) Rows() int { return t.Shape[0] }

// Cols returns the product of Shape[1:].
func (t *Tensor) Cols() int { return shapeSize(t.Shape[1:]) }

// Reshape changes the shape in place (same data, same element count) and
// returns t. One dimension may be -1 and is then inferred. It panics if the
// element count changes.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	n := len(t.Data)
	infer := -1
	prod := 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("nn: Reshape %v: bad dimension %d", slices.Clone(shape), d))
		default:
			prod *= d
		}
	}
	t.Shape = append(t.Shape[:0], shape...)
	if infer >= 0 {
		if prod == 0 || n%prod != 0 {
			panic(fmt.Sprintf("nn: Reshape: cannot infer dimension of %v for %d elements", slices.Clone(shape), n))
		}
		t.Shape[infer] = n / prod
		prod = n
	}
	if prod != n {
		panic(fmt.Sprintf("nn: Reshape: %d elements cannot have shape %v", n, slices.Clone(shape)))
	}
	return t
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// String returns a short description, e.g. "Tensor[64 16 32 32]".
func (t *Tensor) String() string { return fmt.Sprintf("Tensor%v", t.Shape) }

// Ensure returns a tensor of the given shape, reusing t and its storage when
// the capacity of t.Data suffices and reallocating otherwise. t may be nil.
// The contents are not cleared: callers that accumulate must zero them.
// Ensure allocates nothing when t is big enough.
func Ensure(t *Tensor, shape ...int) *Tensor {
	n := shapeSize(shape)
	if t == nil {
		t = &Tensor{}
	}
	if cap(t.Data) < n {
		t.Data = make([]float32, n)
	}
	t.Data = t.Data[:n]
	t.Shape = append(t.Shape[:0], shape...)
	return t
}

// ensureLike is Ensure(t, like.Shape...).
func ensureLike(t, like *Tensor) *Tensor { return Ensure(t, like.Shape...) }

// grow returns s resized to n, reallocating only when its capacity is short.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func shapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			// Clone so that shape does not escape (callers pass variadic
			// slices that should stay on the stack).
			panic(fmt.Sprintf("nn: negative dimension in shape %v", slices.Clone(shape)))
		}
		n *= d
	}
	return n
}

// Param is a named array of trainable weights W with its gradient G (same
// length). Shape gives the logical shape of W. Non-trainable state such as
// BatchNorm running statistics is also carried as a Param (with G nil) so
// that it can be saved and loaded with the weights.
type Param struct {
	Name  string
	Shape []int
	W, G  []float32

	// rows, when non-nil, lists the rows (of Shape[1:]-sized slices) that
	// have non-zero gradient: set by sparse layers (EmbeddingBag) so that
	// ZeroGrads, ClipGradNorm and the optimisers touch only those rows.
	rows *rowSet
}

// NewParam returns a zero Param of the given shape with a gradient buffer.
func NewParam(name string, shape ...int) *Param {
	n := shapeSize(shape)
	return &Param{Name: name, Shape: slices.Clone(shape), W: make([]float32, n), G: make([]float32, n)}
}

// newBuffer returns a non-trainable Param (no gradient).
func newBuffer(name string, shape ...int) *Param {
	n := shapeSize(shape)
	return &Param{Name: name, Shape: slices.Clone(shape), W: make([]float32, n)}
}

// Size returns len(p.W).
func (p *Param) Size() int { return len(p.W) }

// Trainable reports whether p has a gradient buffer.
func (p *Param) Trainable() bool { return p.G != nil }

// Sparse reports whether p records its touched rows (see EmbeddingBag).
func (p *Param) Sparse() bool { return p.rows != nil }

// TouchedRows returns the rows with a non-zero gradient of a sparse
// parameter since the last ZeroGrads, in first-touch order, or nil for a
// dense parameter. The slice is owned by p.
func (p *Param) TouchedRows() []int32 {
	if p.rows == nil {
		return nil
	}
	return p.rows.list
}

// rowSize is the length of one row of a sparse parameter.
func (p *Param) rowSize() int { return shapeSize(p.Shape[1:]) }

// ZeroGrads sets the gradient of every parameter to zero (for sparse
// parameters only the touched rows, which are then forgotten).
func ZeroGrads(params []*Param) {
	for _, p := range params {
		if p.G == nil {
			continue
		}
		if p.rows != nil {
			d := p.rowSize()
			for _, r := range p.rows.list {
				clear(p.G[int(r)*d : int(r+1)*d])
			}
			p.rows.reset()
			continue
		}
		clear(p.G)
	}
}

// Prefix returns params with prefix prepended to every Name (in place) and
// returns the same slice, for building hierarchical names such as
// "enc.conv1.w".
func Prefix(prefix string, params []*Param) []*Param {
	for _, p := range params {
		p.Name = prefix + p.Name
	}
	return params
}

// rowSet is a set of row indices with O(1) insert and ordered iteration.
type rowSet struct {
	mark []bool
	list []int32
}

func newRowSet(n int) *rowSet { return &rowSet{mark: make([]bool, n)} }

func (s *rowSet) add(r int32) {
	if !s.mark[r] {
		s.mark[r] = true
		s.list = append(s.list, r)
	}
}

func (s *rowSet) reset() {
	for _, r := range s.list {
		s.mark[r] = false
	}
	s.list = s.list[:0]
}
