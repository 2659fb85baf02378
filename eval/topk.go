package eval

// TopK returns the indices of the k highest scores, highest first; equal
// scores are ordered by lower index first, and NaN scores rank below every
// number (among themselves by index). k larger than len(scores) is
// clamped; k ≤ 0 gives an empty result.
//
// The result is written to dst[:k] when dst has the capacity, so a caller
// that keeps dst allocates nothing; otherwise a new slice is allocated.
// It keeps a bounded heap of the k best seen so far, O(n log k) time,
// which suits ranking a gallery of a few thousand items for display.
func TopK(scores []float32, k int, dst []int) []int {
	n := len(scores)
	if k > n {
		k = n
	}
	if k <= 0 {
		return dst[:0]
	}
	if cap(dst) >= k {
		dst = dst[:k]
	} else {
		dst = make([]int, k)
	}
	h := topHeap{s: scores, idx: dst}
	for i := range k {
		dst[i] = i
	}
	for i := k/2 - 1; i >= 0; i-- {
		h.down(i, k)
	}
	// dst[0] is the worst of the k kept; replace it whenever a better one
	// comes along.
	for i := k; i < n; i++ {
		if h.better(i, dst[0]) {
			dst[0] = i
			h.down(0, k)
		}
	}
	// Heap sort: move the worst to the back repeatedly, leaving the best
	// first.
	for end := k - 1; end > 0; end-- {
		dst[0], dst[end] = dst[end], dst[0]
		h.down(0, end)
	}
	return dst
}

// topHeap is a min-heap of indices into s ordered by "better": the root
// is the worst index held.
type topHeap struct {
	s   []float32
	idx []int
}

// better reports whether index a ranks ahead of index b.
func (h topHeap) better(a, b int) bool {
	sa, sb := h.s[a], h.s[b]
	switch {
	case sa > sb:
		return true
	case sa < sb:
		return false
	case sa == sb:
		return a < b
	}
	// At least one NaN.
	aNaN, bNaN := sa != sa, sb != sb
	if aNaN && bNaN {
		return a < b
	}
	return bNaN
}

// down restores the heap property below position i within idx[:n].
func (h topHeap) down(i, n int) {
	idx := h.idx
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		w := l // the worse child
		if r := l + 1; r < n && h.better(idx[l], idx[r]) {
			w = r
		}
		if !h.better(idx[i], idx[w]) {
			return
		}
		idx[i], idx[w] = idx[w], idx[i]
		i = w
	}
}
