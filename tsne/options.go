package tsne

import (
	"fmt"
	"math"
)

// Method selects how the gradient is computed.
type Method int

const (
	// Auto uses Exact for at most AutoExactMax points and BarnesHut above.
	Auto Method = iota
	// Exact uses dense affinities over all pairs (P from every other
	// point, Q summed over every pair): O(N²) time per iteration and N²
	// float64s of memory.
	Exact
	// BarnesHut uses sparse affinities over the k nearest neighbours and
	// a quadtree for the repulsive forces: O(N log N) per iteration.
	// Output must be 2-D.
	BarnesHut
)

// AutoExactMax is the largest number of points for which Auto picks
// Exact. Measured on 64-D clustered data (2 cores): exact and Barnes–Hut
// take the same time at 300 points, exact 2.5× longer at 600 and 1000.
const AutoExactMax = 500

// ExactMaxN is the largest number of points Exact accepts (its dense
// affinities take N² float64s: 512 MiB at this size).
const ExactMaxN = 8192

func (m Method) String() string {
	switch m {
	case Auto:
		return "auto"
	case Exact:
		return "exact"
	case BarnesHut:
		return "barnes-hut"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod reads "auto", "exact" or "barnes-hut" (also "bh").
func ParseMethod(s string) (Method, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "exact":
		return Exact, nil
	case "barnes-hut", "bh", "barneshut":
		return BarnesHut, nil
	}
	return Auto, fmt.Errorf("tsne: unknown method %q (want auto, exact or barnes-hut)", s)
}

// Init selects the initial embedding.
type Init int

const (
	// PCA projects the centred data on its first principal components,
	// scaled so that the first coordinate has standard deviation 1e-4
	// (scikit-learn's default since 1.2). Deterministic; ignores Seed.
	PCA Init = iota
	// Random draws every coordinate from N(0, 1e-4²) with the Seed.
	Random
)

func (i Init) String() string {
	switch i {
	case PCA:
		return "pca"
	case Random:
		return "random"
	}
	return fmt.Sprintf("Init(%d)", int(i))
}

// Options configure Embed. Start from Defaults and change fields; the
// zero value is not usable.
type Options struct {
	// Dims is the output dimension: 2 for Barnes–Hut, any of 1…8 for
	// Exact.
	Dims int
	// Perplexity is the effective number of neighbours each point's
	// Gaussian is calibrated to (2^H of its conditional distribution).
	// It must be below the number of points.
	Perplexity float64
	// Method chooses Exact or Barnes–Hut; Auto decides by size.
	Method Method
	// Theta is the Barnes–Hut opening angle θ: a quadtree cell of width w
	// at distance d from a point is summarised by its centre of mass when
	// w < θ·d. θ = 0 opens every cell (exact repulsion over the sparse P).
	Theta float64
	// Neighbours is the k of the k-nearest-neighbour graph of Barnes–Hut;
	// 0 means min(N−1, ⌊3·Perplexity⌋+1), as in scikit-learn.
	Neighbours int
	// Iters is the total number of gradient steps, including the early
	// exaggeration phase.
	Iters int
	// ExaggerationIters is the length of the first phase, in which P is
	// multiplied by Exaggeration and the momentum is Momentum.
	ExaggerationIters int
	Exaggeration      float64
	// LearningRate is the step size; 0 means max(N/Exaggeration/4, 50)
	// (scikit-learn's "auto"; the gradient includes the factor 4).
	LearningRate float64
	// Momentum applies during early exaggeration, FinalMomentum after.
	Momentum, FinalMomentum float64
	// MinGain bounds the per-coordinate adaptive gains from below (gains
	// grow by 0.2 when the gradient changes sign and shrink by ×0.8
	// otherwise).
	MinGain float64
	// Init chooses the initial embedding when InitY is nil.
	Init Init
	// InitY, when not nil, is the initial embedding (N×Dims, row-major).
	InitY []float64
	// Seed drives the random initialisation. Embed is deterministic for a
	// given input, Options and Seed, whatever Workers is.
	Seed uint64
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
	// CheckEvery is how often (in iterations) the KL divergence is
	// computed, recorded in Result.History and passed to Progress.
	CheckEvery int
	// NoProgressIters stops the optimisation when, after early
	// exaggeration, the KL divergence has not improved for this many
	// iterations (checked every CheckEvery); 0 never stops early.
	NoProgressIters int
	// MinGradNorm stops the optimisation when the gradient norm falls
	// below it at a check.
	MinGradNorm float64
	// Progress, when not nil, is called at every check.
	Progress func(Check)
}

// Defaults returns scikit-learn 1.2's defaults: 2-D, perplexity 30,
// Barnes–Hut with θ = 0.5 (exact up to AutoExactMax points), 1000
// iterations of which 250 with exaggeration 12 and momentum 0.5 (then
// 0.8), automatic learning rate, PCA initialisation, checks every 50
// iterations, stop after 300 iterations without progress.
func Defaults() Options {
	return Options{
		Dims: 2, Perplexity: 30, Method: Auto, Theta: 0.5,
		Iters: 1000, ExaggerationIters: 250, Exaggeration: 12,
		Momentum: 0.5, FinalMomentum: 0.8, MinGain: 0.01,
		Init: PCA, Seed: 1, CheckEvery: 50, NoProgressIters: 300, MinGradNorm: 1e-7,
	}
}

func finitePos(x float64) bool { return x > 0 && !math.IsInf(x, 0) && !math.IsNaN(x) }

// validate checks o for n points and returns the method to use.
func (o *Options) validate(n int) (Method, error) {
	switch {
	case n < 2:
		return 0, fmt.Errorf("tsne: need at least 2 points, have %d", n)
	case !finitePos(o.Perplexity):
		return 0, fmt.Errorf("tsne: perplexity %v must be positive", o.Perplexity)
	case o.Perplexity >= float64(n):
		return 0, fmt.Errorf("tsne: perplexity %v must be less than the number of points (%d)", o.Perplexity, n)
	case o.Dims < 1 || o.Dims > 8:
		return 0, fmt.Errorf("tsne: %d output dimensions, want 1…8", o.Dims)
	case o.Iters < 1:
		return 0, fmt.Errorf("tsne: %d iterations", o.Iters)
	case o.ExaggerationIters < 0:
		return 0, fmt.Errorf("tsne: %d exaggeration iterations", o.ExaggerationIters)
	case !finitePos(o.Exaggeration):
		return 0, fmt.Errorf("tsne: exaggeration %v must be positive", o.Exaggeration)
	case o.LearningRate < 0 || math.IsNaN(o.LearningRate) || math.IsInf(o.LearningRate, 0):
		return 0, fmt.Errorf("tsne: learning rate %v", o.LearningRate)
	case o.Momentum < 0 || o.Momentum >= 1 || o.FinalMomentum < 0 || o.FinalMomentum >= 1:
		return 0, fmt.Errorf("tsne: momenta %v, %v out of [0, 1)", o.Momentum, o.FinalMomentum)
	case !finitePos(o.MinGain):
		return 0, fmt.Errorf("tsne: min gain %v must be positive", o.MinGain)
	case o.Theta < 0 || math.IsNaN(o.Theta) || math.IsInf(o.Theta, 0):
		return 0, fmt.Errorf("tsne: theta %v must be ≥ 0", o.Theta)
	case o.Neighbours < 0:
		return 0, fmt.Errorf("tsne: %d neighbours", o.Neighbours)
	case o.CheckEvery < 1:
		return 0, fmt.Errorf("tsne: check every %d iterations", o.CheckEvery)
	case o.NoProgressIters < 0 || o.Workers < 0 || o.MinGradNorm < 0:
		return 0, fmt.Errorf("tsne: negative NoProgressIters, Workers or MinGradNorm")
	case o.Init != PCA && o.Init != Random:
		return 0, fmt.Errorf("tsne: unknown init %v", o.Init)
	case o.InitY != nil && len(o.InitY) != n*o.Dims:
		return 0, fmt.Errorf("tsne: InitY has %d values, want %d×%d", len(o.InitY), n, o.Dims)
	}
	for i, v := range o.InitY {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("tsne: InitY[%d] is %v", i, v)
		}
	}
	m := o.Method
	if m == Auto {
		m = BarnesHut
		if n <= AutoExactMax || o.Dims != 2 {
			m = Exact
		}
	}
	switch m {
	case Exact:
		if n > ExactMaxN {
			return 0, fmt.Errorf("tsne: exact t-SNE of %d points needs %d MiB for P; use Barnes–Hut (at most %d points for exact)", n, n*n*8>>20, ExactMaxN)
		}
	case BarnesHut:
		if o.Dims != 2 {
			return 0, fmt.Errorf("tsne: Barnes–Hut embeds in 2 dimensions, not %d; use the exact method", o.Dims)
		}
		k := o.Neighbours
		if k > n-1 {
			return 0, fmt.Errorf("tsne: %d neighbours of %d points", k, n)
		}
		if k != 0 && float64(k) <= o.Perplexity {
			return 0, fmt.Errorf("tsne: %d neighbours cannot reach perplexity %v; use more than the perplexity", k, o.Perplexity)
		}
	default:
		return 0, fmt.Errorf("tsne: unknown method %v", o.Method)
	}
	return m, nil
}

// neighbours returns k for n points.
func (o *Options) neighbours(n int) int {
	if o.Neighbours > 0 {
		return o.Neighbours
	}
	return min(n-1, int(3*o.Perplexity)+1)
}
