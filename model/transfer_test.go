package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"aeir/nn"
)

func TestMMDGradientAndValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	n, d, ns := 7, 3, 3
	z := make([]float32, n*d)
	for i := range z {
		z[i] = rng.Float32()*2 - 1
	}
	m := DefaultMMD()
	dz := make([]float32, n*d)
	v := m.Loss(z, n, d, ns, 1, dz)
	// reference: the direct formula over ordered pairs, in float64
	k := func(a, b []float32) float64 {
		var d2 float64
		for i := range a {
			t := float64(a[i] - b[i])
			d2 += t * t
		}
		var s float64
		for _, sg := range m.Sigmas {
			s += math.Exp(-d2 / (sg * sg))
		}
		return s / float64(len(m.Sigmas))
	}
	row := func(i int) []float32 { return z[i*d : (i+1)*d] }
	var xx, yy, xy float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			switch {
			case i < ns && j < ns:
				xx += k(row(i), row(j))
			case i >= ns && j >= ns:
				yy += k(row(i), row(j))
			case i < ns:
				xy += k(row(i), row(j))
			}
		}
	}
	nt := float64(n - ns)
	want := xx/float64(ns*ns) + yy/(nt*nt) - 2*xy/(float64(ns)*nt)
	if math.Abs(float64(v)-want) > 1e-5 {
		t.Fatalf("MMD² %v, want %v", v, want)
	}
	tmp := make([]float32, n*d)
	checkGrad(t, z, dz, 2e-3, func() float64 { return float64(m.Loss(z, n, d, ns, 1, tmp)) })
}

// checkGrad compares the analytic gradient dz of loss with respect to z
// with central differences, within tol + 1 % of the numeric value.
func checkGrad(t *testing.T, z, dz []float32, tol float64, loss func() float64) {
	t.Helper()
	const eps = 1e-3
	for i := range z {
		old := z[i]
		z[i] = old + eps
		lp := loss()
		z[i] = old - eps
		lm := loss()
		z[i] = old
		num := (lp - lm) / (2 * eps)
		if math.Abs(num-float64(dz[i])) > tol+1e-2*math.Abs(num) {
			t.Errorf("dz[%d]: analytic %v numeric %v", i, dz[i], num)
		}
	}
}

func TestDiscriminatorReversesGradient(t *testing.T) {
	n, d := 6, 4
	rng := rand.New(rand.NewPCG(2, 2))
	z := nn.NewTensor(n, d)
	for i := range z.Data {
		z.Data[i] = rng.Float32()*2 - 1
	}
	disc := NewDiscriminator("dimg", d, 8, 1)
	loss := func() float64 {
		dz := make([]float32, n*d)
		nn.ZeroGrads(disc.Params())
		l, _ := disc.Loss(z, 3, 1, dz)
		return float64(l)
	}
	const lambda = 0.5
	dz := make([]float32, n*d)
	nn.ZeroGrads(disc.Params())
	disc.Loss(z, 3, lambda, dz)
	const eps = 1e-3
	for i := range z.Data {
		old := z.Data[i]
		z.Data[i] = old + eps
		lp := loss()
		z.Data[i] = old - eps
		lm := loss()
		z.Data[i] = old
		num := (lp - lm) / (2 * eps)
		// the encoder receives −λ times the true gradient
		if want := -lambda * num; math.Abs(float64(dz[i])-want) > 2e-3+1e-2*math.Abs(want) {
			t.Errorf("dz[%d] = %v, want −λ·∂L/∂z = %v", i, dz[i], want)
		}
	}
	// the discriminator itself can learn to separate shifted domains
	for i := 0; i < 3*d; i++ {
		z.Data[i] += 2
	}
	opt := nn.NewAdam(0.01)
	var acc float32
	for it := 0; it < 200; it++ {
		nn.ZeroGrads(disc.Params())
		_, acc = disc.Loss(z, 3, 0, make([]float32, n*d))
		opt.Step(disc.Params())
	}
	if acc != 1 {
		t.Errorf("discriminator accuracy %v on separable domains", acc)
	}
}

func TestDANNLambda(t *testing.T) {
	if DANNLambda(0, 0.3) != 0 {
		t.Error("λ(0) ≠ 0")
	}
	if l := DANNLambda(1, 0.3); l < 0.299 || l > 0.3 {
		t.Errorf("λ(1) = %v", l)
	}
	if DANNLambda(0.2, 1) >= DANNLambda(0.4, 1) {
		t.Error("λ not increasing")
	}
}

func TestStructuralGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	n, d, m := 4, 3, 6
	z, bank := make([]float32, n*d), make([]float32, m*d)
	for i := range z {
		z[i] = rng.Float32()*2 - 1
	}
	for i := range bank {
		bank[i] = rng.Float32()*2 - 1
	}
	pos := []int{2, -1, 0, 5}
	group := []int{0, 1, 2, 2, 3, 4}
	negs := []int{0, 1, 2, 3, 4, 5}
	s := Structural{Margin: 0.5}
	dz := make([]float32, n*d)
	l, rows := s.Loss(z, n, d, pos, bank, group, negs, 1, dz)
	if rows != 3 || l <= 0 {
		t.Fatalf("loss %v over %d rows", l, rows)
	}
	for k := d; k < 2*d; k++ {
		if dz[k] != 0 {
			t.Fatal("row without a positive got a gradient")
		}
	}
	tmp := make([]float32, n*d)
	checkGrad(t, z, dz, 3e-3, func() float64 {
		l, _ := s.Loss(z, n, d, pos, bank, group, negs, 1, tmp)
		return float64(l)
	})
}

func TestInfoMaxGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	n, d, m := 5, 3, 7
	z, bank := make([]float32, n*d), make([]float32, m*d)
	for i := range z {
		z[i] = rng.Float32()*2 - 1
	}
	for i := range bank {
		bank[i] = rng.Float32()*2 - 1
	}
	im := &InfoMax{Temp: 0.5}
	loss := func() float64 {
		tmp := make([]float32, n*d)
		e, dv := im.Loss(z, n, d, bank, m, 1, tmp)
		return float64(e) - float64(dv)
	}
	dz := make([]float32, n*d)
	e, dv := im.Loss(z, n, d, bank, m, 1, dz)
	if !(e > 0 && e < float32(math.Log(float64(m)))+1e-4) || !(dv > 0 && dv < float32(math.Log(float64(m)))+1e-4) {
		t.Fatalf("entropies %v, %v outside (0, log %d]", e, dv, m)
	}
	checkGrad(t, z, dz, 2e-3, loss)
	// Rows committed to distinct concepts: entropy near 0, spread log n.
	for r := 0; r < n; r++ {
		copy(z[r*d:(r+1)*d], bank[r*d:(r+1)*d])
	}
	sharp := &InfoMax{Temp: 0.01}
	e, dv = sharp.Loss(z, n, d, bank, m, 1, make([]float32, n*d))
	if e > 0.05 || math.Abs(float64(dv)-math.Log(float64(n))) > 0.05 {
		t.Errorf("one-hot rows on distinct concepts: entropy %v, spread %v (want ≈0, ≈%v)", e, dv, math.Log(float64(n)))
	}
}

func TestViewNCEGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	n, d := 4, 3
	a, b := make([]float32, n*d), make([]float32, n*d)
	for i := range a {
		a[i], b[i] = rng.Float32()*2-1, rng.Float32()*2-1
	}
	v := &ViewNCE{Temp: 0.5}
	loss := func() float64 {
		l, _ := v.Loss(a, b, n, d, 1, make([]float32, n*d), make([]float32, n*d))
		return float64(l)
	}
	da, db := make([]float32, n*d), make([]float32, n*d)
	l, _ := v.Loss(a, b, n, d, 1, da, db)
	if !(l > 0) {
		t.Fatalf("loss %v, want > 0", l)
	}
	checkGrad(t, a, da, 2e-3, loss)
	checkGrad(t, b, db, 2e-3, loss)
	// Views equal to their own rows and far from the others: loss ≈ 0,
	// every row finds its view.
	for i := range a {
		a[i] = 0
	}
	for i := 0; i < n; i++ {
		a[i*d+i%d] = 1
		if i >= d {
			a[i*d+i%d] = -1
		}
	}
	copy(b, a)
	sharp := &ViewNCE{Temp: 0.01}
	l, acc := sharp.Loss(a, b, n, d, 1, make([]float32, n*d), make([]float32, n*d))
	if l > 1e-3 || acc != 1 {
		t.Errorf("matching views: loss %v, accuracy %v (want ≈0, 1)", l, acc)
	}
	// A weight scales the gradient and not the loss.
	da, db = make([]float32, n*d), make([]float32, n*d)
	d2a, d2b := make([]float32, n*d), make([]float32, n*d)
	l1, _ := v.Loss(a, b, n, d, 1, da, db)
	l2, _ := v.Loss(a, b, n, d, 2, d2a, d2b)
	if l1 != l2 {
		t.Errorf("weight changed the loss: %v vs %v", l1, l2)
	}
	for i := range da {
		if math.Abs(float64(d2a[i]-2*da[i])) > 1e-6 || math.Abs(float64(d2b[i]-2*db[i])) > 1e-6 {
			t.Fatalf("weight 2 gradient [%d] = %v, %v; want twice %v, %v", i, d2a[i], d2b[i], da[i], db[i])
		}
	}
}
