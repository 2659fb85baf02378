package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHubnessMatchesSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	na, nb, d := 300, 70, 8 // more than one block of rows
	a, b := make([]float32, na*d), make([]float32, nb*d)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	sim := Similarity(nil, a, na, b, nb, d)
	want := func(vals []float32, k int) float32 {
		s := slices.Clone(vals)
		slices.Sort(s)
		slices.Reverse(s)
		var m float64
		for _, x := range s[:k] {
			m += float64(x)
		}
		return float32(m / float64(k))
	}
	for _, k := range []int{1, 3, 10} {
		ra, rb := Hubness(a, na, b, nb, d, k)
		c := CSLS(sim, na, nb, k) // the same terms, from the whole matrix
		for _, ij := range [][2]int{{0, 0}, {na - 1, nb - 1}, {150, 33}} {
			i, j := ij[0], ij[1]
			if w := 2*sim[i*nb+j] - ra[i] - rb[j]; math.Abs(float64(c[i*nb+j]-w)) > 1e-5 {
				t.Fatalf("k=%d CSLS[%d,%d] = %v, want %v", k, i, j, c[i*nb+j], w)
			}
		}
		for i := 0; i < na; i++ {
			if w := want(sim[i*nb:(i+1)*nb], k); math.Abs(float64(ra[i]-w)) > 1e-4*(1+math.Abs(float64(w))) {
				t.Fatalf("k=%d row %d of a: %v, want %v", k, i, ra[i], w)
			}
		}
		col := make([]float32, na)
		for j := 0; j < nb; j++ {
			for i := range col {
				col[i] = sim[i*nb+j]
			}
			if w := want(col, k); math.Abs(float64(rb[j]-w)) > 1e-4*(1+math.Abs(float64(w))) {
				t.Fatalf("k=%d row %d of b: %v, want %v", k, j, rb[j], w)
			}
		}
	}
}

// TestCSLSDemotesAHub builds a gallery with one image close to every
// sentence: by cosine it wins a query that belongs to another image; with
// CSLS the right image wins.
func TestCSLSDemotesAHub(t *testing.T) {
	// sentences e1, e2; images: a hub between both (nearer e2) and one
	// image drawn for each sentence, less close to it than the hub is to e1.
	n := func(v []float32) []float32 {
		var s float64
		for _, x := range v {
			s += float64(x * x)
		}
		for i := range v {
			v[i] /= float32(math.Sqrt(s))
		}
		return v
	}
	texts := append(n([]float32{1, 0, 0}), n([]float32{0, 1, 0})...)
	imgs := append(append(n([]float32{1, 1.2, 0}), n([]float32{0.6, -0.2, 0.8})...), n([]float32{-0.2, 0.6, 0.8})...)
	sim := Similarity(nil, imgs, 3, texts, 2, 3)
	// by cosine, the hub (image 0) is the best image for sentence 0
	if !(sim[0*2+0] > sim[1*2+0]) {
		t.Fatalf("set-up: the hub does not win by cosine: %v", sim)
	}
	c := CSLS(sim, 3, 2, 1)
	if !(c[1*2+0] > c[0*2+0]) {
		t.Errorf("CSLS still ranks the hub first for sentence 0: %v", c)
	}
}
