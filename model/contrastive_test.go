package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestContrastiveGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, maxv := range []bool{true, false} {
		for _, groups := range [][]int{nil, {0, 1, 1, 2, 3}} {
			b, d := 5, 4
			u, v := make([]float32, b*d), make([]float32, b*d)
			c := &Contrastive{Margin: 0.3, MaxViolation: maxv}
			for { // draw until no hinge sits within finite-difference reach of a kink
				for i := range u {
					u[i], v[i] = rng.Float32()*2-1, rng.Float32()*2-1
				}
				if !nearKink(u, v, b, d, c.Margin, 0.05) {
					break
				}
			}
			du, dv := make([]float32, b*d), make([]float32, b*d)
			c.Loss(u, v, b, d, groups, du, dv)
			tmpu, tmpv := make([]float32, b*d), make([]float32, b*d)
			f := func() float64 { return float64(c.Loss(u, v, b, d, groups, tmpu, tmpv)) }
			const eps = 2e-3
			for _, x := range []struct {
				p, g []float32
				name string
			}{{u, du, "u"}, {v, dv, "v"}} {
				for k := range x.p {
					old := x.p[k]
					x.p[k] = old + eps
					lp := f()
					x.p[k] = old - eps
					lm := f()
					x.p[k] = old
					num := (lp - lm) / (2 * eps)
					if math.Abs(num-float64(x.g[k])) > 3e-3+1e-2*math.Abs(num) {
						t.Errorf("max=%v groups=%v d%s[%d]: analytic %.5f numeric %.5f", maxv, groups, x.name, k, x.g[k], num)
					}
				}
			}
		}
	}
}

func TestContrastiveValues(t *testing.T) {
	// Two orthonormal pairs: S = I, so every violation is α − 1 + 0 < 0 for α < 1.
	u := []float32{1, 0, 0, 1}
	c := &Contrastive{Margin: 0.2, MaxViolation: true}
	du, dv := make([]float32, 4), make([]float32, 4)
	if l := c.Loss(u, u, 2, 2, nil, du, dv); l != 0 {
		t.Fatalf("perfect pairs: loss %v", l)
	}
	// Swapped texts: S_ii = 0, S_ij = 1 → each direction violates by α + 1.
	v := []float32{0, 1, 1, 0}
	if l := c.Loss(u, v, 2, 2, nil, du, dv); math.Abs(float64(l)-2*1.2) > 1e-6 {
		t.Fatalf("swapped pairs: loss %v, want 2.4", l)
	}
	// Same group: the two rows are one image, so no negatives remain.
	if l := c.Loss(u, v, 2, 2, []int{7, 7}, du, dv); l != 0 {
		t.Fatalf("one group: loss %v, want 0", l)
	}
}

// nearKink reports whether any hinge value, or the gap between any two
// hinge values of one row (where max switches), is within tol of zero.
func nearKink(u, v []float32, b, d int, margin, tol float32) bool {
	s := make([]float32, b*b)
	dotRows(s, u, v, b, d)
	abs := func(x float32) float32 {
		if x < 0 {
			return -x
		}
		return x
	}
	for i := 0; i < b; i++ {
		var hs []float32
		for j := 0; j < b; j++ {
			if j == i {
				continue
			}
			hs = append(hs, margin-s[i*b+i]+s[i*b+j], margin-s[i*b+i]+s[j*b+i])
		}
		for a, x := range hs {
			if abs(x) < tol {
				return true
			}
			for _, y := range hs[a+1:] {
				if abs(x-y) < tol {
					return true
				}
			}
		}
	}
	return false
}
