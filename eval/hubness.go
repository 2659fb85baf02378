package eval

import "fmt"

// Hubness returns the neighbourhood terms of cross-domain similarity local
// scaling (CSLS; Conneau et al., "Word translation without parallel data",
// 2018): for each of the na rows of a, the mean of its k largest cosine
// similarities to the nb rows of b (ra), and the same for each row of b
// against a (rb). Rows are d wide. The products are computed a block of
// rows at a time, so memory stays O((na + nb)·k + block·nb); with the
// whole na×nb matrix at hand, use CSLS directly.
//
// A "hub" — an embedding close to many items of the other side — has a
// large term; CSLS subtracts it, so a hub no longer crowds the top of
// every ranking.
func Hubness(a []float32, na int, b []float32, nb, d, k int) (ra, rb []float32) {
	h := newHubs(na, nb, k)
	const block = 128
	var sim []float32
	for lo := 0; lo < na; lo += block {
		hi := min(lo+block, na)
		sim = Similarity(sim, a[lo*d:hi*d], hi-lo, b, nb, d)
		h.rows(lo, sim)
	}
	return h.terms()
}

// hubs accumulates the k largest similarities of every row and column of
// an na×nb matrix read a block of rows at a time.
type hubs struct {
	nb, k    int
	ra, topB []float32 // per row: its term; per column: its k largest, descending
	top      []float32
}

func newHubs(na, nb, k int) *hubs {
	if k < 1 || k > nb || k > na {
		panic(fmt.Sprintf("eval: Hubness: k=%d for %d × %d items", k, na, nb))
	}
	h := &hubs{nb: nb, k: k, ra: make([]float32, na), topB: make([]float32, nb*k), top: make([]float32, k)}
	for i := range h.topB {
		h.topB[i] = -1e30
	}
	return h
}

// rows reads rows lo, lo+1, … of the matrix, held in sim (whole rows).
func (h *hubs) rows(lo int, sim []float32) {
	k := h.k
	for r := 0; r < len(sim)/h.nb; r++ {
		for t := range h.top {
			h.top[t] = -1e30
		}
		for j, s := range sim[r*h.nb : (r+1)*h.nb] {
			insert(h.top, s)
			insert(h.topB[j*k:(j+1)*k], s)
		}
		h.ra[lo+r] = mean(h.top)
	}
}

func (h *hubs) terms() (ra, rb []float32) {
	rb = make([]float32, h.nb)
	for j := range rb {
		rb[j] = mean(h.topB[j*h.k : (j+1)*h.k])
	}
	return h.ra, rb
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

// CSLS returns the na×nb matrix 2·sim − ra[i] − rb[j]: the similarities
// sim with both items' hubness terms (see Hubness, with k neighbours)
// taken off. Ranking the row or column of one query by it is what the
// demo does.
func CSLS(sim []float32, na, nb, k int) []float32 {
	if len(sim) != na*nb {
		panic(fmt.Sprintf("eval: CSLS: %d scores for %d × %d", len(sim), na, nb))
	}
	h := newHubs(na, nb, k)
	h.rows(0, sim)
	ra, rb := h.terms()
	out := make([]float32, len(sim))
	for i := 0; i < na; i++ {
		for j := 0; j < nb; j++ {
			out[i*nb+j] = 2*sim[i*nb+j] - ra[i] - rb[j]
		}
	}
	return out
}
