package nn

import (
	"bytes"
	"slices"
	"testing"
)

type bytesBuffer = bytes.Buffer

func TestTensor(t *testing.T) {
	x := NewTensor(2, 3, 4)
	if x.Size() != 24 || x.Rows() != 2 || x.Cols() != 12 {
		t.Fatal("sizes")
	}
	x.Reshape(6, -1)
	if !slices.Equal(x.Shape, []int{6, 4}) {
		t.Fatalf("Reshape: %v", x.Shape)
	}
	// Ensure reuses capacity and reallocates only when it must.
	y := Ensure(nil, 4, 5)
	p := &y.Data[0]
	y = Ensure(y, 2, 3)
	if &y.Data[0] != p || len(y.Data) != 6 || !slices.Equal(y.Shape, []int{2, 3}) {
		t.Fatal("Ensure did not reuse the buffer")
	}
	y = Ensure(y, 5, 5)
	if len(y.Data) != 25 {
		t.Fatal("Ensure did not grow")
	}
	if n := testing.AllocsPerRun(100, func() { y = Ensure(y, 3, 3) }); n != 0 {
		t.Fatalf("Ensure allocates %v times when big enough", n)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("bad Reshape did not panic")
			}
		}()
		x.Reshape(5, 5)
	}()
}

func TestDeterministicInit(t *testing.T) {
	build := func(seed uint64) []*Param {
		rng := NewRand(seed)
		return NewSequential(NewConv2D(rng, 3, 8, 3, 1, 1), NewLinear(rng, 8, 4), embedLayer{NewEmbeddingBag(rng, 50, 4)}).Params()
	}
	a, b, c := build(42), build(42), build(43)
	for i := range a {
		if !slices.Equal(a[i].W, b[i].W) {
			t.Fatalf("same seed, different %s", a[i].Name)
		}
	}
	if slices.Equal(a[0].W, c[0].W) {
		t.Fatal("different seeds, same weights")
	}
}

// embedLayer wraps an EmbeddingBag's table as a Layer (for the
// determinism test only).
type embedLayer struct{ e *EmbeddingBag }

func (l embedLayer) Forward(x *Tensor, train bool) *Tensor { return x }
func (l embedLayer) Backward(dy *Tensor) *Tensor           { return dy }
func (l embedLayer) Params() []*Param                      { return l.e.Params() }

func TestDropout(t *testing.T) {
	d := NewDropout(0.25, 7)
	x := NewTensor(100, 100)
	for i := range x.Data {
		x.Data[i] = 1
	}
	y := d.Forward(x, true)
	var kept int
	for _, v := range y.Data {
		switch v {
		case 0:
		case 1 / 0.75:
			kept++
		default:
			t.Fatalf("dropout output %v", v)
		}
	}
	if frac := float64(kept) / 1e4; frac < 0.73 || frac > 0.77 {
		t.Fatalf("kept fraction %v, want about 0.75", frac)
	}
	// The gradient uses the same mask.
	dx := d.Backward(x)
	if !slices.Equal(dx.Data, y.Data) {
		t.Fatal("Dropout backward mask differs from forward")
	}
	// Same seed, same masks; evaluation is the identity.
	d2 := NewDropout(0.25, 7)
	if !slices.Equal(d2.Forward(x, true).Data, y.Data) {
		t.Fatal("Dropout not reproducible")
	}
	if d2.Forward(x, false) != x {
		t.Fatal("Dropout at evaluation is not the identity")
	}
}
