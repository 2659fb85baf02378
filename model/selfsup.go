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
	// and Q column-wise softmax of S; the 1/2n comes with the weight below.
	g := make([]float64, n*n)
	var total float64
	for i := 0; i < n; i++ {
		total += softmaxXent(s, g, n, i*n, 1, i) // row i: a_i looks for b_i
		total += softmaxXent(s, g, n, i, n, i)   // column i: b_i looks for a_i
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

// softmaxXent takes the n scores s[start + k·step], k = 0…n−1 (a row or a
// column of S), adds softmax − one-hot(own) into g at the same places and
// returns the cross-entropy −log softmax(own).
func softmaxXent(s, g []float64, n, start, step, own int) float64 {
	mx := math.Inf(-1)
	for k := 0; k < n; k++ {
		mx = max(mx, s[start+k*step])
	}
	var sum float64
	for k := 0; k < n; k++ {
		sum += math.Exp(s[start+k*step] - mx)
	}
	lse := mx + math.Log(sum)
	for k := 0; k < n; k++ {
		g[start+k*step] += math.Exp(s[start+k*step] - lse)
	}
	g[start+own*step]--
	return lse - s[start+own*step]
}
