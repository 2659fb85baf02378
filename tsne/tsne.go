package tsne

import (
	"fmt"
	"math"
	"slices"
)

// exactKLMaxN is the largest N for which Result.KL sums Z over all pairs
// under Barnes–Hut (an O(N²) pass); above it the tree's estimate is used.
const exactKLMaxN = 20000

// Check is the state of the optimisation at one check.
type Check struct {
	Iter         int     // iterations done (1-based)
	KL           float64 // KL(P ‖ Q), unexaggerated P; Z from the gradient's method
	GradNorm     float64 // Euclidean norm of the gradient
	Exaggeration float64 // factor applied to P in this iteration
}

// Result is an embedding and how it was reached.
type Result struct {
	Y      []float64 // N×Dims, row-major
	N      int
	Dims   int
	Method Method // the method used (never Auto)
	// KL is KL(P ‖ Q) of the final embedding with the unexaggerated P:
	// exact for Exact; for Barnes–Hut, over the sparse P with Z summed
	// over all pairs when N ≤ 20,000, else with the quadtree's Z.
	KL         float64
	Iters      int // iterations run (fewer than Options.Iters if stopped early)
	Neighbours int // k of the k-NN graph (Barnes–Hut), or N−1 (Exact)
	History    []Check
}

// At returns the coordinates of point i (a slice of Y).
func (r *Result) At(i int) []float64 { return r.Y[i*r.Dims : (i+1)*r.Dims] }

// Embed runs t-SNE on the n×d row-major matrix x (float32, as embeddings
// come out of the model) and returns the n×opt.Dims embedding.
//
// It panics if len(x) != n·d. It returns an error for unusable options,
// for fewer than 2 points, for a perplexity not below n, and for a NaN
// or infinite input value.
func Embed(x []float32, n, d int, opt Options) (*Result, error) {
	if n < 0 || d < 1 || len(x) != n*d {
		panic(fmt.Sprintf("tsne: Embed: %d values for %d×%d", len(x), n, d))
	}
	method, err := opt.validate(n)
	if err != nil {
		return nil, err
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("tsne: input row %d, column %d is %v", i/d, i%d, v)
		}
	}
	dims := opt.Dims
	res := &Result{N: n, Dims: dims, Method: method}
	var obj objective
	var sp *sparseP
	switch method {
	case Exact:
		obj = newExact(affinitiesDense(x, n, d, opt.Perplexity, opt.Workers), n, dims, opt.Workers)
		res.Neighbours = n - 1
	case BarnesHut:
		k := opt.neighbours(n)
		sp = affinitiesKNN(x, n, d, k, opt.Perplexity, opt.Workers)
		obj = newBH(sp, opt.Theta, opt.Workers)
		res.Neighbours = k
	}
	var y []float64
	switch {
	case opt.InitY != nil:
		y = slices.Clone(opt.InitY)
	case opt.Init == PCA:
		if y, err = pcaInit(x, n, d, dims); err != nil {
			return nil, err
		}
	default:
		y = randomInit(n, dims, opt.Seed)
	}
	lr := opt.LearningRate
	if lr == 0 {
		lr = max(float64(n)/opt.Exaggeration/4, 50)
	}
	res.Iters, res.History = optimise(obj, y, lr, &opt)
	res.Y = y
	switch {
	case method == BarnesHut && n <= exactKLMaxN:
		res.KL = exactKL(sp, y, dims, opt.Workers)
	default:
		g := make([]float64, len(y))
		res.KL = obj.grad(y, g, 1, true)
	}
	return res, nil
}

// optimise runs gradient descent with momentum and per-coordinate gains
// (Jacobs 1988), as scikit-learn does:
//
//	gain ← gain + 0.2 if g·update < 0, else gain·0.8;   gain ≥ MinGain
//	update ← momentum·update − lr·gain·g;   y ← y + update
//
// It returns the iterations run and the checks.
func optimise(obj objective, y []float64, lr float64, opt *Options) (int, []Check) {
	g := make([]float64, len(y))
	upd := make([]float64, len(y))
	gains := make([]float64, len(y))
	for i := range gains {
		gains[i] = 1
	}
	var hist []Check
	best, bestIter := math.Inf(1), opt.ExaggerationIters
	it := 0
	for it < opt.Iters {
		early := it < opt.ExaggerationIters
		exag, mom := 1.0, opt.FinalMomentum
		if early {
			exag, mom = opt.Exaggeration, opt.Momentum
		}
		check := (it+1)%opt.CheckEvery == 0 || it == opt.Iters-1
		kl := obj.grad(y, g, exag, check)
		var gn float64
		for c, gc := range g {
			if gc*upd[c] < 0 {
				gains[c] += 0.2
			} else {
				gains[c] *= 0.8
			}
			gains[c] = max(gains[c], opt.MinGain)
			upd[c] = mom*upd[c] - lr*gains[c]*gc
			y[c] += upd[c]
			gn += gc * gc
		}
		it++
		if !check {
			continue
		}
		c := Check{Iter: it, KL: kl, GradNorm: math.Sqrt(gn), Exaggeration: exag}
		hist = append(hist, c)
		if opt.Progress != nil {
			opt.Progress(c)
		}
		if c.GradNorm < opt.MinGradNorm {
			break
		}
		if early {
			continue
		}
		if kl < best {
			best, bestIter = kl, it
		} else if opt.NoProgressIters > 0 && it-bestIter > opt.NoProgressIters {
			break
		}
	}
	return it, hist
}
