package eval

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkEvaluate: 1000 images × 5000 texts (k = 5), scores with ties.
func BenchmarkEvaluate(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	sim, nTxt, labels := randomCase(rng, 1000, 5, 0)
	b.SetBytes(int64(4 * len(sim)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Evaluate(sim, 1000, nTxt, labels); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTopK: top 10 of 2000 scores, the demo's ranking step.
func BenchmarkTopK(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	scores := make([]float32, 2000)
	for i := range scores {
		scores[i] = rng.Float32()
	}
	dst := make([]int, 0, 10)
	b.ReportAllocs()
	for b.Loop() {
		dst = TopK(scores, 10, dst)
	}
}

// BenchmarkSimilarity: 1000×5000 cosine matrix from 256-d embeddings.
func BenchmarkSimilarity(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	const na, nb, d = 1000, 5000, 256
	x := make([]float32, na*d)
	y := make([]float32, nb*d)
	for i := range x {
		x[i] = rng.Float32()
	}
	for i := range y {
		y[i] = rng.Float32()
	}
	dst := make([]float32, na*nb)
	for b.Loop() {
		dst = Similarity(dst, x, na, y, nb, d)
	}
}
