package tsne

import (
	"math/rand/v2"
)

// clustered returns n points in d dimensions around c Gaussian centres
// (centres N(0, 1), points N(centre, spread²)), and each point's cluster.
func clustered(n, d, c int, spread float64, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	centres := make([]float64, c*d)
	for i := range centres {
		centres[i] = rng.NormFloat64()
	}
	x := make([]float32, n*d)
	lab := make([]int, n)
	for i := range n {
		lab[i] = rng.IntN(c)
		for k := range d {
			x[i*d+k] = float32(centres[lab[i]*d+k] + spread*rng.NormFloat64())
		}
	}
	return x, lab
}

// quick returns Defaults shortened for tests.
func quick(iters int) Options {
	o := Defaults()
	o.Iters = iters
	o.ExaggerationIters = min(250, iters/4)
	return o
}
