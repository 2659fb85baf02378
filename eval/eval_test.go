package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

const tol = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// checkDir compares every field of a Direction.
func checkDir(t *testing.T, what string, got, want Direction) {
	t.Helper()
	pairs := []struct {
		name string
		g, w float64
	}{
		{"R1", got.R1, want.R1}, {"R5", got.R5, want.R5}, {"R10", got.R10, want.R10},
		{"MedianRank", got.MedianRank, want.MedianRank},
		{"MeanRank", got.MeanRank, want.MeanRank},
		{"MAP", got.MAP, want.MAP},
	}
	for _, p := range pairs {
		if !near(p.g, p.w) {
			t.Errorf("%s %s = %.12g, want %.12g", what, p.name, p.g, p.w)
		}
	}
	if got.Queries != want.Queries || got.Gallery != want.Gallery {
		t.Errorf("%s queries/gallery = %d/%d, want %d/%d", what, got.Queries, got.Gallery, want.Queries, want.Gallery)
	}
}

func checkMetrics(t *testing.T, got, want Metrics) {
	t.Helper()
	checkDir(t, "i2t", got.I2T, want.I2T)
	checkDir(t, "t2i", got.T2I, want.T2I)
	if !near(got.RSum, want.RSum) {
		t.Errorf("RSum = %.12g, want %.12g", got.RSum, want.RSum)
	}
	if got.NImg != want.NImg || got.NTxt != want.NTxt {
		t.Errorf("counts = %d×%d, want %d×%d", got.NImg, got.NTxt, want.NImg, want.NTxt)
	}
}

// handSim is 3 images × 6 texts, two texts per image:
// texts 0,1 → image 0; 2,3 → image 1; 4,5 → image 2.
var (
	handSim = []float32{
		// t0   t1   t2   t3   t4   t5
		0.9, 0.1, 0.5, 0.9, 0.2, 0.3, // image 0
		0.2, 0.2, 0.8, 0.7, 0.1, 0.5, // image 1
		0.5, 0.5, 0.5, 0.5, 0.5, 0.5, // image 2 (constant row)
	}
	handLabels = []int{0, 0, 1, 1, 2, 2}
)

// TestEvaluateHand checks numbers worked out by hand.
//
// Image→text (relevant scores sorted v_1 ≥ v_2, c_m = irrelevant texts
// with score ≥ v_m, rank = 1 + c_1, AP = (1/c_1+1 + 2/(2+c_2))/2):
//
//	image 0: v = 0.9, 0.1; irrelevant 0.5 0.9 0.2 0.3.
//	         c_1 = 1 (t3 ties at 0.9, counted ahead), c_2 = 4.
//	         rank 2, AP = (1/2 + 2/6)/2 = 5/12.
//	image 1: v = 0.8, 0.7; irrelevant 0.2 0.2 0.1 0.5: c = 0, 0.
//	         rank 1, AP = 1.
//	image 2: v = 0.5, 0.5; all four irrelevant tie: c = 4, 4.
//	         rank 5, AP = (1/5 + 2/6)/2 = 4/15.
//
// ranks 2, 1, 5: R@1 = 100/3, R@5 = R@10 = 100, median 2, mean 8/3,
// mAP = 100·(5/12 + 1 + 4/15)/3 = 100·101/180.
//
// Text→image (column j, other images scoring ≥ the own image's score):
//
//	t0 (img 0, 0.9): 0.2 0.5       → rank 1
//	t1 (img 0, 0.1): 0.2 0.5       → rank 3
//	t2 (img 1, 0.8): 0.5 0.5       → rank 1
//	t3 (img 1, 0.7): 0.9 0.5       → rank 2
//	t4 (img 2, 0.5): 0.2 0.1       → rank 1
//	t5 (img 2, 0.5): 0.3 0.5 (tie) → rank 2
//
// ranks 1 3 1 2 1 2: R@1 = 50, R@5 = R@10 = 100, median (1+2)/2 = 1.5,
// mean 10/6, mAP = 100·(1 + 1/3 + 1 + 1/2 + 1 + 1/2)/6 = 100·13/18.
// rsum = 100/3 + 200 + 50 + 200.
func TestEvaluateHand(t *testing.T) {
	m, err := Evaluate(handSim, 3, 6, handLabels)
	if err != nil {
		t.Fatal(err)
	}
	want := Metrics{
		I2T: Direction{R1: 100.0 / 3, R5: 100, R10: 100, MedianRank: 2, MeanRank: 8.0 / 3,
			MAP: 100 * 101.0 / 180, Queries: 3, Gallery: 6},
		T2I: Direction{R1: 50, R5: 100, R10: 100, MedianRank: 1.5, MeanRank: 10.0 / 6,
			MAP: 100 * 13.0 / 18, Queries: 6, Gallery: 3},
		RSum: 100.0/3 + 200 + 50 + 200,
		NImg: 3, NTxt: 6,
	}
	checkMetrics(t, m, want)

	i2t, t2i, err := Ranks(handSim, 3, 6, handLabels)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 1, 5}; !slices.Equal(i2t, want) {
		t.Errorf("i2t ranks = %v, want %v", i2t, want)
	}
	if want := []int{1, 3, 1, 2, 1, 2}; !slices.Equal(t2i, want) {
		t.Errorf("t2i ranks = %v, want %v", t2i, want)
	}

	ci, ct, err := RecallCurve(handSim, 3, 6, handLabels, 4)
	if err != nil {
		t.Fatal(err)
	}
	// i2t ranks 2,1,5; t2i ranks 1,3,1,2,1,2.
	wi := []float64{100.0 / 3, 200.0 / 3, 200.0 / 3, 200.0 / 3}
	wt := []float64{50, 250.0 / 3, 100, 100}
	for k := range wi {
		if !near(ci[k], wi[k]) || !near(ct[k], wt[k]) {
			t.Errorf("curve at K=%d: i2t %g t2i %g, want %g %g", k+1, ci[k], ct[k], wi[k], wt[k])
		}
	}
}

// TestRelevantTies: other relevant texts tying with the best one do not
// push it down; irrelevant ones do.
//
//	image 0: relevant 0.7 0.7, irrelevant 0.7 0.1 → c = 1, 1:
//	         rank 2, AP = (1/2 + 2/3)/2 = 7/12.
//	image 1: relevant 0.4 0.4, irrelevant 0.2 0.3 → rank 1, AP = 1.
//	t2i: t0 .7 vs .2 → 1; t1 .7 vs .3 → 1; t2 .4 vs .7 → 2; t3 .4 vs .1 → 1.
func TestRelevantTies(t *testing.T) {
	sim := []float32{
		0.7, 0.7, 0.7, 0.1,
		0.2, 0.3, 0.4, 0.4,
	}
	labels := []int{0, 0, 1, 1}
	i2t, t2i, err := Ranks(sim, 2, 4, labels)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(i2t, []int{2, 1}) || !slices.Equal(t2i, []int{1, 1, 2, 1}) {
		t.Errorf("ranks i2t %v t2i %v, want [2 1] [1 1 2 1]", i2t, t2i)
	}
	m, err := Evaluate(sim, 2, 4, labels)
	if err != nil {
		t.Fatal(err)
	}
	if want := 100 * (7.0/12 + 1) / 2; !near(m.I2T.MAP, want) {
		t.Errorf("i2t mAP = %g, want %g", m.I2T.MAP, want)
	}
	if want := 100 * (1 + 1 + 0.5 + 1) / 4; !near(m.T2I.MAP, want) {
		t.Errorf("t2i mAP = %g, want %g", m.T2I.MAP, want)
	}

	// Every text of a single image is relevant: rank 1, AP 1.
	m, err = Evaluate([]float32{3, 1, 2}, 1, 3, []int{0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if m.I2T.R1 != 100 || m.I2T.MAP != 100 || m.T2I.R1 != 100 {
		t.Errorf("single image: %+v", m)
	}
}

// TestConstantSimilarity: with pessimistic ties a constant matrix gets the
// worst ranks: n−k+1 for i2t, nImg for t2i, so it scores below chance.
func TestConstantSimilarity(t *testing.T) {
	const nImg, k = 20, 2
	nTxt := nImg * k
	labels := make([]int, nTxt)
	for j := range labels {
		labels[j] = j / k
	}
	sim := make([]float32, nImg*nTxt)
	for p := range sim {
		sim[p] = 0.25
	}
	m, err := Evaluate(sim, nImg, nTxt, labels)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSum != 0 {
		t.Errorf("constant similarity rsum = %g, want 0", m.RSum)
	}
	if m.I2T.MedianRank != float64(nTxt-k+1) || m.T2I.MedianRank != nImg {
		t.Errorf("median ranks %g %g, want %d %d", m.I2T.MedianRank, m.T2I.MedianRank, nTxt-k+1, nImg)
	}
	// AP with both relevant texts behind all n−k irrelevant ones.
	wantAP := 100 * (1/float64(nTxt-1) + 2/float64(nTxt)) / 2
	if !near(m.I2T.MAP, wantAP) {
		t.Errorf("i2t mAP %g, want %g", m.I2T.MAP, wantAP)
	}
	c, err := Chance(nImg, nTxt, labels)
	if err != nil {
		t.Fatal(err)
	}
	if c.RSum <= m.RSum || c.I2T.MAP <= m.I2T.MAP || c.T2I.MAP <= m.T2I.MAP {
		t.Errorf("chance %+v should beat constant %+v", c, m)
	}
}

func TestPerfect(t *testing.T) {
	const n = 7
	sim := make([]float32, n*n)
	labels := make([]int, n)
	for i := range n {
		labels[i] = i
		sim[i*n+i] = 1
	}
	m, err := Evaluate(sim, n, n, labels)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []Direction{m.I2T, m.T2I} {
		if d.R1 != 100 || d.MAP != 100 || d.MedianRank != 1 || d.MeanRank != 1 {
			t.Errorf("perfect retrieval: %+v", d)
		}
	}
	if m.RSum != 600 {
		t.Errorf("rsum %g, want 600", m.RSum)
	}
}

// ---- brute-force reference, written independently of the package ----

// bruteI2T sorts each image's texts by score, irrelevant ones first among
// equals, and reads off the first relevant position and the AP.
func bruteI2T(sim []float32, nImg, nTxt int, labels []int) (ranks []int, ap []float64) {
	for i := 0; i < nImg; i++ {
		order := make([]int, nTxt)
		for j := range order {
			order[j] = j
		}
		sort.SliceStable(order, func(a, b int) bool {
			ja, jb := order[a], order[b]
			sa, sb := sim[i*nTxt+ja], sim[i*nTxt+jb]
			if sa != sb {
				return sa > sb
			}
			// Pessimistic: irrelevant before relevant.
			return labels[ja] != i && labels[jb] == i
		})
		first, found := 0, 0
		var sum float64
		for p, j := range order {
			if labels[j] == i {
				found++
				if found == 1 {
					first = p + 1
				}
				sum += float64(found) / float64(p+1)
			}
		}
		ranks = append(ranks, first)
		ap = append(ap, sum/float64(found))
	}
	return ranks, ap
}

// bruteT2I sorts each text's images by score, its own image last among
// equals.
func bruteT2I(sim []float32, nImg, nTxt int, labels []int) []int {
	var ranks []int
	for j := 0; j < nTxt; j++ {
		order := make([]int, nImg)
		for i := range order {
			order[i] = i
		}
		g := labels[j]
		sort.SliceStable(order, func(a, b int) bool {
			ia, ib := order[a], order[b]
			sa, sb := sim[ia*nTxt+j], sim[ib*nTxt+j]
			if sa != sb {
				return sa > sb
			}
			return ia != g && ib == g
		})
		ranks = append(ranks, slices.Index(order, g)+1)
	}
	return ranks
}

func bruteDir(ranks []int, ap []float64, gallery int) Direction {
	d := Direction{Queries: len(ranks), Gallery: gallery}
	s := slices.Clone(ranks)
	sort.Ints(s)
	n := len(s)
	if n%2 == 1 {
		d.MedianRank = float64(s[n/2])
	} else {
		d.MedianRank = float64(s[n/2-1]+s[n/2]) / 2
	}
	for q, r := range ranks {
		d.MeanRank += float64(r) / float64(n)
		d.MAP += 100 * ap[q] / float64(n)
		for _, c := range []struct {
			k int
			p *float64
		}{{1, &d.R1}, {5, &d.R5}, {10, &d.R10}} {
			if r <= c.k {
				*c.p += 100 / float64(n)
			}
		}
	}
	return d
}

func bruteMetrics(sim []float32, nImg, nTxt int, labels []int) (Metrics, []int, []int) {
	ri, api := bruteI2T(sim, nImg, nTxt, labels)
	rt := bruteT2I(sim, nImg, nTxt, labels)
	apt := make([]float64, len(rt))
	for j, r := range rt {
		apt[j] = 1 / float64(r)
	}
	m := Metrics{I2T: bruteDir(ri, api, nTxt), T2I: bruteDir(rt, apt, nImg), NImg: nImg, NTxt: nTxt}
	m.RSum = m.I2T.R1 + m.I2T.R5 + m.I2T.R10 + m.T2I.R1 + m.T2I.R5 + m.T2I.R10
	return m, ri, rt
}

// randomCase makes a similarity matrix whose scores take `levels`
// distinct values (many ties when small; levels ≤ 0 means continuous) and
// labels with k texts per image (k ≤ 0: random 1…5 per image), shuffled.
func randomCase(rng *rand.Rand, nImg, k, levels int) ([]float32, int, []int) {
	var labels []int
	for i := range nImg {
		ki := k
		if ki <= 0 {
			ki = 1 + rng.IntN(5)
		}
		for range ki {
			labels = append(labels, i)
		}
	}
	rng.Shuffle(len(labels), func(a, b int) { labels[a], labels[b] = labels[b], labels[a] })
	nTxt := len(labels)
	sim := make([]float32, nImg*nTxt)
	for p := range sim {
		if levels > 0 {
			sim[p] = float32(rng.IntN(levels)) / 4
		} else {
			sim[p] = float32(rng.IntN(1<<20)) / (1 << 20)
		}
	}
	// Make retrieval better than chance on some rows so all recalls vary.
	for j, g := range labels {
		if rng.IntN(3) == 0 {
			sim[g*nTxt+j] += float32(rng.IntN(2)) / 4
		}
	}
	return sim, nTxt, labels
}

func TestAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		nImg := 1 + rng.IntN(25)
		k := []int{1, 5, 0, 12}[trial%4] // 12: the binary-search path
		levels := []int{2, 3, 5, 0, 1}[trial%5]
		sim, nTxt, labels := randomCase(rng, nImg, k, levels)
		want, wi, wt := bruteMetrics(sim, nImg, nTxt, labels)
		got, err := Evaluate(sim, nImg, nTxt, labels)
		if err != nil {
			t.Fatal(err)
		}
		checkMetrics(t, got, want)
		gi, gt, err := Ranks(sim, nImg, nTxt, labels)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gi, wi) || !slices.Equal(gt, wt) {
			t.Fatalf("trial %d: ranks differ\n got %v %v\nwant %v %v", trial, gi, gt, wi, wt)
		}
		ci, ct, err := RecallCurve(sim, nImg, nTxt, labels, 30)
		if err != nil {
			t.Fatal(err)
		}
		for K := 1; K <= 30; K++ {
			var hi, ht float64
			for _, r := range wi {
				if r <= K {
					hi++
				}
			}
			for _, r := range wt {
				if r <= K {
					ht++
				}
			}
			if !near(ci[K-1], 100*hi/float64(len(wi))) || !near(ct[K-1], 100*ht/float64(len(wt))) {
				t.Fatalf("trial %d: curve at K=%d: %g %g", trial, K, ci[K-1], ct[K-1])
			}
		}
		if t.Failed() {
			t.Fatalf("trial %d (nImg %d, k %d, levels %d) failed", trial, nImg, k, levels)
		}
	}
}

func TestBadInput(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name       string
		sim        []float32
		nImg, nTxt int
		labels     []int
		msg        string
	}{
		{"nil", nil, 0, 0, nil, "at least one"},
		{"negative", []float32{1}, -1, 1, []int{0}, "at least one"},
		{"zero texts", []float32{}, 1, 0, []int{}, "at least one"},
		{"overflow", []float32{1}, math.MaxInt / 2, 3, []int{0, 0, 0}, "overflows"},
		{"short sim", []float32{1, 2, 3}, 2, 2, []int{0, 1}, "len(sim)"},
		{"long sim", []float32{1, 2, 3, 4, 5}, 2, 2, []int{0, 1}, "len(sim)"},
		{"short labels", []float32{1, 2, 3, 4}, 2, 2, []int{0}, "len(textImage)"},
		{"nil labels", []float32{1, 2, 3, 4}, 2, 2, nil, "len(textImage)"},
		{"label high", []float32{1, 2, 3, 4}, 2, 2, []int{0, 2}, "textImage[1] = 2"},
		{"label negative", []float32{1, 2, 3, 4}, 2, 2, []int{-1, 1}, "textImage[0] = -1"},
		{"image without text", []float32{1, 2, 3, 4}, 2, 2, []int{0, 0}, "image 1 has no text"},
		{"NaN", []float32{1, 2, 3, nan}, 2, 2, []int{0, 1}, "sim[3] (image 1, text 1) is NaN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(fn string, err error) {
				t.Helper()
				if err == nil {
					t.Errorf("%s: no error", fn)
				} else if !strings.Contains(err.Error(), c.msg) {
					t.Errorf("%s: error %q does not mention %q", fn, err, c.msg)
				}
			}
			_, err := Evaluate(c.sim, c.nImg, c.nTxt, c.labels)
			check("Evaluate", err)
			_, _, err = Ranks(c.sim, c.nImg, c.nTxt, c.labels)
			check("Ranks", err)
			_, _, err = RecallCurve(c.sim, c.nImg, c.nTxt, c.labels, 0)
			check("RecallCurve", err)
			if !strings.Contains(c.msg, "sim") {
				_, err = Chance(c.nImg, c.nTxt, c.labels)
				check("Chance", err)
				_, _, err = ChanceCurve(c.nImg, c.nTxt, c.labels, 0)
				check("ChanceCurve", err)
			}
		})
	}
}

func TestInfScores(t *testing.T) {
	inf := float32(math.Inf(1))
	sim := []float32{
		inf, -inf,
		inf, inf,
	}
	// t0 → image 0, t1 → image 1.
	// i2t: image 0, relevant +Inf beats −Inf → rank 1; image 1, relevant
	// +Inf ties with irrelevant +Inf → rank 2.
	// t2i: t0, own +Inf ties with image 1 → rank 2; t1, own +Inf beats
	// image 0's −Inf → rank 1.
	i2t, t2i, err := Ranks(sim, 2, 2, []int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(i2t, []int{1, 2}) || !slices.Equal(t2i, []int{2, 1}) {
		t.Errorf("ranks %v %v, want [1 2] [2 1]", i2t, t2i)
	}
}

func TestCurve(t *testing.T) {
	if Curve(nil, 5) != nil {
		t.Error("Curve(nil) should be nil")
	}
	got := Curve([]int{1, 3, 3, 200}, 4)
	want := []float64{25, 25, 75, 75}
	if !slices.Equal(got, want) {
		t.Errorf("Curve = %v, want %v", got, want)
	}
	if n := len(Curve([]int{1}, 0)); n != DefaultKmax {
		t.Errorf("default kmax gives %d points, want %d", n, DefaultKmax)
	}
}

// TestEvaluateQueries: over all queries it is Evaluate; over a subset it
// averages those queries' ranks, each still ranking the whole gallery.
func TestEvaluateQueries(t *testing.T) {
	// 3 images × 4 texts; text j describes image textImage[j].
	sim := []float32{
		0.9, 0.1, 0.8, 0.2,
		0.3, 0.7, 0.6, 0.1,
		0.95, 0.2, 0.1, 0.5,
	}
	ti := []int{0, 1, 1, 2}
	all, err := Evaluate(sim, 3, 4, ti)
	if err != nil {
		t.Fatal(err)
	}
	got, err := EvaluateQueries(sim, 3, 4, ti, []int{0, 1, 2}, []int{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if got != all {
		t.Errorf("all queries: %+v, Evaluate %+v", got, all)
	}
	// Image 2's own text (3) is second in its row (0.95 for text 0);
	// text 0 finds image 2 first (0.95 > 0.9): rank 2 both.
	sub, err := EvaluateQueries(sim, 3, 4, ti, []int{2}, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	if sub.I2T.R1 != 0 || sub.I2T.R5 != 100 || sub.T2I.R1 != 0 || sub.T2I.R5 != 100 || sub.I2T.Gallery != 4 || sub.T2I.Gallery != 3 {
		t.Errorf("image 2 and text 0: %+v", sub)
	}
	for _, bad := range [][2][]int{{{}, {0}}, {{3}, {0}}, {{0}, {4}}, {{-1}, {0}}} {
		if _, err := EvaluateQueries(sim, 3, 4, ti, bad[0], bad[1]); err == nil {
			t.Errorf("accepted queries %v", bad)
		}
	}
}
