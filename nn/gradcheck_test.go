package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// gradStep is the finite-difference step; inputs are O(1) and kept at
// least 2·gradStep away from kinks (ReLU at 0, ties in MaxPool).
const gradStep = 1e-2

// gradTol bounds max|numeric − analytic| / max(max|analytic|, 1e-2) per
// gradient (the input's and each parameter's). The numeric gradient is
// the Richardson extrapolation (4·D(h/2) − D(h))/3 of central differences
// D, computed through float32 layers with float64 sums.
const gradTol = 1e-2

// randTensor returns a tensor of N(0,1) values.
func randTensor(rng *rand.Rand, shape ...int) *Tensor {
	t := NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}

// awayFromZero returns a tensor of values ±U(0.1, 1).
func awayFromZero(rng *rand.Rand, shape ...int) *Tensor {
	t := NewTensor(shape...)
	for i := range t.Data {
		v := 0.1 + 0.9*rng.Float32()
		if rng.IntN(2) == 0 {
			v = -v
		}
		t.Data[i] = v
	}
	return t
}

// projLoss is L = Σ y·r in float64.
func projLoss(y, r *Tensor) float64 {
	var s float64
	for i, v := range y.Data {
		s += float64(v) * float64(r.Data[i])
	}
	return s
}

// compareGrad reports the worst error between num and ana relative to the
// largest |ana| (and to floor, e.g. the largest gradient of the same
// layer, so that an exactly zero gradient is judged against the layer's
// scale rather than its own).
func compareGrad(t *testing.T, what string, num, ana []float64, floor ...float64) {
	t.Helper()
	var scale, worst float64
	wi := -1
	for _, a := range ana {
		scale = max(scale, math.Abs(a))
	}
	scale = max(scale, 1e-2)
	for _, f := range floor {
		scale = max(scale, f)
	}
	for i := range num {
		if e := math.Abs(num[i]-ana[i]) / scale; e > worst || math.IsNaN(e) {
			worst, wi = e, i
		}
	}
	if worst > gradTol || math.IsNaN(worst) {
		t.Errorf("%s: gradient mismatch at %d: numeric %.6g, analytic %.6g (relative error %.3g > %g)",
			what, wi, num[wi], ana[wi], worst, gradTol)
	}
}

func toF64(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// checkLayer compares the analytic gradients of L = Σ l(x)·r with central
// differences, for x and every parameter of l.
func checkLayer(t *testing.T, name string, l Layer, x *Tensor, train bool) {
	t.Helper()
	checkLayerStep(t, name, l, x, train, gradStep)
}

// checkLayerStep is checkLayer with finite-difference step h.
func checkLayerStep(t *testing.T, name string, l Layer, x *Tensor, train bool, h float32) {
	t.Helper()
	rng := rand.New(rand.NewPCG(99, 7))
	params := l.Params()
	ZeroGrads(params)
	y := l.Forward(x, train)
	r := randTensor(rng, y.Shape...)
	dx := toF64(l.Backward(r).Data)
	ana := make([][]float64, len(params))
	for i, p := range params {
		ana[i] = toF64(p.G)
	}
	loss := func() float64 { return projLoss(l.Forward(x, train), r) }
	numeric := func(w []float32) []float64 {
		g := make([]float64, len(w))
		for i := range w {
			old := w[i]
			diff := func(h float32) float64 {
				w[i] = old + h
				lp := loss()
				w[i] = old - h
				lm := loss()
				w[i] = old
				return (lp - lm) / float64((old+h)-(old-h))
			}
			// Richardson extrapolation cancels the h² error term.
			g[i] = (4*diff(h/2) - diff(h)) / 3
		}
		return g
	}
	var top float64
	for _, g := range append(ana, dx) {
		for _, v := range g {
			top = max(top, math.Abs(v))
		}
	}
	compareGrad(t, name+" dL/dx", numeric(x.Data), dx, 1e-2*top)
	for i, p := range params {
		compareGrad(t, name+" dL/d"+p.Name, numeric(p.W), ana[i], 1e-2*top)
	}
}

func TestGradLinear(t *testing.T) {
	rng := NewRand(1)
	l := NewLinear(rng, 7, 5)
	randomize(rng, l.B.W)
	checkLayer(t, "Linear", l, randTensor(rng, 4, 7), true)
	// rank-4 input is read as N rows
	l2 := NewLinear(rng, 12, 3)
	checkLayer(t, "Linear(rank 4)", l2, randTensor(rng, 2, 3, 2, 2), true)
}

func randomize(rng *rand.Rand, w []float32) {
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
}

func TestGradConv2D(t *testing.T) {
	cases := []struct{ c, o, k, s, p, h, w int }{
		{2, 3, 3, 1, 1, 5, 6},
		{2, 3, 3, 2, 1, 7, 5},
		{3, 2, 2, 2, 0, 6, 6},
		{1, 2, 5, 1, 2, 5, 4},
		{2, 2, 3, 3, 0, 8, 7},
		{3, 4, 1, 1, 0, 3, 4},
		{2, 2, 3, 2, 2, 4, 4},
		{1, 1, 4, 1, 3, 2, 3}, // kernel larger than the image
	}
	for _, tc := range cases {
		name := fmt.Sprintf("Conv2D(c%d o%d k%d s%d p%d %dx%d)", tc.c, tc.o, tc.k, tc.s, tc.p, tc.h, tc.w)
		rng := NewRand(2)
		l := NewConv2D(rng, tc.c, tc.o, tc.k, tc.s, tc.p)
		randomize(rng, l.B.W)
		x := randTensor(rng, 2, tc.c, tc.h, tc.w)
		y := l.Forward(x, true)
		ho, wo := l.OutSize(tc.h, tc.w)
		if !slices.Equal(y.Shape, []int{2, tc.o, ho, wo}) {
			t.Fatalf("%s: output shape %v", name, y.Shape)
		}
		checkConvDirect(t, name, l, x, y)
		checkLayer(t, name, l, x, true)
	}
}

// checkConvDirect compares Forward with the convolution formula.
func checkConvDirect(t *testing.T, name string, l *Conv2D, x, y *Tensor) {
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	ho, wo := y.Shape[2], y.Shape[3]
	for b := range n {
		for o := range l.OutC {
			for i := range ho {
				for j := range wo {
					s := float64(l.B.W[o])
					for c := range l.InC {
						for u := range l.K {
							for v := range l.K {
								r, q := i*l.Stride-l.Pad+u, j*l.Stride-l.Pad+v
								if r < 0 || r >= h || q < 0 || q >= w {
									continue
								}
								s += float64(l.W.W[((o*l.InC+c)*l.K+u)*l.K+v]) * float64(x.Data[((b*l.InC+c)*h+r)*w+q])
							}
						}
					}
					got := y.Data[((b*l.OutC+o)*ho+i)*wo+j]
					if math.Abs(float64(got)-s) > 1e-4*(1+math.Abs(s)) {
						t.Fatalf("%s: y[%d,%d,%d,%d] = %v, want %v", name, b, o, i, j, got, s)
					}
				}
			}
		}
	}
}

func TestGradMaxPool2D(t *testing.T) {
	rng := NewRand(3)
	for _, k := range []int{2, 3} {
		// distinct values 0.05 apart: no ties within 2·gradStep
		x := NewTensor(2, 3, 7, 6)
		perm := rng.Perm(x.Size())
		for i, p := range perm {
			x.Data[i] = float32(p)*0.05 - 5
		}
		checkLayer(t, fmt.Sprintf("MaxPool2D(%d)", k), NewMaxPool2D(k), x, true)
	}
}

func TestGradGlobalAvgPool(t *testing.T) {
	rng := NewRand(4)
	checkLayer(t, "GlobalAvgPool", NewGlobalAvgPool(), randTensor(rng, 3, 4, 3, 5), true)
}

func TestGradActivations(t *testing.T) {
	rng := NewRand(5)
	checkLayer(t, "ReLU", NewReLU(), awayFromZero(rng, 3, 4, 2, 2), true)
	checkLayer(t, "LeakyReLU", NewLeakyReLU(0.1), awayFromZero(rng, 3, 7), true)
	g := NewGradReverse(0.7)
	checkGradReverse(t, g, randTensor(rng, 4, 3))
	// Dropout at evaluation is the identity.
	checkLayer(t, "Dropout(eval)", NewDropout(0.5, 1), randTensor(rng, 4, 5), false)
}

// checkGradReverse: the forward is the identity, so the numeric gradient
// of Σ y·r is r, and Backward must return −λ·r.
func checkGradReverse(t *testing.T, g *GradReverse, x *Tensor) {
	y := g.Forward(x, true)
	if !slices.Equal(y.Data, x.Data) {
		t.Fatal("GradReverse.Forward is not the identity")
	}
	rng := NewRand(6)
	r := randTensor(rng, y.Shape...)
	num := make([]float64, len(r.Data))
	for i, v := range r.Data {
		num[i] = -float64(g.Lambda) * float64(v)
	}
	compareGrad(t, "GradReverse", num, toF64(g.Backward(r).Data))
	g.SetLambda(0)
	for _, v := range g.Backward(r).Data {
		if v != 0 {
			t.Fatal("GradReverse with λ=0 passes gradient")
		}
	}
}

func TestGradBatchNorm(t *testing.T) {
	rng := NewRand(7)
	for _, shape := range [][]int{{6, 4}, {3, 2, 3, 2}} {
		b := NewBatchNorm(shape[1])
		randomize(rng, b.Gamma.W)
		randomize(rng, b.Beta.W)
		x := randTensor(rng, shape...)
		checkLayer(t, fmt.Sprintf("BatchNorm%v train", shape), b, x, true)
		checkLayer(t, fmt.Sprintf("BatchNorm%v eval", shape), b, x, false)
	}
}

func TestBatchNormStats(t *testing.T) {
	rng := NewRand(8)
	b := NewBatchNorm(3)
	b.Momentum = 1 // running stats = last batch's
	x := randTensor(rng, 5, 3, 2, 2)
	for i := range x.Data {
		x.Data[i] = x.Data[i]*3 + 2
	}
	y := b.Forward(x, true).Clone()
	for c := range 3 {
		var s, ss float64
		for n := range 5 {
			for _, v := range y.Data[(n*3+c)*4 : (n*3+c+1)*4] {
				s += float64(v)
				ss += float64(v) * float64(v)
			}
		}
		if m, v := s/20, ss/20; math.Abs(m) > 1e-5 || math.Abs(v-1) > 1e-3 {
			t.Errorf("channel %d: normalised mean %v variance %v", c, m, v)
		}
	}
	// In evaluation with running statistics of that batch (unbiased var),
	// the output is close to the training output.
	ye := b.Forward(x, false)
	for i := range ye.Data {
		if math.Abs(float64(ye.Data[i]-y.Data[i])) > 0.1 {
			t.Fatalf("eval output %v far from train output %v", ye.Data[i], y.Data[i])
		}
	}
	if len(b.Buffers()) != 2 || b.Buffers()[0].Trainable() {
		t.Fatal("BatchNorm buffers")
	}
}

func TestGradLayerNorm(t *testing.T) {
	rng := NewRand(9)
	l := NewLayerNorm(6)
	randomize(rng, l.Gamma.W)
	randomize(rng, l.Beta.W)
	checkLayer(t, "LayerNorm", l, randTensor(rng, 2, 3, 6), true)
}

func TestGradL2Norm(t *testing.T) {
	rng := NewRand(10)
	l := NewL2Norm()
	checkLayer(t, "L2Norm", l, randTensor(rng, 4, 6), true)
	// A zero row stays finite.
	x := NewTensor(2, 3)
	x.Data[0] = 1
	y := l.Forward(x, true)
	dx := l.Backward(randTensor(rng, 2, 3))
	for _, v := range append(slices.Clone(y.Data), dx.Data...) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("L2Norm of a zero row: %v %v", y.Data, dx.Data)
		}
	}
}

func TestGradSequential(t *testing.T) {
	// Only smooth layers here: a finite step through BatchNorm moves every
	// output of a channel, and with ~100 of them one is likely to cross the
	// kink of a following ReLU or a tie in a MaxPool. Those layers are
	// checked alone (inputs away from kinks) and their chaining is checked
	// exactly by TestSequentialChains.
	rng := NewRand(11)
	net := NewSequential(
		NewConv2D(rng, 2, 3, 3, 1, 1), NewBatchNorm(3),
		NewConv2D(rng, 3, 4, 3, 2, 1), NewGlobalAvgPool(),
		NewLinear(rng, 4, 5), NewLayerNorm(5), NewLinear(rng, 5, 3), NewL2Norm(),
	)
	if got := net.Params()[0].Name; got != "0.w" {
		t.Fatalf("first parameter is named %q", got)
	}
	checkLayer(t, "Sequential", net, randTensor(rng, 3, 2, 6, 6), true)
	flat := NewSequential(NewFlatten(), NewLinear(rng, 2*3*3, 2))
	checkLayer(t, "Flatten+Linear", flat, randTensor(rng, 2, 2, 3, 3), true)
}

// TestSequentialChains checks that Sequential's Forward and Backward are
// exactly the layers' applied in order and in reverse.
func TestSequentialChains(t *testing.T) {
	build := func() []Layer {
		rng := NewRand(14)
		return []Layer{
			NewConv2D(rng, 2, 3, 3, 1, 1), NewBatchNorm(3), NewReLU(), NewMaxPool2D(2),
			NewConv2D(rng, 3, 4, 3, 1, 1), NewLeakyReLU(0.1), NewFlatten(),
			NewDropout(0.3, 5), NewLinear(rng, 36, 5), NewGradReverse(0.5), NewL2Norm(),
		}
	}
	rng := NewRand(15)
	x := randTensor(rng, 3, 2, 6, 6)
	dy := randTensor(rng, 3, 5)
	net := NewSequential(build()...)
	y1 := net.Forward(x, true).Clone()
	dx1 := net.Backward(dy).Clone()
	layers := build()
	h := x
	for _, l := range layers {
		h = l.Forward(h, true)
	}
	g := dy
	for i := len(layers) - 1; i >= 0; i-- {
		g = layers[i].Backward(g)
	}
	if !slices.Equal(y1.Data, h.Data) || !slices.Equal(dx1.Data, g.Data) {
		t.Fatal("Sequential differs from the layers applied by hand")
	}
	ps := net.Params()
	var manual []*Param
	for _, l := range layers {
		manual = append(manual, l.Params()...)
	}
	for i := range ps {
		if !slices.Equal(ps[i].G, manual[i].G) {
			t.Fatalf("gradient of %s differs", ps[i].Name)
		}
	}
	names := []string{}
	for _, p := range Tensors(net) {
		names = append(names, p.Name)
	}
	want := []string{"0.w", "0.b", "1.gamma", "1.beta", "4.w", "4.b", "8.w", "8.b", "1.running_mean", "1.running_var"}
	if !slices.Equal(names, want) {
		t.Fatalf("Tensors names %v, want %v", names, want)
	}
}

func TestGradEmbeddingBag(t *testing.T) {
	rng := NewRand(12)
	e := NewEmbeddingBag(rng, 10, 4)
	ids := []int32{1, 3, 3, 7, 0, 9, 2}
	offsets := []int32{0, 3, 3, 5} // bags: {1,3,3} {} {7,0} {9,2}
	y := e.ForwardBag(ids, offsets)
	if !slices.Equal(y.Shape, []int{4, 4}) {
		t.Fatalf("shape %v", y.Shape)
	}
	for j := range 4 {
		want := (e.W.W[4+j] + 2*e.W.W[12+j]) / 3
		if math.Abs(float64(y.Data[j]-want)) > 1e-6 || y.Data[4+j] != 0 {
			t.Fatalf("bag means wrong: %v", y.Data)
		}
	}
	r := randTensor(rng, 4, 4)
	ZeroGrads(e.Params())
	e.Backward(r)
	touched := slices.Clone(e.W.TouchedRows())
	slices.Sort(touched)
	if !slices.Equal(touched, []int32{0, 1, 2, 3, 7, 9}) {
		t.Fatalf("touched rows %v", touched)
	}
	ana := toF64(e.W.G)
	num := make([]float64, len(e.W.W))
	for i := range e.W.W {
		old := e.W.W[i]
		e.W.W[i] = old + gradStep
		lp := projLoss(e.ForwardBag(ids, offsets), r)
		e.W.W[i] = old - gradStep
		lm := projLoss(e.ForwardBag(ids, offsets), r)
		e.W.W[i] = old
		num[i] = (lp - lm) / (2 * gradStep)
	}
	compareGrad(t, "EmbeddingBag dL/dW", num, ana)
	// ForwardBags gives the same result.
	y2 := e.ForwardBags([][]int32{{1, 3, 3}, {}, {7, 0}, {9, 2}})
	if !slices.Equal(y2.Data, e.ForwardBag(ids, offsets).Data) {
		t.Fatal("ForwardBags differs from ForwardBag")
	}
	ZeroGrads(e.Params())
	if len(e.W.TouchedRows()) != 0 || slices.ContainsFunc(e.W.G, func(v float32) bool { return v != 0 }) {
		t.Fatal("ZeroGrads left sparse gradient")
	}
}

func TestGradBCEWithLogits(t *testing.T) {
	rng := NewRand(13)
	z := randTensor(rng, 4, 3)
	z.Data[0], z.Data[1] = 40, -40 // saturated logits stay finite
	y := NewTensor(4, 3)
	for i := range y.Data {
		y.Data[i] = rng.Float32()
	}
	_, d := BCEWithLogits(z, y)
	num := make([]float64, len(z.Data))
	for i := range z.Data {
		old := z.Data[i]
		z.Data[i] = old + gradStep
		lp, _ := BCEWithLogits(z, y)
		z.Data[i] = old - gradStep
		lm, _ := BCEWithLogits(z, y)
		z.Data[i] = old
		num[i] = (float64(lp) - float64(lm)) / (2 * gradStep)
	}
	compareGrad(t, "BCEWithLogits", num, toF64(d.Data))
	// Known value: z = 0, y = 1 gives log 2.
	l, _ := BCEWithLogits(FromData([]float32{0}, 1, 1), FromData([]float32{1}, 1, 1))
	if math.Abs(float64(l)-math.Ln2) > 1e-6 {
		t.Fatalf("BCE(0, 1) = %v, want ln 2", l)
	}
	l, _ = BCEWithLogits(FromData([]float32{1000, -1000}, 1, 2), FromData([]float32{1, 0}, 1, 2))
	if l != 0 {
		t.Fatalf("BCE of confident correct logits = %v, want 0", l)
	}
}

// TestTwin: a layer and its twin applied to two batches give the same
// gradients as one pass over the concatenated batch.
func TestTwin(t *testing.T) {
	build := func() *Sequential {
		rng := NewRand(16)
		return NewSequential(NewConv2D(rng, 2, 3, 3, 1, 1), NewReLU(), NewMaxPool2D(2),
			NewFlatten(), NewLinear(rng, 27, 4), NewLayerNorm(4), NewL2Norm())
	}
	rng := NewRand(17)
	x := randTensor(rng, 4, 2, 6, 6)
	dy := randTensor(rng, 4, 4)
	whole := build()
	whole.Forward(x, true)
	whole.Backward(dy)

	net := build()
	twin := Twin(net)
	half := func(t *Tensor, i int) *Tensor {
		n := len(t.Data) / 2
		s := slices.Clone(t.Shape)
		s[0] /= 2
		return FromData(slices.Clone(t.Data[i*n:(i+1)*n]), s...)
	}
	net.Forward(half(x, 0), true)
	twin.Forward(half(x, 1), true)
	net.Backward(half(dy, 0))
	twin.Backward(half(dy, 1))
	for i, p := range net.Params() {
		q := whole.Params()[i]
		if twin.Params()[i] != p {
			t.Fatalf("twin does not share %s", p.Name)
		}
		for j := range p.G {
			if math.Abs(float64(p.G[j]-q.G[j])) > 1e-5*(1+math.Abs(float64(q.G[j]))) {
				t.Fatalf("%s[%d]: twin gradient %v, whole batch %v", p.Name, j, p.G[j], q.G[j])
			}
		}
	}
}

// TestConv2DChunks runs a batch large enough to be split into several
// chunks and gradient groups, and checks it against the same layer run one
// image at a time, for every worker count, and with NoInputGrad.
func TestConv2DChunks(t *testing.T) {
	rng := NewRand(5)
	l := NewConv2D(rng, 3, 8, 3, 1, 1)
	randomize(rng, l.B.W)
	const n = 40 // 16×16 inputs: 9 images per chunk, 5 chunks
	x := randTensor(rng, n, 3, 16, 16)
	dy := randTensor(rng, n, 8, 16, 16)
	y := l.Forward(x, true).Clone()
	if c := (n + l.g - 1) / l.g; c < 3 {
		t.Fatalf("only %d chunks: the test needs several", c)
	}
	checkConvDirect(t, "Conv2D chunks", l, x, y)
	ZeroGrads(l.Params())
	dx := l.Backward(dy).Clone()
	gw, gb := slices.Clone(l.W.G), slices.Clone(l.B.G)

	// one image at a time
	wantW, wantB := make([]float64, len(gw)), make([]float64, len(gb))
	sz, szy := 3*16*16, 8*16*16
	for i := range n {
		ZeroGrads(l.Params())
		l.Forward(FromData(x.Data[i*sz:(i+1)*sz], 1, 3, 16, 16), true)
		d := l.Backward(FromData(dy.Data[i*szy:(i+1)*szy], 1, 8, 16, 16))
		for j, v := range d.Data {
			if math.Abs(float64(v-dx.Data[i*sz+j])) > 1e-5 {
				t.Fatalf("image %d: dx[%d] = %v batched, %v alone", i, j, dx.Data[i*sz+j], v)
			}
		}
		for j, v := range l.W.G {
			wantW[j] += float64(v)
		}
		for j, v := range l.B.G {
			wantB[j] += float64(v)
		}
	}
	for j := range gw {
		if math.Abs(float64(gw[j])-wantW[j]) > 1e-3*(1+math.Abs(wantW[j])) {
			t.Fatalf("dW[%d] = %v batched, %v summed per image", j, gw[j], wantW[j])
		}
	}
	for j := range gb {
		if math.Abs(float64(gb[j])-wantB[j]) > 1e-3*(1+math.Abs(wantB[j])) {
			t.Fatalf("db[%d] = %v batched, %v summed per image", j, gb[j], wantB[j])
		}
	}

	// bit for bit the same whatever the number of workers; no dx asked
	for _, procs := range []int{1, 2, 3} {
		old := runtime.GOMAXPROCS(procs)
		l.NoInputGrad = procs == 3
		ZeroGrads(l.Params())
		y2 := l.Forward(x, true)
		if !slices.Equal(y2.Data, y.Data) {
			t.Errorf("GOMAXPROCS %d: a different output", procs)
		}
		d := l.Backward(dy)
		runtime.GOMAXPROCS(old)
		if !slices.Equal(l.W.G, gw) || !slices.Equal(l.B.G, gb) {
			t.Errorf("GOMAXPROCS %d: different weight gradients", procs)
		}
		if l.NoInputGrad != (d == nil) {
			t.Errorf("NoInputGrad %v: dx %v", l.NoInputGrad, d)
		}
	}
}
