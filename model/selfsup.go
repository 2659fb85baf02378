package model

import "math"

// ViewNCE is a self-supervised loss on target images: two augmented views
// of the same batch of images, a (n×d) and b (n×d), rows L2-normalised,
// must find each other among the batch:
//
//	S_ij = a_i·b_j / τ
//	L_ssl = (1/2n) Σ_i [ −log softmax_j(S_ij)_i − log softmax_j(S_ji)_i ]
//
// (the symmetric InfoNCE of contrastive self-supervised learning). In the
// deploy and shared protocols every target image of a batch is a different
// concept, so telling the views apart by image is telling the concepts
// apart, in the target artist's style, without any pairing: it trains the
// image encoder on the target domain directly, where the other transfer
// terms reach it only through the source sentences. Not in the AEIR
// paper; see docs/DESIGN.md.
type ViewNCE struct {
	Temp float32 // τ
	s    []float64
}

// Loss adds weight·∂L_ssl/∂a into da and ∂/∂b into db, and returns L_ssl
// and the fraction of rows whose own view is the best match (a→b).
func (v *ViewNCE) Loss(a, b []float32, n, d int, weight float32, da, db []float32) (loss, acc float32) {
	if n < 2 {
		return 0, 0
	}
	if cap(v.s) < n*n {
		v.s = make([]float64, n*n)
	}
	s := v.s[:n*n]
	inv := 1 / float64(v.Temp)
	for i := 0; i < n; i++ {
		ai := a[i*d : (i+1)*d]
		best := 0
		for j := 0; j < n; j++ {
			bj := b[j*d : (j+1)*d]
			var dot float32
			for k, x := range ai {
				dot += x * bj[k]
			}
			s[i*n+j] = float64(dot) * inv
			if s[i*n+j] > s[i*n+best] {
				best = j
			}
		}
		if best == i {
			acc++
		}
	}
	// g_ij = ∂L/∂S_ij = (1/2n)[(P_ij − δ_ij) + (Q_ij − δ_ij)], P row-wise
	// and Q column-wise softmax of S.
	g := make([]float64, n*n)
	var total float64
	for i := 0; i < n; i++ { // rows: a_i looks for b_i
		mx := math.Inf(-1)
		for j := 0; j < n; j++ {
			mx = max(mx, s[i*n+j])
		}
		var sum float64
		for j := 0; j < n; j++ {
			sum += math.Exp(s[i*n+j] - mx)
		}
		lse := mx + math.Log(sum)
		total += lse - s[i*n+i]
		for j := 0; j < n; j++ {
			g[i*n+j] += math.Exp(s[i*n+j] - lse)
		}
		g[i*n+i]--
	}
	for j := 0; j < n; j++ { // columns: b_j looks for a_j
		mx := math.Inf(-1)
		for i := 0; i < n; i++ {
			mx = max(mx, s[i*n+j])
		}
		var sum float64
		for i := 0; i < n; i++ {
			sum += math.Exp(s[i*n+j] - mx)
		}
		lse := mx + math.Log(sum)
		total += lse - s[j*n+j]
		for i := 0; i < n; i++ {
			g[i*n+j] += math.Exp(s[i*n+j] - lse)
		}
		g[j*n+j]--
	}
	c := float64(weight) * inv / float64(2*n)
	for i := 0; i < n; i++ {
		ai, dai := a[i*d:(i+1)*d], da[i*d:(i+1)*d]
		for j := 0; j < n; j++ {
			w := float32(c * g[i*n+j])
			if w == 0 {
				continue
			}
			bj, dbj := b[j*d:(j+1)*d], db[j*d:(j+1)*d]
			for k := range dai {
				dai[k] += w * bj[k]
				dbj[k] += w * ai[k]
			}
		}
	}
	return float32(total / float64(2*n)), acc / float32(n)
}
