package model

import "fmt"

// Contrastive is the source-consistency loss L_con: a bidirectional hinge
// triplet loss over a batch of B aligned pairs (VSE++).
//
// With image embeddings u (B×D), sentence embeddings v (B×D) and
// S_ij = u_i·v_j, row i of u and row i of v being a pair,
//
//	hardest negative (MaxViolation):
//	  L = (1/B) Σ_i ( max_{j∉G(i)} [α − S_ii + S_ij]₊ + max_{j∉G(i)} [α − S_ii + S_ji]₊ )
//	sum of violations:
//	  L = (1/B) Σ_i Σ_{j∉G(i)} ( [α − S_ii + S_ij]₊ + [α − S_ii + S_ji]₊ )
//
// where G(i) = {j : group_j = group_i} are the rows showing the same image
// (several captions of one image are not each other's negatives). With
// groups nil every row is its own group.
type Contrastive struct {
	Margin       float32 // α
	MaxViolation bool    // hardest in-batch negative (true) or sum of violations

	s      []float32
	negI2T []int32 // hardest negative text per image row (−1: none violating)
	negT2I []int32
}

// Loss returns L and writes ∂L/∂u and ∂L/∂v into du and dv (overwritten).
func (c *Contrastive) Loss(u, v []float32, b, d int, groups []int, du, dv []float32) float32 {
	if len(u) != b*d || len(v) != b*d || len(du) != b*d || len(dv) != b*d {
		panic(fmt.Sprintf("model: Contrastive.Loss shapes u %d v %d du %d dv %d for %d×%d", len(u), len(v), len(du), len(dv), b, d))
	}
	if groups != nil && len(groups) != b {
		panic("model: Contrastive.Loss groups length")
	}
	if cap(c.s) < b*b {
		c.s = make([]float32, b*b)
	}
	s := c.s[:b*b]
	dotRows(s, u, v, b, d)
	clear(du)
	clear(dv)
	same := func(i, j int) bool {
		if groups == nil {
			return i == j
		}
		return groups[i] == groups[j]
	}
	var loss float32
	inv := 1 / float32(b)
	for i := 0; i < b; i++ {
		pos := s[i*b+i]
		if c.MaxViolation {
			// image i → hardest text j
			bj, bv := -1, float32(0)
			bk, bw := -1, float32(0)
			for j := 0; j < b; j++ {
				if same(i, j) {
					continue
				}
				if h := c.Margin - pos + s[i*b+j]; h > bv {
					bj, bv = j, h
				}
				if h := c.Margin - pos + s[j*b+i]; h > bw {
					bk, bw = j, h
				}
			}
			if bj >= 0 {
				loss += bv
				addHinge(du, dv, u, v, i, i, bj, d, inv) // ∂/∂u_i (v_j − v_i), ∂/∂v_j u_i, ∂/∂v_i −u_i
			}
			if bk >= 0 {
				loss += bw
				addHingeT(du, dv, u, v, i, bk, d, inv)
			}
			continue
		}
		for j := 0; j < b; j++ {
			if same(i, j) {
				continue
			}
			if h := c.Margin - pos + s[i*b+j]; h > 0 {
				loss += h
				addHinge(du, dv, u, v, i, i, j, d, inv)
			}
			if h := c.Margin - pos + s[j*b+i]; h > 0 {
				loss += h
				addHingeT(du, dv, u, v, i, j, d, inv)
			}
		}
	}
	return loss * inv
}

// addHinge adds the gradient of w·(u_i·v_j − u_i·v_p) (image i against
// negative text j, positive text p).
func addHinge(du, dv, u, v []float32, i, p, j, d int, w float32) {
	ui, vp, vj := u[i*d:(i+1)*d], v[p*d:(p+1)*d], v[j*d:(j+1)*d]
	dui, dvp, dvj := du[i*d:(i+1)*d], dv[p*d:(p+1)*d], dv[j*d:(j+1)*d]
	for k := 0; k < d; k++ {
		dui[k] += w * (vj[k] - vp[k])
		dvj[k] += w * ui[k]
		dvp[k] -= w * ui[k]
	}
}

// addHingeT adds the gradient of w·(u_j·v_i − u_i·v_i) (text i against
// negative image j).
func addHingeT(du, dv, u, v []float32, i, j, d int, w float32) {
	ui, uj, vi := u[i*d:(i+1)*d], u[j*d:(j+1)*d], v[i*d:(i+1)*d]
	dui, duj, dvi := du[i*d:(i+1)*d], du[j*d:(j+1)*d], dv[i*d:(i+1)*d]
	for k := 0; k < d; k++ {
		dvi[k] += w * (uj[k] - ui[k])
		duj[k] += w * vi[k]
		dui[k] -= w * vi[k]
	}
}

// dotRows writes s = u·vᵀ for b×d row-major u and v.
func dotRows(s, u, v []float32, b, d int) {
	for i := 0; i < b; i++ {
		ui := u[i*d : (i+1)*d]
		for j := 0; j < b; j++ {
			vj := v[j*d : (j+1)*d]
			var acc float32
			for k, x := range ui {
				acc += x * vj[k]
			}
			s[i*b+j] = acc
		}
	}
}
