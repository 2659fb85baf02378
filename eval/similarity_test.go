package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSimilarity(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, sz := range []struct{ na, nb, d int }{
		{0, 3, 4}, {3, 0, 4}, {2, 3, 0}, {1, 1, 1}, {3, 5, 7}, {17, 9, 64},
		{70, 130, 130}, // ≥ 2^20 multiply-adds: the parallel path
		{5, 600, 3},    // several column blocks
	} {
		a := make([]float32, sz.na*sz.d)
		b := make([]float32, sz.nb*sz.d)
		for i := range a {
			a[i] = rng.Float32()*2 - 1
		}
		for i := range b {
			b[i] = rng.Float32()*2 - 1
		}
		got := Similarity(nil, a, sz.na, b, sz.nb, sz.d)
		if len(got) != sz.na*sz.nb {
			t.Fatalf("%v: len %d", sz, len(got))
		}
		for i := range sz.na {
			for j := range sz.nb {
				var want float64
				for k := range sz.d {
					want += float64(a[i*sz.d+k]) * float64(b[j*sz.d+k])
				}
				if g := float64(got[i*sz.nb+j]); math.Abs(g-want) > 1e-5*float64(sz.d+1) {
					t.Fatalf("%v: sim[%d,%d] = %g, want %g", sz, i, j, g, want)
				}
			}
		}
		// Reuse of dst.
		dst := make([]float32, 1, sz.na*sz.nb+5)
		again := Similarity(dst, a, sz.na, b, sz.nb, sz.d)
		for p := range got {
			if again[p] != got[p] {
				t.Fatalf("%v: reusing dst changed entry %d", sz, p)
			}
		}
		if sz.na*sz.nb > 0 && &again[0] != &dst[:1][0] {
			t.Errorf("%v: dst with capacity not reused", sz)
		}
	}
}

func TestSimilarityPanicsOnShape(t *testing.T) {
	for _, c := range []struct {
		a, b      []float32
		na, nb, d int
	}{
		{make([]float32, 5), make([]float32, 6), 2, 2, 3},
		{make([]float32, 6), make([]float32, 5), 2, 2, 3},
		{nil, nil, -1, 0, 2},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic for len(a)=%d len(b)=%d na=%d nb=%d d=%d", len(c.a), len(c.b), c.na, c.nb, c.d)
				}
			}()
			Similarity(nil, c.a, c.na, c.b, c.nb, c.d)
		}()
	}
}
