package eval

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// enumChance computes the chance metrics of one direction exactly by
// enumerating every placement of each query's k relevant items among n
// positions (all equally likely under a random permutation).
func enumChance(n int, ks []int) Direction {
	d := Direction{Queries: len(ks), Gallery: n}
	dist := make([]float64, n+2) // pooled P(rank = r)
	wq := 1 / float64(len(ks))
	for _, k := range ks {
		var cnt float64
		var sumRank, sumAP float64
		hist := make([]float64, n+2)
		for mask := uint(0); mask < 1<<n; mask++ {
			if bits.OnesCount(mask) != k {
				continue
			}
			cnt++
			found := 0
			var ap float64
			for p := 1; p <= n; p++ {
				if mask&(1<<(p-1)) == 0 {
					continue
				}
				found++
				if found == 1 {
					sumRank += float64(p)
					hist[p]++
				}
				ap += float64(found) / float64(p)
			}
			sumAP += ap / float64(k)
		}
		d.MeanRank += wq * sumRank / cnt
		d.MAP += 100 * wq * sumAP / cnt
		for r := range hist {
			dist[r] += wq * hist[r] / cnt
		}
	}
	var F float64
	for r := 1; r <= n; r++ {
		F += dist[r]
		if r == 1 {
			d.R1 = 100 * F
		}
		if r == min(5, n) {
			d.R5 = 100 * F
		}
		if r == min(10, n) {
			d.R10 = 100 * F
		}
	}
	if n < 5 {
		d.R5 = 100
	}
	if n < 10 {
		d.R10 = 100
	}
	// Median with the midpoint rule.
	F = 0
	for r := 1; r <= n; r++ {
		F += dist[r]
		if math.Abs(F-0.5) < 1e-12 {
			d.MedianRank = float64(r) + 0.5
			break
		}
		if F > 0.5 {
			d.MedianRank = float64(r)
			break
		}
	}
	return d
}

func TestChanceExact(t *testing.T) {
	cases := []struct {
		nImg   int
		labels []int
	}{
		{3, []int{0, 1, 1, 2, 2, 2}},                      // k = 1, 2, 3
		{4, []int{0, 1, 2, 3, 3, 3}},                      // t2i median 2.5
		{2, []int{1, 0, 1, 0, 1, 0, 1, 1}},                // k = 3, 5
		{12, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}}, // n > 10
		{1, []int{0, 0, 0}},                               // everything relevant
	}
	for _, c := range cases {
		nTxt := len(c.labels)
		got, err := Chance(c.nImg, nTxt, c.labels)
		if err != nil {
			t.Fatal(err)
		}
		ks := make([]int, c.nImg)
		for _, g := range c.labels {
			ks[g]++
		}
		want := Metrics{
			I2T:  enumChance(nTxt, ks),
			T2I:  enumChance(c.nImg, ones(nTxt)),
			NImg: c.nImg, NTxt: nTxt,
		}
		want.RSum = want.I2T.R1 + want.I2T.R5 + want.I2T.R10 + want.T2I.R1 + want.T2I.R5 + want.T2I.R10
		checkMetrics(t, got, want)

		ci, ct, err := ChanceCurve(c.nImg, nTxt, c.labels, 12)
		if err != nil {
			t.Fatal(err)
		}
		if len(ci) != 12 || !near(ci[0], got.I2T.R1) || !near(ci[4], got.I2T.R5) || !near(ci[9], got.I2T.R10) ||
			!near(ct[0], got.T2I.R1) || !near(ct[4], got.T2I.R5) || !near(ct[9], got.T2I.R10) {
			t.Errorf("ChanceCurve %v %v disagrees with Chance %+v", ci, ct, got)
		}
	}
}

// TestChanceUniform checks the closed forms for one relevant item among n.
func TestChanceUniform(t *testing.T) {
	const n = 1000
	labels := make([]int, n)
	for j := range labels {
		labels[j] = j
	}
	m, err := Chance(n, n, labels)
	if err != nil {
		t.Fatal(err)
	}
	var h float64
	for i := 1; i <= n; i++ {
		h += 1 / float64(i)
	}
	for _, d := range []Direction{m.I2T, m.T2I} {
		if !near(d.R1, 0.1) || !near(d.R5, 0.5) || !near(d.R10, 1) ||
			!near(d.MeanRank, 500.5) || !near(d.MedianRank, 500.5) || !near(d.MAP, 100*h/n) {
			t.Errorf("uniform chance: %+v", d)
		}
	}
	if !near(m.RSum, 3.2) {
		t.Errorf("rsum %g, want 3.2", m.RSum)
	}
}

// TestChanceMatchesRandomScores: the mean of Evaluate over many random
// continuous similarity matrices approaches Chance.
func TestChanceMatchesRandomScores(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const nImg, k, trials = 10, 2, 400
	nTxt := nImg * k
	labels := make([]int, nTxt)
	for j := range labels {
		labels[j] = j % nImg
	}
	sim := make([]float32, nImg*nTxt)
	var sum Metrics
	for range trials {
		for p := range sim {
			sim[p] = rng.Float32()
		}
		m, err := Evaluate(sim, nImg, nTxt, labels)
		if err != nil {
			t.Fatal(err)
		}
		sum.I2T.R1 += m.I2T.R1 / trials
		sum.I2T.R5 += m.I2T.R5 / trials
		sum.I2T.MeanRank += m.I2T.MeanRank / trials
		sum.I2T.MAP += m.I2T.MAP / trials
		sum.T2I.R1 += m.T2I.R1 / trials
		sum.T2I.MeanRank += m.T2I.MeanRank / trials
		sum.T2I.MAP += m.T2I.MAP / trials
	}
	c, err := Chance(nImg, nTxt, labels)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"i2t R1", sum.I2T.R1, c.I2T.R1, 2.5},
		{"i2t R5", sum.I2T.R5, c.I2T.R5, 3.5},
		{"i2t mean rank", sum.I2T.MeanRank, c.I2T.MeanRank, 0.3},
		{"i2t mAP", sum.I2T.MAP, c.I2T.MAP, 2},
		{"t2i R1", sum.T2I.R1, c.T2I.R1, 2.5},
		{"t2i mean rank", sum.T2I.MeanRank, c.T2I.MeanRank, 0.2},
		{"t2i mAP", sum.T2I.MAP, c.T2I.MAP, 2},
	} {
		if math.Abs(p.got-p.want) > p.tol {
			t.Errorf("%s: random scores average %g, chance %g", p.name, p.got, p.want)
		}
	}
}
