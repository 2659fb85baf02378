package tsne

import "math"

// objective computes the gradient of KL(α·P ‖ Q) with respect to the
// embedding y, where α is the exaggeration:
//
//	∂C/∂y_i = 4 Σ_j (α·p_ij − q_ij) w_ij (y_i − y_j)
//	        = 4 [ α Σ_j p_ij w_ij (y_i − y_j) − (1/Z) Σ_j w_ij² (y_i − y_j) ],
//
// w_ij = 1/(1 + ‖y_i − y_j‖²), Z = Σ_{k≠l} w_kl, q_ij = w_ij/Z. With
// wantKL it also returns KL(P ‖ Q) of the unexaggerated P,
//
//	KL = Σ p log p − Σ p_ij log w_ij + log Z    (Σ p = 1),
//
// with the same Z (approximate under Barnes–Hut); otherwise it returns 0.
type objective interface {
	grad(y, g []float64, exag float64, wantKL bool) float64
}

// exactObj is the O(N²) objective over a dense P.
type exactObj struct {
	n, dims int
	p       []float64
	plogp   float64
	workers int
	zi, ki  []float64 // per point: Σ_j w_ij and Σ_j p_ij log w_ij
	attr    []float64 // per point: Σ_j p_ij w_ij (y_i − y_j)
	rep     []float64 // per point: Σ_j w_ij² (y_i − y_j)
}

func newExact(p []float64, n, dims, workers int) *exactObj {
	var plogp float64
	for _, v := range p {
		if v > 0 {
			plogp += v * math.Log(v)
		}
	}
	return &exactObj{n: n, dims: dims, p: p, plogp: plogp, workers: workers,
		zi: make([]float64, n), ki: make([]float64, n),
		attr: make([]float64, n*dims), rep: make([]float64, n*dims)}
}

func (o *exactObj) grad(y, g []float64, exag float64, wantKL bool) float64 {
	n, dims := o.n, o.dims
	parallel(n, chunk, o.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			prow := o.p[i*n : (i+1)*n]
			a := o.attr[i*dims : (i+1)*dims]
			r := o.rep[i*dims : (i+1)*dims]
			var z, plw float64
			if dims == 2 {
				xi, yi := y[2*i], y[2*i+1]
				var ax, ay, rx, ry float64
				for j := range n {
					if j == i {
						continue
					}
					dx, dy := xi-y[2*j], yi-y[2*j+1]
					w := 1 / (1 + dx*dx + dy*dy)
					z += w
					pw := prow[j] * w
					ax += pw * dx
					ay += pw * dy
					ww := w * w
					rx += ww * dx
					ry += ww * dy
					if wantKL && prow[j] > 0 {
						plw += prow[j] * math.Log(w)
					}
				}
				a[0], a[1], r[0], r[1] = ax, ay, rx, ry
			} else {
				clear(a)
				clear(r)
				yi := y[i*dims : (i+1)*dims]
				for j := range n {
					if j == i {
						continue
					}
					yj := y[j*dims : (j+1)*dims]
					var d2 float64
					for c := range dims {
						d := yi[c] - yj[c]
						d2 += d * d
					}
					w := 1 / (1 + d2)
					z += w
					pw, ww := prow[j]*w, w*w
					for c := range dims {
						d := yi[c] - yj[c]
						a[c] += pw * d
						r[c] += ww * d
					}
					if wantKL && prow[j] > 0 {
						plw += prow[j] * math.Log(w)
					}
				}
			}
			o.zi[i], o.ki[i] = z, plw
		}
	})
	return finish(o.zi, o.ki, o.attr, o.rep, g, exag, o.plogp, wantKL)
}

// finish combines the per-point sums into the gradient and the KL
// divergence, adding in index order.
func finish(zi, ki, attr, rep, g []float64, exag, plogp float64, wantKL bool) float64 {
	z := sumOrdered(zi)
	for c := range g {
		g[c] = 4 * (exag*attr[c] - rep[c]/z)
	}
	if !wantKL {
		return 0
	}
	return plogp - sumOrdered(ki) + math.Log(z)
}

// bhObj is the Barnes–Hut objective over a sparse P (2-D only).
type bhObj struct {
	n       int
	p       *sparseP
	theta2  float64
	plogp   float64
	workers int
	tree    quadtree
	stacks  [][]int32 // per chunk
	zi, ki  []float64
	attr    []float64
	rep     []float64
}

func newBH(p *sparseP, theta float64, workers int) *bhObj {
	var plogp float64
	for _, v := range p.val {
		if v > 0 {
			plogp += v * math.Log(v)
		}
	}
	n := p.n
	return &bhObj{n: n, p: p, theta2: theta * theta, plogp: plogp, workers: workers,
		stacks: make([][]int32, (n+chunk-1)/chunk),
		zi:     make([]float64, n), ki: make([]float64, n),
		attr: make([]float64, 2*n), rep: make([]float64, 2*n)}
}

func (o *bhObj) grad(y, g []float64, exag float64, wantKL bool) float64 {
	o.tree.build(y)
	p := o.p
	parallel(o.n, chunk, o.workers, func(lo, hi int) {
		stack := o.stacks[lo/chunk]
		for i := lo; i < hi; i++ {
			xi, yi := y[2*i], y[2*i+1]
			var ax, ay, plw float64
			for e := p.ptr[i]; e < p.ptr[i+1]; e++ {
				j := p.col[e]
				dx, dy := xi-y[2*j], yi-y[2*j+1]
				w := 1 / (1 + dx*dx + dy*dy)
				pw := p.val[e] * w
				ax += pw * dx
				ay += pw * dy
				if wantKL {
					plw += p.val[e] * math.Log(w)
				}
			}
			var z, rx, ry float64
			z, rx, ry, stack = o.tree.repulsion(int32(i), o.theta2, stack)
			o.attr[2*i], o.attr[2*i+1] = ax, ay
			o.rep[2*i], o.rep[2*i+1] = rx, ry
			o.zi[i], o.ki[i] = z, plw
		}
		o.stacks[lo/chunk] = stack
	})
	return finish(o.zi, o.ki, o.attr, o.rep, g, exag, o.plogp, wantKL)
}

// exactKL returns KL(P ‖ Q) of a sparse P with Z summed over all pairs
// (O(N²) time, O(N) memory).
func exactKL(p *sparseP, y []float64, dims, workers int) float64 {
	n := p.n
	zi := make([]float64, n)
	ki := make([]float64, n)
	parallel(n, chunk, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			yi := y[i*dims : (i+1)*dims]
			var z float64
			for j := range n {
				if j == i {
					continue
				}
				z += 1 / (1 + sqdist(yi, y[j*dims:(j+1)*dims]))
			}
			var plw float64
			for e := p.ptr[i]; e < p.ptr[i+1]; e++ {
				j := int(p.col[e])
				plw += p.val[e] * math.Log(1/(1+sqdist(yi, y[j*dims:(j+1)*dims])))
			}
			zi[i], ki[i] = z, plw
		}
	})
	var plogp float64
	for _, v := range p.val {
		if v > 0 {
			plogp += v * math.Log(v)
		}
	}
	return plogp - sumOrdered(ki) + math.Log(sumOrdered(zi))
}

func sqdist(a, b []float64) float64 {
	var s float64
	for c := range a {
		d := a[c] - b[c]
		s += d * d
	}
	return s
}
