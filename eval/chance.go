package eval

import (
	"math"
	"slices"
)

// Chance returns the metrics expected from a uniformly random ranking of
// each gallery (a random permutation, no ties), for the galleries
// described by nImg, nTxt and textImage. Reports print it as the chance
// row.
//
// For a query with k relevant items among n candidates, the best relevant
// item is at position r with
//
//	P(rank > K) = C(n-k, K) / C(n, K),  E[rank] = (n+1)/(k+1),
//	E[AP]       = ((k-1)/(n-1) · (n - H_n) + H_n) / n,
//
// where H_n is the n-th harmonic number (k = 1 gives E[1/rank] = H_n/n).
// R@K, MeanRank and MAP are averaged over the queries (each image has its
// own k for i2t; k = 1 for t2i). MedianRank is the median of the pooled
// rank distribution, taking the midpoint when the distribution function
// hits exactly 1/2 (so n candidates and k = 1 give (n+1)/2, as the
// median of ranks does).
//
// It returns the same errors as Evaluate for bad nImg, nTxt or textImage.
func Chance(nImg, nTxt int, textImage []int) (Metrics, error) {
	perImage, err := validateLabels(nImg, nTxt, textImage)
	if err != nil {
		return Metrics{}, err
	}
	var m Metrics
	m.NImg, m.NTxt = nImg, nTxt
	m.I2T, _ = chanceDirection(nTxt, perImage, 0)
	m.T2I, _ = chanceDirection(nImg, ones(nTxt), 0)
	m.RSum = m.I2T.R1 + m.I2T.R5 + m.I2T.R10 + m.T2I.R1 + m.T2I.R5 + m.T2I.R10
	return m, nil
}

// ChanceCurve returns the expected R@K (percent) of a random ranking for
// K = 1…kmax in both directions, the chance line of a recall@K figure.
// kmax ≤ 0 means DefaultKmax.
func ChanceCurve(nImg, nTxt int, textImage []int, kmax int) (i2t, t2i []float64, err error) {
	perImage, err := validateLabels(nImg, nTxt, textImage)
	if err != nil {
		return nil, nil, err
	}
	if kmax <= 0 {
		kmax = DefaultKmax
	}
	_, i2t = chanceDirection(nTxt, perImage, kmax)
	_, t2i = chanceDirection(nImg, ones(nTxt), kmax)
	return i2t, t2i, nil
}

func ones(n int) []int {
	k := make([]int, n)
	for i := range k {
		k[i] = 1
	}
	return k
}

// chanceDirection computes the expected metrics for queries whose
// relevant counts are ks (one entry per query, each 1 ≤ k ≤ n) against a
// gallery of n candidates, plus the expected recall curve up to kmax.
func chanceDirection(n int, ks []int, kmax int) (Direction, []float64) {
	// Group queries by their number of relevant items.
	count := map[int]int{}
	for _, k := range ks {
		count[k]++
	}
	distinct := make([]int, 0, len(count))
	for k := range count {
		distinct = append(distinct, k)
	}
	slices.Sort(distinct) // deterministic summation order

	var hn float64 // H_n
	for t := n; t >= 1; t-- {
		hn += 1 / float64(t)
	}

	nq := float64(len(ks))
	cdf := make([]float64, n+1) // cdf[r] = P(rank ≤ r) pooled over queries
	var meanRank, mapSum float64
	for _, k := range distinct {
		w := float64(count[k]) / nq
		meanRank += w * float64(n+1) / float64(k+1)
		if k == n {
			mapSum += w
		} else {
			mapSum += w * (float64(k-1)/float64(n-1)*(float64(n)-hn) + hn) / float64(n)
		}
		surv := 1.0 // P(rank > r)
		for r := 1; r <= n; r++ {
			if num := n - k - r + 1; num <= 0 {
				surv = 0
			} else {
				surv *= float64(num) / float64(n-r+1)
			}
			cdf[r] += w * (1 - surv)
		}
	}

	at := func(K int) float64 {
		if K >= n {
			return 100
		}
		return 100 * math.Min(cdf[K], 1)
	}
	d := Direction{
		R1:         at(1),
		R5:         at(5),
		R10:        at(10),
		MeanRank:   meanRank,
		MAP:        100 * mapSum,
		Queries:    len(ks),
		Gallery:    n,
		MedianRank: float64(n),
	}
	const eps = 1e-12
	for r := 1; r <= n; r++ {
		if cdf[r] >= 0.5-eps {
			d.MedianRank = float64(r)
			if math.Abs(cdf[r]-0.5) <= eps && r < n {
				d.MedianRank = float64(r) + 0.5
			}
			break
		}
	}
	var curve []float64
	if kmax > 0 {
		curve = make([]float64, kmax)
		for K := 1; K <= kmax; K++ {
			curve[K-1] = at(K)
		}
	}
	return d, curve
}
