package tsne

import (
	"cmp"
	"container/heap"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Calibration of each point's Gaussian (scikit-learn's constants).
const (
	entropyTol = 1e-5 // |H − log perplexity| in nats
	maxSteps   = 200  // bisection steps
)

// calibrate sets p[j] ∝ exp(−β·d[j]) for j ≠ skip (p[skip] = 0), with
// Σ p = 1, choosing the precision β by bisection (doubling or halving
// until bracketed) so that the entropy H = −Σ p log p is log-perplexity
// logPerp within entropyTol. d are squared distances. Distances are
// shifted by their minimum before exponentiating, which leaves p
// unchanged and keeps far-apart data from underflowing. It returns β and
// the entropy reached.
func calibrate(d, p []float64, skip int, logPerp float64) (beta, h float64) {
	dmin := math.Inf(1)
	for j, x := range d {
		if j != skip && x < dmin {
			dmin = x
		}
	}
	lo, hi := 0.0, math.Inf(1)
	beta = 1
	var s float64
	for range maxSteps {
		var sd float64
		s = 0
		for j, x := range d {
			if j == skip {
				p[j] = 0
				continue
			}
			e := math.Exp(-beta * (x - dmin))
			p[j] = e
			s += e
			sd += e * (x - dmin)
		}
		h = math.Log(s) + beta*sd/s
		diff := h - logPerp
		if math.Abs(diff) <= entropyTol {
			break
		}
		next := beta
		if diff > 0 { // too flat: sharpen
			lo = beta
			if math.IsInf(hi, 1) {
				next = beta * 2
			} else {
				next = (beta + hi) / 2
			}
		} else {
			hi = beta
			if lo == 0 {
				next = beta / 2
			} else {
				next = (beta + lo) / 2
			}
		}
		if next == beta || math.IsInf(next, 0) || next == 0 {
			break
		}
		beta = next
	}
	for j := range p {
		p[j] /= s
	}
	return beta, h
}

// sparseP is a symmetric affinity matrix in compressed sparse rows:
// row i holds columns col[ptr[i]:ptr[i+1]] (ascending) with values val.
type sparseP struct {
	n   int
	ptr []int
	col []int32
	val []float64
}

// sum returns Σ P, added row by row in order.
func (p *sparseP) sum() float64 {
	var s float64
	for _, v := range p.val {
		s += v
	}
	return s
}

// dense returns P as an n×n row-major matrix.
func (p *sparseP) dense() []float64 {
	d := make([]float64, p.n*p.n)
	for i := range p.n {
		for e := p.ptr[i]; e < p.ptr[i+1]; e++ {
			d[i*p.n+int(p.col[e])] = p.val[e]
		}
	}
	return d
}

// knn finds the k nearest neighbours (squared Euclidean distance, ties to
// the lower index) of every row of the n×d matrix x by brute force:
// candidates from float32 dot products (gonum's Sgemm), then the best
// k of k+8 candidates by distances recomputed in float64. It returns
// idx and dist (squared), n×k each, every row ascending.
func knn(x []float32, n, d, k, workers int) (idx []int32, dist []float64) {
	m := min(k+8, n-1) // candidates kept from the float32 pass
	norms := make([]float64, n)
	for i := range n {
		norms[i] = dot64(x[i*d:(i+1)*d], x[i*d:(i+1)*d])
	}
	idx = make([]int32, n*k)
	dist = make([]float64, n*k)
	const block = 256
	g := make([]float32, block*n)
	heaps := make([]candHeap, (block+chunk-1)/chunk)
	for b0 := 0; b0 < n; b0 += block {
		rows := min(block, n-b0)
		blas32.Gemm(blas.NoTrans, blas.Trans, 1,
			blas32.General{Rows: rows, Cols: d, Stride: d, Data: x[b0*d:]},
			blas32.General{Rows: n, Cols: d, Stride: d, Data: x},
			0, blas32.General{Rows: rows, Cols: n, Stride: n, Data: g})
		parallel(rows, chunk, workers, func(lo, hi int) {
			h := &heaps[lo/chunk]
			for r := lo; r < hi; r++ {
				i := b0 + r
				gr := g[r*n : (r+1)*n]
				*h = (*h)[:0]
				for j := range n {
					if j == i {
						continue
					}
					c := cand{norms[i] + norms[j] - 2*float64(gr[j]), int32(j)}
					if len(*h) < m {
						heap.Push(h, c)
					} else if c.less((*h)[0]) {
						(*h)[0] = c
						heap.Fix(h, 0)
					}
				}
				cs := []cand(*h)
				xi := x[i*d : (i+1)*d]
				for t := range cs {
					j := int(cs[t].j)
					cs[t].d = sqdist64(xi, x[j*d:(j+1)*d])
				}
				slices.SortFunc(cs, func(a, b cand) int {
					if c := cmp.Compare(a.d, b.d); c != 0 {
						return c
					}
					return cmp.Compare(a.j, b.j)
				})
				for t := range k {
					idx[i*k+t] = cs[t].j
					dist[i*k+t] = cs[t].d
				}
			}
		})
	}
	return idx, dist
}

// cand is a neighbour candidate.
type cand struct {
	d float64
	j int32
}

func (a cand) less(b cand) bool { return a.d < b.d || (a.d == b.d && a.j < b.j) }

// candHeap is a max-heap of candidates (the worst on top).
type candHeap []cand

func (h candHeap) Len() int           { return len(h) }
func (h candHeap) Less(a, b int) bool { return h[b].less(h[a]) }
func (h candHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *candHeap) Push(x any)        { *h = append(*h, x.(cand)) }
func (h *candHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

func dot64(a, b []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i]) * float64(b[i])
		s1 += float64(a[i+1]) * float64(b[i+1])
		s2 += float64(a[i+2]) * float64(b[i+2])
		s3 += float64(a[i+3]) * float64(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i]) * float64(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func sqdist64(a, b []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		d0 := float64(a[i]) - float64(b[i])
		d1 := float64(a[i+1]) - float64(b[i+1])
		d2 := float64(a[i+2]) - float64(b[i+2])
		d3 := float64(a[i+3]) - float64(b[i+3])
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(a); i++ {
		d0 := float64(a[i]) - float64(b[i])
		s0 += d0 * d0
	}
	return (s0 + s1) + (s2 + s3)
}

// conditionalKNN calibrates every row of a k-NN graph: cond[i*k+t] is
// p(idx[i*k+t] | i). It returns each row's entropy for the tests.
func conditionalKNN(dist []float64, n, k int, perplexity float64, workers int) (cond, entropy []float64) {
	cond = make([]float64, n*k)
	entropy = make([]float64, n)
	lp := math.Log(perplexity)
	parallel(n, chunk, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			_, entropy[i] = calibrate(dist[i*k:(i+1)*k], cond[i*k:(i+1)*k], -1, lp)
		}
	})
	return cond, entropy
}

// symmetrize returns P = (C + Cᵀ) / Σ(C + Cᵀ) of the conditional k-NN
// affinities C, with rows in ascending column order.
func symmetrize(idx []int32, cond []float64, n, k int) *sparseP {
	type entry struct {
		j int32
		v float64
	}
	cnt := make([]int, n+1)
	for i := range n {
		for t := range k {
			cnt[i+1]++
			cnt[int(idx[i*k+t])+1]++
		}
	}
	for i := range n {
		cnt[i+1] += cnt[i]
	}
	ent := make([]entry, cnt[n])
	fill := slices.Clone(cnt[:n])
	for i := range n {
		for t := range k {
			j := int(idx[i*k+t])
			v := cond[i*k+t]
			ent[fill[i]] = entry{int32(j), v}
			fill[i]++
			ent[fill[j]] = entry{int32(i), v}
			fill[j]++
		}
	}
	p := &sparseP{n: n, ptr: make([]int, n+1)}
	p.col = make([]int32, 0, len(ent))
	p.val = make([]float64, 0, len(ent))
	for i := range n {
		row := ent[cnt[i]:cnt[i+1]]
		slices.SortFunc(row, func(a, b entry) int { return cmp.Compare(a.j, b.j) })
		for t := 0; t < len(row); {
			e := row[t]
			t++
			for t < len(row) && row[t].j == e.j {
				e.v += row[t].v
				t++
			}
			p.col = append(p.col, e.j)
			p.val = append(p.val, e.v)
		}
		p.ptr[i+1] = len(p.col)
	}
	s := p.sum()
	for e := range p.val {
		p.val[e] /= s
	}
	return p
}

// affinitiesKNN computes the sparse P of Barnes–Hut t-SNE.
func affinitiesKNN(x []float32, n, d, k int, perplexity float64, workers int) *sparseP {
	idx, dist := knn(x, n, d, k, workers)
	cond, _ := conditionalKNN(dist, n, k, perplexity, workers)
	return symmetrize(idx, cond, n, k)
}

// affinitiesDense computes the dense P of exact t-SNE: each row
// calibrated over all other points, then P = (C + Cᵀ)/(2N).
func affinitiesDense(x []float32, n, d int, perplexity float64, workers int) []float64 {
	c := make([]float64, n*n)
	lp := math.Log(perplexity)
	parallel(n, chunk, workers, func(lo, hi int) {
		dr := make([]float64, n)
		for i := lo; i < hi; i++ {
			xi := x[i*d : (i+1)*d]
			for j := range n {
				dr[j] = sqdist64(xi, x[j*d:(j+1)*d])
			}
			calibrate(dr, c[i*n:(i+1)*n], i, lp)
		}
	})
	p := make([]float64, n*n)
	parallel(n, chunk, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for j := range n {
				p[i*n+j] = (c[i*n+j] + c[j*n+i]) / float64(2*n)
			}
		}
	})
	return p
}
