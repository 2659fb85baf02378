package tsne

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestCalibrateHitsTargetEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, scale := range []float64{1e-6, 1, 1e3, 1e6} {
		for _, perp := range []float64{2, 5, 30} {
			d := make([]float64, 100)
			for j := range d {
				d[j] = scale * rng.ExpFloat64()
			}
			p := make([]float64, len(d))
			_, h := calibrate(d, p, 7, math.Log(perp))
			if math.Abs(h-math.Log(perp)) > entropyTol {
				t.Errorf("scale %g perplexity %g: entropy %v, want %v", scale, perp, h, math.Log(perp))
			}
			// recompute the entropy from p itself
			var hp, sum float64
			for j, v := range p {
				if j == 7 && v != 0 {
					t.Fatalf("p[skip] = %v", v)
				}
				sum += v
				if v > 0 {
					hp -= v * math.Log(v)
				}
			}
			if math.Abs(sum-1) > 1e-12 || math.Abs(hp-math.Log(perp)) > 2*entropyTol {
				t.Errorf("scale %g perplexity %g: Σp = %v, H(p) = %v, want 1, %v", scale, perp, sum, hp, math.Log(perp))
			}
		}
	}
}

func TestConditionalKNNEntropy(t *testing.T) {
	x, _ := clustered(300, 10, 4, 0.5, 3)
	const k, perp = 60, 15.0
	_, dist := knn(x, 300, 10, k, 2)
	cond, h := conditionalKNN(dist, 300, k, perp, 2)
	for i := range 300 {
		if math.Abs(h[i]-math.Log(perp)) > entropyTol {
			t.Fatalf("row %d: entropy %v, want %v", i, h[i], math.Log(perp))
		}
		if s := sumOrdered(cond[i*k : (i+1)*k]); math.Abs(s-1) > 1e-12 {
			t.Fatalf("row %d sums to %v", i, s)
		}
	}
}

func TestKNNMatchesBruteForce(t *testing.T) {
	const n, d, k = 257, 13, 9
	x, _ := clustered(n, d, 5, 1, 4)
	idx, dist := knn(x, n, d, k, 3)
	for i := range n {
		var all []cand
		for j := range n {
			if j != i {
				all = append(all, cand{sqdist64(x[i*d:(i+1)*d], x[j*d:(j+1)*d]), int32(j)})
			}
		}
		slices.SortFunc(all, func(a, b cand) int {
			if a.less(b) {
				return -1
			}
			return 1
		})
		for t2 := range k {
			if idx[i*k+t2] != all[t2].j || dist[i*k+t2] != all[t2].d {
				t.Fatalf("point %d neighbour %d: got %d (%v), want %d (%v)", i, t2, idx[i*k+t2], dist[i*k+t2], all[t2].j, all[t2].d)
			}
		}
	}
}

func TestSymmetricP(t *testing.T) {
	x, _ := clustered(200, 8, 3, 1, 5)
	p := affinitiesKNN(x, 200, 8, 31, 10, 2)
	dense := p.dense()
	var s float64
	for i := range 200 {
		for j := range 200 {
			v := dense[i*200+j]
			if v < 0 || v != dense[j*200+i] {
				t.Fatalf("P[%d,%d] = %v, P[%d,%d] = %v", i, j, v, j, i, dense[j*200+i])
			}
			s += v
		}
		if dense[i*200+i] != 0 {
			t.Fatalf("P[%d,%d] = %v", i, i, dense[i*200+i])
		}
	}
	if math.Abs(s-1) > 1e-12 {
		t.Fatalf("ΣP = %v", s)
	}
	pd := affinitiesDense(x, 200, 8, 10, 2)
	s = sumOrdered(pd)
	if math.Abs(s-1) > 1e-12 {
		t.Fatalf("dense ΣP = %v", s)
	}
}

// TestExactGradientNumerical checks the analytic gradient of the exact
// objective against central differences of its KL divergence.
func TestExactGradientNumerical(t *testing.T) {
	for _, dims := range []int{2, 3} {
		const n = 25
		x, _ := clustered(n, 6, 3, 1, 6)
		obj := newExact(affinitiesDense(x, n, 6, 5, 1), n, dims, 1)
		y := randomInit(n, dims, 7)
		for i := range y {
			y[i] *= 1e4 // spread out: coordinates of order 1
		}
		g := make([]float64, len(y))
		obj.grad(y, g, 1, true)
		scratch := make([]float64, len(y))
		const h = 1e-6
		for c := range y {
			old := y[c]
			y[c] = old + h
			fp := obj.grad(y, scratch, 1, true)
			y[c] = old - h
			fm := obj.grad(y, scratch, 1, true)
			y[c] = old
			num := (fp - fm) / (2 * h)
			if math.Abs(num-g[c]) > 1e-6*(1+math.Abs(num)) {
				t.Errorf("dims %d coordinate %d: analytic %v, numeric %v", dims, c, g[c], num)
			}
		}
	}
}

// TestBarnesHutThetaZeroMatchesExact: with θ = 0 every cell is opened,
// so Barnes–Hut computes the exact gradient over the same sparse P.
func TestBarnesHutThetaZeroMatchesExact(t *testing.T) {
	const n = 400
	x, _ := clustered(n, 10, 5, 0.7, 8)
	p := affinitiesKNN(x, n, 10, 40, 12, 2)
	ex := newExact(p.dense(), n, 2, 2)
	y := randomInit(n, 2, 9)
	for i := range y {
		y[i] *= 3e4
	}
	y[2*5], y[2*5+1] = y[2*6], y[2*6+1] // a duplicate point
	for _, exag := range []float64{1, 12} {
		ge := make([]float64, 2*n)
		klE := ex.grad(y, ge, exag, true)
		bh := newBH(p, 0, 2)
		gb := make([]float64, 2*n)
		klB := bh.grad(y, gb, exag, true)
		if math.Abs(klE-klB) > 1e-10*math.Abs(klE) {
			t.Errorf("exaggeration %v: KL exact %v, Barnes–Hut θ=0 %v", exag, klE, klB)
		}
		for c := range ge {
			if math.Abs(ge[c]-gb[c]) > 1e-9*(math.Abs(ge[c])+1e-6) {
				t.Fatalf("exaggeration %v: gradient[%d] exact %v, Barnes–Hut θ=0 %v", exag, c, ge[c], gb[c])
			}
		}
		if kl := exactKL(p, y, 2, 2); math.Abs(kl-klE) > 1e-10*math.Abs(klE) {
			t.Errorf("exactKL %v, objective %v", kl, klE)
		}
		// θ = 0.5 is an approximation: close, not equal.
		bh5 := newBH(p, 0.5, 2)
		g5 := make([]float64, 2*n)
		bh5.grad(y, g5, exag, false)
		var num, den float64
		for c := range ge {
			num += (g5[c] - ge[c]) * (g5[c] - ge[c])
			den += ge[c] * ge[c]
		}
		if rel := math.Sqrt(num / den); rel > 0.05 {
			t.Errorf("exaggeration %v: θ = 0.5 gradient relative error %.3g", exag, rel)
		}
	}
}

func TestKLDecreases(t *testing.T) {
	x, _ := clustered(500, 20, 6, 0.8, 10)
	for _, m := range []Method{Exact, BarnesHut} {
		o := quick(400)
		o.Method = m
		o.CheckEvery = 25
		r, err := Embed(x, 500, 20, o)
		if err != nil {
			t.Fatal(err)
		}
		var late []Check
		for _, c := range r.History {
			if c.Exaggeration == 1 {
				late = append(late, c)
			}
		}
		if len(late) < 5 {
			t.Fatalf("%v: %d checks after exaggeration", m, len(late))
		}
		for i := 1; i < len(late); i++ {
			if late[i].KL > late[i-1].KL+1e-3 {
				t.Errorf("%v: KL rose from %v (iter %d) to %v (iter %d)", m, late[i-1].KL, late[i-1].Iter, late[i].KL, late[i].Iter)
			}
		}
		first, last := late[0].KL, late[len(late)-1].KL
		if !(last < first) {
			t.Errorf("%v: KL %v → %v did not decrease", m, first, last)
		}
		if math.Abs(r.KL-last) > 0.05*last {
			t.Errorf("%v: final KL %v far from last check %v", m, r.KL, last)
		}
		rec, err := NeighbourRecall(x, 20, r.Y, 2, 10)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: KL %.4f after %d iterations, 10-NN recall %.3f", m, r.KL, r.Iters, rec)
	}
}

func TestDeterministic(t *testing.T) {
	x, _ := clustered(600, 16, 5, 1, 11)
	for _, m := range []Method{Exact, BarnesHut} {
		for _, init := range []Init{PCA, Random} {
			var ref []float64
			for _, w := range []int{1, 2, 5} {
				o := quick(120)
				o.Method, o.Init, o.Workers, o.Seed = m, init, w, 42
				r, err := Embed(x, 600, 16, o)
				if err != nil {
					t.Fatal(err)
				}
				if ref == nil {
					ref = r.Y
					continue
				}
				if !slices.Equal(ref, r.Y) {
					t.Fatalf("%v %v: %d workers give a different embedding from 1 worker", m, init, w)
				}
			}
		}
	}
	// A different seed changes a random start.
	o := quick(50)
	o.Init, o.Method = Random, BarnesHut
	a, _ := Embed(x, 600, 16, o)
	o.Seed++
	b, _ := Embed(x, 600, 16, o)
	if slices.Equal(a.Y, b.Y) {
		t.Error("seeds 1 and 2 give the same embedding")
	}
}

func TestSeparatesClusters(t *testing.T) {
	const n, d = 600, 30
	x, lab := clustered(n, d, 4, 0.3, 12)
	o := quick(500)
	o.Method = BarnesHut
	r, err := Embed(x, n, d, o)
	if err != nil {
		t.Fatal(err)
	}
	// every point's nearest embedded neighbour is in its own cluster
	bad := 0
	for i := range n {
		nb := nearest(r.Y, 2, i, 1, nil)
		if lab[nb[0].j] != lab[i] {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d points have a nearest neighbour from another cluster", bad, n)
	}
	tw, err := Trustworthiness(x, d, r.Y, 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	if tw < 0.9 {
		t.Errorf("trustworthiness %v", tw)
	}
}

func TestPCAInit(t *testing.T) {
	// Points on a line in 5-D (plus small noise): the first axis carries
	// the line, in order.
	const n, d = 50, 5
	x := make([]float32, n*d)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range n {
		for c := range d {
			x[i*d+c] = float32(float64(i)*float64(c+1) + 0.01*rng.NormFloat64())
		}
	}
	y, err := pcaInit(x, n, d, 2)
	if err != nil {
		t.Fatal(err)
	}
	var m, ss float64
	for i := range n {
		m += y[2*i]
	}
	m /= n
	for i := range n {
		ss += (y[2*i] - m) * (y[2*i] - m)
		if i > 0 && (y[2*i] > y[2*i-2]) != (y[2] > y[0]) {
			t.Fatalf("first axis not monotone along the line at %d", i)
		}
	}
	if sd := math.Sqrt(ss / n); math.Abs(sd-initScale) > 1e-12 {
		t.Errorf("first coordinate sd %v, want %v", sd, initScale)
	}
	// More dimensions than points: the Gram path gives the same axes.
	xt := make([]float32, 8*40)
	for i := range xt {
		xt[i] = float32(rng.NormFloat64())
	}
	a, err := pcaInit(xt, 8, 40, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pca(xt, 8, 40, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		for c := range 2 {
			if math.Abs(a[i*2+c]-b[i*2+c]) > 1e-9*initScale*10 {
				t.Fatalf("Gram and covariance PCA differ at point %d axis %d: %v vs %v", i, c, a[i*2+c], b[i*2+c])
			}
		}
	}
}

func TestErrors(t *testing.T) {
	x, _ := clustered(20, 3, 2, 1, 1)
	cases := []struct {
		name string
		mod  func(*Options)
		x    []float32
		want string
	}{
		{"perplexity", func(o *Options) { o.Perplexity = 20 }, x, "less than the number of points"},
		{"bh dims", func(o *Options) { o.Method, o.Dims, o.Perplexity = BarnesHut, 3, 5 }, x, "2 dimensions"},
		{"neighbours", func(o *Options) { o.Method, o.Neighbours, o.Perplexity = BarnesHut, 5, 6 }, x, "cannot reach perplexity"},
		{"nan", func(o *Options) { o.Perplexity = 5 }, append(slices.Clone(x[:57]), float32(math.NaN()), x[58], x[59]), "row 19, column 0 is NaN"},
		{"init", func(o *Options) { o.Perplexity, o.InitY = 5, []float64{1} }, x, "InitY"},
	}
	for _, c := range cases {
		o := Defaults()
		c.mod(&o)
		_, err := Embed(c.x, 20, 3, o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestTrustworthinessPerfect(t *testing.T) {
	x, _ := clustered(100, 2, 3, 1, 2)
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = 3 * float64(v) // a scaled copy preserves all neighbourhoods
	}
	tw, err := Trustworthiness(x, 2, y, 2, 7)
	if err != nil || tw != 1 {
		t.Errorf("trustworthiness of a scaled copy = %v, %v", tw, err)
	}
	rec, err := NeighbourRecall(x, 2, y, 2, 7)
	if err != nil || rec != 1 {
		t.Errorf("recall of a scaled copy = %v, %v", rec, err)
	}
}
