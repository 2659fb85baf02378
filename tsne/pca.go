package tsne

import (
	"errors"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// initScale is the standard deviation of the first initial coordinate.
const initScale = 1e-4

// pcaInit projects the centred rows of x (n×d) on their first dims
// principal axes, with each axis's sign chosen so that its largest
// projection (in absolute value) is positive (scikit-learn's svd_flip
// convention), then scales all coordinates so that the first has
// standard deviation initScale. It eigendecomposes the d×d covariance,
// or the n×n Gram matrix when d > n.
func pcaInit(x []float32, n, d, dims int) ([]float64, error) {
	return pca(x, n, d, dims, d > n)
}

func pca(x []float32, n, d, dims int, gram bool) ([]float64, error) {
	xc := mat.NewDense(n, d, nil)
	mean := make([]float64, d)
	for i := range n {
		for c := range d {
			mean[c] += float64(x[i*d+c])
		}
	}
	for c := range d {
		mean[c] /= float64(n)
	}
	for i := range n {
		row := xc.RawRowView(i)
		for c := range d {
			row[c] = float64(x[i*d+c]) - mean[c]
		}
	}
	y := make([]float64, n*dims)
	var eig mat.EigenSym
	if !gram {
		var cov mat.SymDense
		cov.SymOuterK(1, xc.T())
		if !eig.Factorize(&cov, true) {
			return nil, errors.New("tsne: PCA eigendecomposition failed; use random initialisation")
		}
		var v mat.Dense
		eig.VectorsTo(&v)
		vals := eig.Values(nil) // ascending
		for c := range min(dims, d) {
			col := len(vals) - 1 - c
			for i := range n {
				y[i*dims+c] = mat.Dot(xc.RowView(i), v.ColView(col))
			}
		}
	} else {
		var gram mat.SymDense
		gram.SymOuterK(1, xc)
		if !eig.Factorize(&gram, true) {
			return nil, errors.New("tsne: PCA eigendecomposition failed; use random initialisation")
		}
		var u mat.Dense
		eig.VectorsTo(&u)
		vals := eig.Values(nil)
		for c := range min(dims, n) {
			col := len(vals) - 1 - c
			s := math.Sqrt(max(vals[col], 0))
			for i := range n {
				y[i*dims+c] = u.At(i, col) * s
			}
		}
	}
	for c := range dims {
		best := 0.0
		for i := range n {
			if v := y[i*dims+c]; math.Abs(v) > math.Abs(best) {
				best = v
			}
		}
		if best < 0 {
			for i := range n {
				y[i*dims+c] = -y[i*dims+c]
			}
		}
	}
	var m, ss float64
	for i := range n {
		m += y[i*dims]
	}
	m /= float64(n)
	for i := range n {
		ss += (y[i*dims] - m) * (y[i*dims] - m)
	}
	sd := math.Sqrt(ss / float64(n))
	if sd == 0 || math.IsNaN(sd) {
		return nil, errors.New("tsne: PCA initialisation: the data have no variance; use random initialisation")
	}
	for i := range y {
		y[i] *= initScale / sd
	}
	return y, nil
}

// randomInit draws n×dims coordinates from N(0, initScale²).
func randomInit(n, dims int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x75e5))
	y := make([]float64, n*dims)
	for i := range y {
		y[i] = initScale * rng.NormFloat64()
	}
	return y
}
