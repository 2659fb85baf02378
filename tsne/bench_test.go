package tsne

import "testing"

// BenchmarkBarnesHutGradient times one Barnes–Hut gradient of 5,000
// points on an embedding after 300 iterations.
func BenchmarkBarnesHutGradient(b *testing.B) {
	const n, d = 5000, 64
	x, _ := clustered(n, d, 20, 0.8, 1)
	o := Defaults()
	o.Iters, o.Method = 300, BarnesHut
	r, err := Embed(x, n, d, o)
	if err != nil {
		b.Fatal(err)
	}
	p := affinitiesKNN(x, n, d, o.neighbours(n), o.Perplexity, 0)
	obj := newBH(p, 0.5, 0)
	g := make([]float64, 2*n)
	b.ResetTimer()
	for range b.N {
		obj.grad(r.Y, g, 1, false)
	}
}

// BenchmarkKNN times the 91-nearest-neighbour graph of 5,000 × 256.
func BenchmarkKNN(b *testing.B) {
	x, _ := clustered(5000, 256, 20, 0.8, 1)
	b.ResetTimer()
	for range b.N {
		knn(x, 5000, 256, 91, 0)
	}
}
