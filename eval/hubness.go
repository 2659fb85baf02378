package eval

import "fmt"

// Hubness returns the neighbourhood terms of cross-domain similarity local
// scaling (CSLS; Conneau et al., "Word translation without parallel data",
// 2018): for each of the na rows of a, the mean of its k largest cosine
// similarities to the nb rows of b (ra), and the same for each row of b
// against a (rb). Rows are d wide. The products are computed a block of
// rows at a time, so memory stays O((na + nb)·k + block·nb).
//
// A "hub" — an embedding close to many items of the other side — has a
// large term; CSLS subtracts it (see CSLS), so a hub no longer crowds the
// top of every ranking.
func Hubness(a []float32, na int, b []float32, nb, d, k int) (ra, rb []float32) {
	if k < 1 || k > nb || k > na {
		panic(fmt.Sprintf("eval: Hubness: k=%d for %d × %d items", k, na, nb))
	}
	ra, rb = make([]float32, na), make([]float32, nb)
	topB := make([]float32, nb*k) // per row of b: its k largest, descending
	for i := range topB {
		topB[i] = -1e30
	}
	top := make([]float32, k)
	const block = 128
	var sim []float32
	for lo := 0; lo < na; lo += block {
		hi := min(lo+block, na)
		sim = Similarity(sim, a[lo*d:hi*d], hi-lo, b, nb, d)
		for i := lo; i < hi; i++ {
			row := sim[(i-lo)*nb : (i-lo+1)*nb]
			for t := range top {
				top[t] = -1e30
			}
			for j, s := range row {
				insert(top, s)
				insert(topB[j*k:(j+1)*k], s)
			}
			ra[i] = mean(top)
		}
	}
	for j := range rb {
		rb[j] = mean(topB[j*k : (j+1)*k])
	}
	return ra, rb
}

// insert puts s into the descending list t if it is among its largest.
func insert(t []float32, s float32) {
	n := len(t)
	if s <= t[n-1] {
		return
	}
	p := n - 1
	for p > 0 && t[p-1] < s {
		t[p] = t[p-1]
		p--
	}
	t[p] = s
}

// TopMean is the mean of the k largest of scores (the hubness term of one
// query against the items it was scored with).
func TopMean(scores []float32, k int) float32 {
	if k < 1 || k > len(scores) {
		panic(fmt.Sprintf("eval: TopMean: k=%d of %d scores", k, len(scores)))
	}
	t := make([]float32, k)
	for i := range t {
		t[i] = -1e30
	}
	for _, s := range scores {
		insert(t, s)
	}
	return mean(t)
}

func mean(t []float32) float32 {
	var s float32
	for _, x := range t {
		s += x
	}
	return s / float32(len(t))
}

// CSLS returns the na×nb matrix 2·sim − ra[i] − rb[j]: cosine similarity
// with both items' hubness terms (Hubness) taken off. Ranking the row or
// column of one query by it is what the demo does.
func CSLS(sim []float32, na, nb int, ra, rb []float32) []float32 {
	if len(sim) != na*nb || len(ra) != na || len(rb) != nb {
		panic(fmt.Sprintf("eval: CSLS: %d scores, %d and %d terms for %d × %d", len(sim), len(ra), len(rb), na, nb))
	}
	out := make([]float32, len(sim))
	for i := 0; i < na; i++ {
		for j := 0; j < nb; j++ {
			out[i*nb+j] = 2*sim[i*nb+j] - ra[i] - rb[j]
		}
	}
	return out
}
