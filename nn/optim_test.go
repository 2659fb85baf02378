package nn

import (
	"math"
	"slices"
	"testing"
)

// quadratic sets G = ∇ ½‖w − c‖² = w − c and returns ½‖w − c‖².
func quadratic(p *Param, c []float32) float64 {
	var l float64
	for i, w := range p.W {
		d := w - c[i]
		p.G[i] = d
		l += 0.5 * float64(d) * float64(d)
	}
	return l
}

func TestAdamQuadratic(t *testing.T) {
	for _, opt := range []Optimizer{NewAdam(0.1), NewAdamW(0.1, 0), NewSGD(0.1, 0.9), NewSGD(0.5, 0)} {
		p := NewParam("w", 5)
		c := []float32{1, -2, 3, 0.5, -0.25}
		first := quadratic(p, c)
		var last float64
		for range 300 {
			last = quadratic(p, c)
			opt.Step([]*Param{p})
		}
		if last > 1e-3*first {
			t.Errorf("%T: loss %g → %g after 300 steps", opt, first, last)
		}
	}
}

func TestAdamFirstStep(t *testing.T) {
	// With bias correction the first Adam step moves each weight by LR·sign(g).
	p := NewParam("w", 3)
	copy(p.G, []float32{0.5, -2, 1e-3})
	a := NewAdam(0.01)
	a.Step([]*Param{p})
	for i, want := range []float32{-0.01, 0.01, -0.01} {
		if math.Abs(float64(p.W[i]-want)) > 1e-5 {
			t.Fatalf("w[%d] = %v, want %v", i, p.W[i], want)
		}
	}
}

func TestAdamWDecay(t *testing.T) {
	// Zero gradient: Adam's update is 0, so AdamW only decays:
	// w ← w·(1 − η·λ) per step.
	p := NewParam("w", 2)
	copy(p.W, []float32{1, -2})
	a := NewAdamW(0.1, 0.5)
	for range 10 {
		a.Step([]*Param{p})
	}
	f := math.Pow(1-0.1*0.5, 10)
	if math.Abs(float64(p.W[0])-f) > 1e-5 || math.Abs(float64(p.W[1])+2*f) > 1e-5 {
		t.Fatalf("AdamW decay: w = %v, want %v", p.W, []float64{f, -2 * f})
	}
	// Coupled decay (Adam with L2) behaves differently: the decay passes
	// through the normalisation, so each step moves by about η.
	q := NewParam("w", 1)
	q.W[0] = 1
	b := NewAdam(0.1)
	b.WeightDecay = 0.5
	b.Step([]*Param{q})
	if math.Abs(float64(q.W[0])-0.9) > 1e-4 {
		t.Fatalf("Adam L2 first step: w = %v, want 0.9", q.W[0])
	}
}

func TestClipGradNorm(t *testing.T) {
	a, b := NewParam("a", 2), NewParam("b", 1)
	copy(a.G, []float32{3, 0})
	b.G[0] = 4 // ‖g‖ = 5
	buf := newBuffer("buf", 3)
	ps := []*Param{a, b, buf}
	if n := ClipGradNorm(ps, 10); n != 5 || a.G[0] != 3 {
		t.Fatalf("no-op clip: norm %v, g %v", n, a.G)
	}
	if n := ClipGradNorm(ps, 1); n != 5 {
		t.Fatalf("norm %v, want 5", n)
	}
	if n := ClipGradNorm(ps, 0); math.Abs(float64(n)-1) > 1e-5 {
		t.Fatalf("norm after clip %v, want 1", n)
	}
	if math.Abs(float64(a.G[0])-0.6) > 1e-5 || math.Abs(float64(b.G[0])-0.8) > 1e-5 {
		t.Fatalf("clipped gradients %v %v", a.G, b.G)
	}
	a.G[1] = float32(math.NaN())
	if n := ClipGradNorm(ps, 1); !math.IsNaN(float64(n)) || a.G[0] != 0.6000000238418579 && math.Abs(float64(a.G[0])-0.6) > 1e-5 {
		t.Fatalf("NaN gradient: norm %v, g %v", n, a.G)
	}
}

func TestSchedules(t *testing.T) {
	s := WarmupCosine(1, 10, 110, 0.1)
	for _, c := range []struct {
		t    int
		want float32
	}{{0, 0.1}, {4, 0.5}, {9, 1}, {10, 1}, {60, 0.55}, {110, 0.1}, {500, 0.1}} {
		if got := s(c.t); math.Abs(float64(got-c.want)) > 1e-5 {
			t.Errorf("WarmupCosine(%d) = %v, want %v", c.t, got, c.want)
		}
	}
	if ConstantLR(0.3)(1234) != 0.3 {
		t.Error("ConstantLR")
	}
	// Schedule drives the optimiser's learning rate.
	p := NewParam("w", 1)
	p.G[0] = 1
	sgd := NewSGD(99, 0)
	sgd.Schedule = func(step int) float32 { return float32(step + 1) }
	sgd.Step([]*Param{p})
	sgd.Step([]*Param{p})
	if p.W[0] != -3 {
		t.Fatalf("scheduled SGD: w = %v, want -3", p.W[0])
	}
}

// TestOptimizerResume checks that State/SetState (through a model file)
// resumes training bit for bit.
func TestOptimizerResume(t *testing.T) {
	for _, mk := range []func() Optimizer{
		func() Optimizer { return NewAdamW(0.05, 0.01) },
		func() Optimizer { return NewSGD(0.05, 0.9) },
	} {
		run := func(opt Optimizer, p *Param, steps int) {
			for range steps {
				quadratic(p, []float32{1, 2, 3})
				opt.Step([]*Param{p})
			}
		}
		p1 := NewParam("layer.w", 3)
		o1 := mk()
		run(o1, p1, 20)

		p2 := NewParam("layer.w", 3)
		o2 := mk()
		run(o2, p2, 10)
		var buf bytesBuffer
		if err := Save(&buf, nil, o2.State()); err != nil {
			t.Fatal(err)
		}
		_, st, err := Load(&buf)
		if err != nil {
			t.Fatal(err)
		}
		o3 := mk()
		if err := o3.SetState(st); err != nil {
			t.Fatal(err)
		}
		p3 := &Param{Name: "layer.w", Shape: []int{3}, W: slices.Clone(p2.W), G: make([]float32, 3)}
		run(o3, p3, 10)
		if !slices.Equal(p1.W, p3.W) {
			t.Fatalf("%T: resumed %v, uninterrupted %v", o1, p3.W, p1.W)
		}
		if err := o3.SetState([]*Param{newBuffer("x.m", 3)}); err == nil {
			t.Fatalf("%T: SetState accepted foreign state", o3)
		}
	}
}

func TestSparseAdam(t *testing.T) {
	rng := NewRand(1)
	e := NewEmbeddingBag(rng, 100, 3)
	before := slices.Clone(e.W.W)
	opt := NewAdamW(0.1, 0.1)
	ZeroGrads(e.Params())
	y := e.ForwardBags([][]int32{{5, 7}, {7}})
	for i := range y.Data {
		y.Data[i] = 1
	}
	e.Backward(y)
	opt.Step(e.Params())
	for r := range 100 {
		changed := !slices.Equal(before[r*3:r*3+3], e.W.W[r*3:r*3+3])
		if changed != (r == 5 || r == 7) {
			t.Fatalf("row %d changed=%v", r, changed)
		}
	}
	if n := ClipGradNorm(e.Params(), 0); n == 0 {
		t.Fatal("sparse gradient norm is 0")
	}
}

func TestDuplicateNamesPanic(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for two parameters with one name")
		}
	}()
	NewAdam(0.1).Step([]*Param{NewParam("w", 1), NewParam("w", 1)})
}
