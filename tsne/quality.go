package tsne

import (
	"fmt"
	"slices"
)

// Trustworthiness measures how far an embedding avoids false neighbours
// (Venna & Kaski 2001), as scikit-learn's manifold.trustworthiness does
// with Euclidean distances:
//
//	T(k) = 1 − 2/(n k (2n − 3k − 1)) · Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k),
//
// where U_k(i) are the k nearest neighbours of i in the embedding that
// are not among its k nearest in the input, and r(i, j) is the rank of j
// among i's input neighbours (1 for the nearest). T lies in [0, 1]; 1
// means every embedding neighbour is an input neighbour. Ties are broken
// by index. x is n×d, y is n×dims; k must be below n/2.
//
// It takes O(n²(d + k)) time and O(n) memory per worker.
func Trustworthiness(x []float32, d int, y []float64, dims, k int) (float64, error) {
	n, err := checkQuality(x, d, y, dims, k)
	if err != nil {
		return 0, err
	}
	if 2*k >= n {
		return 0, fmt.Errorf("tsne: trustworthiness needs k < n/2, have k = %d, n = %d", k, n)
	}
	pen := make([]float64, n)
	parallel(n, chunk, 0, func(lo, hi int) {
		dx := make([]float64, n)
		nb := make([]cand, 0, k)
		for i := lo; i < hi; i++ {
			xi := x[i*d : (i+1)*d]
			for j := range n {
				dx[j] = sqdist64(xi, x[j*d:(j+1)*d])
			}
			nb = nearest(y, dims, i, k, nb)
			var s float64
			for _, c := range nb {
				j := int(c.j)
				// rank of j among i's input neighbours (ties to the lower index)
				r := 1
				for l := range n {
					if l != i && l != j && (dx[l] < dx[j] || (dx[l] == dx[j] && l < j)) {
						r++
					}
				}
				if r > k {
					s += float64(r - k)
				}
			}
			pen[i] = s
		}
	})
	t := sumOrdered(pen)
	fn, fk := float64(n), float64(k)
	return 1 - t*2/(fn*fk*(2*fn-3*fk-1)), nil
}

// NeighbourRecall returns the mean fraction of each point's k nearest
// input neighbours (Euclidean) that are also among its k nearest in the
// embedding: 1 when neighbourhoods are preserved exactly.
func NeighbourRecall(x []float32, d int, y []float64, dims, k int) (float64, error) {
	n, err := checkQuality(x, d, y, dims, k)
	if err != nil {
		return 0, err
	}
	idx, _ := knn(x, n, d, k, 0)
	hits := make([]float64, n)
	parallel(n, chunk, 0, func(lo, hi int) {
		nb := make([]cand, 0, k)
		for i := lo; i < hi; i++ {
			nb = nearest(y, dims, i, k, nb)
			h := 0
			for _, c := range nb {
				if slices.Contains(idx[i*k:(i+1)*k], c.j) {
					h++
				}
			}
			hits[i] = float64(h) / float64(k)
		}
	})
	return sumOrdered(hits) / float64(n), nil
}

func checkQuality(x []float32, d int, y []float64, dims, k int) (int, error) {
	if d < 1 || dims < 1 || len(x)%d != 0 || len(y)%dims != 0 {
		return 0, fmt.Errorf("tsne: quality: %d inputs of dimension %d, %d outputs of dimension %d", len(x), d, len(y), dims)
	}
	n := len(x) / d
	if len(y)/dims != n {
		return 0, fmt.Errorf("tsne: quality: %d input points but %d embedded", n, len(y)/dims)
	}
	if k < 1 || k >= n {
		return 0, fmt.Errorf("tsne: quality: k = %d for %d points", k, n)
	}
	return n, nil
}

// nearest returns the k nearest points to point i of y (n×dims), by
// squared distance and then index, in dst.
func nearest(y []float64, dims, i, k int, dst []cand) []cand {
	h := candHeap(dst[:0])
	yi := y[i*dims : (i+1)*dims]
	n := len(y) / dims
	for j := range n {
		if j == i {
			continue
		}
		c := cand{sqdist(yi, y[j*dims:(j+1)*dims]), int32(j)}
		if len(h) < k {
			h = append(h, c)
			if len(h) == k {
				for s := k/2 - 1; s >= 0; s-- {
					down(h, s)
				}
			}
		} else if c.less(h[0]) {
			h[0] = c
			down(h, 0)
		}
	}
	return h
}

// down restores the max-heap property below s.
func down(h candHeap, s int) {
	for {
		l := 2*s + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[m].less(h[r]) {
			m = r
		}
		if !h[s].less(h[m]) {
			return
		}
		h[s], h[m] = h[m], h[s]
		s = m
	}
}
