package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// sortTopK is the reference: a full stable sort by score descending (NaN
// last), which keeps lower indices first among equals.
func sortTopK(scores []float32, k int) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ia, ib := idx[a], idx[b]
		na, nb := math.IsNaN(float64(scores[ia])), math.IsNaN(float64(scores[ib]))
		if na || nb {
			return !na && nb
		}
		return scores[ia] > scores[ib]
	})
	k = max(0, min(k, len(scores)))
	return idx[:k]
}

func TestTopKAgainstSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 500 {
		n := rng.IntN(60)
		scores := make([]float32, n)
		levels := 1 + rng.IntN(6)
		for i := range scores {
			switch {
			case trial%5 == 0 && rng.IntN(8) == 0:
				scores[i] = float32(math.NaN())
			case trial%7 == 0 && rng.IntN(10) == 0:
				scores[i] = float32(math.Inf(2*rng.IntN(2) - 1))
			case trial%2 == 0:
				scores[i] = float32(rng.IntN(levels))
			default:
				scores[i] = rng.Float32()
			}
		}
		k := rng.IntN(n+3) - 1 // −1 … n+1
		want := sortTopK(scores, k)
		got := TopK(scores, k, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: TopK(%v, %d) = %v, want %v", trial, scores, k, got, want)
		}
		// Reusing a dirty destination gives the same answer.
		dst := make([]int, 3, 100)
		for i := range dst {
			dst[i] = -7
		}
		if got := TopK(scores, k, dst); !slices.Equal(got, want) {
			t.Fatalf("trial %d: with dst: %v, want %v", trial, got, want)
		}
	}
}

func TestTopKLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	scores := make([]float32, 3000)
	for i := range scores {
		scores[i] = float32(rng.IntN(50))
	}
	for _, k := range []int{1, 10, 100, 3000} {
		if got, want := TopK(scores, k, nil), sortTopK(scores, k); !slices.Equal(got, want) {
			t.Errorf("k=%d differs", k)
		}
	}
}

func TestTopKNoAlloc(t *testing.T) {
	scores := make([]float32, 2000)
	for i := range scores {
		scores[i] = float32(i % 37)
	}
	dst := make([]int, 0, 10)
	allocs := testing.AllocsPerRun(20, func() { dst = TopK(scores, 10, dst) })
	if allocs != 0 {
		t.Errorf("TopK with capacity allocates %g times", allocs)
	}
	// Indices of the 36s, lowest first.
	want := []int{36, 73, 110, 147, 184, 221, 258, 295, 332, 369}
	if !slices.Equal(dst, want) {
		t.Errorf("TopK = %v, want %v", dst, want)
	}
}
