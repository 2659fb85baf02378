// Package tsne embeds high-dimensional points in two (or a few)
// dimensions with t-distributed stochastic neighbour embedding (van der
// Maaten & Hinton 2008), exact for small sets and Barnes–Hut (van der
// Maaten 2014) for large ones. The figures draw domain alignment with it:
// source and target embeddings of images and sentences, jointly mapped.
//
// # Algorithm
//
// Input affinities. For each point i a Gaussian precision β_i is found
// by bisection so that the conditional distribution
//
//	p_{j|i} = exp(−β_i ‖x_i − x_j‖²) / Σ_{k≠i} exp(−β_i ‖x_i − x_k‖²)
//
// has entropy H_i = −Σ_j p_{j|i} log p_{j|i} = log(perplexity) within
// 1e-5 nats. Exact t-SNE takes j over all other points; Barnes–Hut over
// the k = min(N−1, ⌊3·perplexity⌋+1) nearest neighbours (brute force:
// float32 dot products through gonum's Sgemm, then float64 distances for
// the final choice). The joint affinities are P = (C + Cᵀ)/Σ(C + Cᵀ).
//
// Output affinities: w_ij = 1/(1 + ‖y_i − y_j‖²), q_ij = w_ij / Z,
// Z = Σ_{k≠l} w_kl. The cost is KL(P ‖ Q) = Σ p_ij log(p_ij / q_ij) and
//
//	∂KL/∂y_i = 4 Σ_j (p_ij − q_ij) w_ij (y_i − y_j).
//
// The attractive part runs over the non-zero p_ij; the repulsive part
// Σ_j w_ij² (y_i − y_j) and Z run over all pairs (Exact) or over a
// quadtree whose cell of width w, at distance d from y_i, stands for its
// points at their centre of mass when w < θ·d and it does not contain
// y_i (Barnes–Hut; leaves of up to 16 points are summed point by point
// when opened, so θ = 0 is exact).
//
// Auto (the default) uses Exact up to AutoExactMax points and Barnes–Hut
// above. Optimisation follows scikit-learn 1.2, whose defaults Defaults
// returns: 1000 iterations of gradient descent with momentum (0.5 for the first
// 250, then 0.8) and per-coordinate gains (+0.2 when the gradient opposes
// the last update, ×0.8 otherwise, at least 0.01); P multiplied by 12
// (early exaggeration) for the first 250; learning rate max(N/12/4, 50);
// initialisation by PCA scaled to standard deviation 1e-4, or random
// N(0, 1e-4²). The KL divergence is computed every 50 iterations
// (Result.History) and the run stops after 300 iterations without
// improvement. Result.KL is the final KL divergence (see Result).
//
// # Determinism and parallelism
//
// The per-point work (calibration, neighbour selection, gradient terms)
// runs on Options.Workers goroutines over fixed chunks of 64 points; each
// chunk writes only its own points, and the sums over points (Z, KL) are
// added afterwards in index order. The output is therefore identical for
// a given input, Options and Seed whatever the number of workers
// (TestDeterministic). gonum's Sgemm in the neighbour search uses
// GOMAXPROCS goroutines; it splits only the output, so it too is
// deterministic.
//
// # Agreement with scikit-learn
//
// TestAgainstScikitLearn runs scikit-learn's TSNE (Debian python3-sklearn
// 1.2) on the same points when /usr/bin/python3 has it: the joint
// affinities P agree to about 1e-9, the KL divergences of both embeddings
// under the same P agree within a few per cent, and so does
// trustworthiness, which our Trustworthiness computes exactly as
// scikit-learn's does. bench/tsne/run.sh compares speed on 5,000 × 256
// points.
//
// # Why not an existing Go package
//
// Two Go t-SNE packages exist. github.com/danaugrs/go-tsne is exact only
// (dense N×N matrices through gonum/mat, several of them per iteration),
// has no early exaggeration, momentum or gains, draws its initialisation
// from the unseeded global math/rand, and never resets its gradient
// between iterations, so every step adds the new gradient to all earlier
// ones. github.com/sacado/tsne4go (a port of karpathy's tsnejs) is exact
// only with perplexity fixed at 30 and 2-D fixed at compile time, and its
// parallel update adds to a shared mean from many goroutines without
// synchronisation (a data race) and calls WaitGroup.Add inside the
// goroutines. Neither has Barnes–Hut, so neither can map the several
// thousand points of a figure in seconds; this package is written from
// the papers and scikit-learn's documented behaviour.
package tsne
