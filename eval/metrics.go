package eval

import (
	"fmt"
	"math"
	"slices"
)

// DefaultKmax is the largest K of a recall curve when RecallCurve or
// ChanceCurve is given kmax ≤ 0.
const DefaultKmax = 100

// Direction holds the retrieval metrics of one query direction. Recalls
// and MAP are percentages; ranks are 1-based.
type Direction struct {
	R1         float64 `json:"r1"`
	R5         float64 `json:"r5"`
	R10        float64 `json:"r10"`
	MedianRank float64 `json:"median_rank"`
	MeanRank   float64 `json:"mean_rank"`
	MAP        float64 `json:"map"`
	// Queries is the number of queries averaged over (nImg for i2t,
	// nTxt for t2i).
	Queries int `json:"queries"`
	// Gallery is the number of candidates each query ranks (nTxt for i2t,
	// nImg for t2i).
	Gallery int `json:"gallery"`
}

// Metrics holds the image→text and text→image metrics of one similarity
// matrix. RSum is the sum of the six recalls (R@1, R@5, R@10 of both
// directions), so it lies in [0, 600].
type Metrics struct {
	I2T  Direction `json:"i2t"`
	T2I  Direction `json:"t2i"`
	RSum float64   `json:"rsum"`
	NImg int       `json:"n_img"`
	NTxt int       `json:"n_txt"`
}

// Evaluate computes the retrieval metrics of the nImg×nTxt row-major
// similarity matrix sim, where text j describes image textImage[j]. See
// the package documentation for the ranking rule (pessimistic ties, best
// relevant text for image→text) and the formulas.
//
// It returns an error, and never panics, when the lengths do not match
// nImg and nTxt, when a textImage entry is out of range, when an image has
// no text or when a score is NaN.
func Evaluate(sim []float32, nImg, nTxt int, textImage []int) (Metrics, error) {
	r, err := computeRanks(sim, nImg, nTxt, textImage, true)
	if err != nil {
		return Metrics{}, err
	}
	return metricsOf(r.i2t, r.ap, r.t2i, nImg, nTxt), nil
}

// metricsOf summarises the ranks (and i2t average precisions) of a set of
// queries over galleries of nTxt texts (i2t) and nImg images (t2i).
func metricsOf(i2t []int, ap []float64, t2i []int, nImg, nTxt int) Metrics {
	m := Metrics{NImg: nImg, NTxt: nTxt}
	m.I2T = summarize(i2t, nTxt)
	m.I2T.MAP = 100 * meanFloat(ap)
	m.T2I = summarize(t2i, nImg)
	var inv float64
	for _, x := range t2i {
		inv += 1 / float64(x)
	}
	m.T2I.MAP = 100 * inv / float64(len(t2i))
	m.RSum = m.I2T.R1 + m.I2T.R5 + m.I2T.R10 + m.T2I.R1 + m.T2I.R5 + m.T2I.R10
	return m
}

// Ranks returns the 1-based rank of every query: i2t[i] for image i
// (length nImg) and t2i[j] for text j (length nTxt), with the ranking rule
// of the package documentation. Evaluate, RecallCurve and Curve are built
// on the same ranks; callers that need both metrics and curves can call
// Ranks once and pass the result to Curve.
func Ranks(sim []float32, nImg, nTxt int, textImage []int) (i2t, t2i []int, err error) {
	r, err := computeRanks(sim, nImg, nTxt, textImage, false)
	if err != nil {
		return nil, nil, err
	}
	return r.i2t, r.t2i, nil
}

// RecallCurve returns R@K in percent for K = 1…kmax in both directions:
// i2t[K-1] and t2i[K-1]. kmax ≤ 0 means DefaultKmax. K larger than the
// gallery is allowed; the curve is then 100 from K = gallery size on.
func RecallCurve(sim []float32, nImg, nTxt int, textImage []int, kmax int) (i2t, t2i []float64, err error) {
	ri, rt, err := Ranks(sim, nImg, nTxt, textImage)
	if err != nil {
		return nil, nil, err
	}
	return Curve(ri, kmax), Curve(rt, kmax), nil
}

// Curve turns 1-based ranks into a recall curve: curve[K-1] is the
// percentage of ranks ≤ K, for K = 1…kmax (kmax ≤ 0 means DefaultKmax).
// It returns nil for empty ranks; ranks < 1 count as 1.
func Curve(ranks []int, kmax int) []float64 {
	if len(ranks) == 0 {
		return nil
	}
	if kmax <= 0 {
		kmax = DefaultKmax
	}
	hist := make([]float64, kmax)
	for _, r := range ranks {
		if r < 1 {
			r = 1
		}
		if r <= kmax {
			hist[r-1]++
		}
	}
	n := float64(len(ranks))
	var acc float64
	for k := range hist {
		acc += hist[k]
		hist[k] = 100 * acc / n
	}
	return hist
}

// rankResult is the output of the single pass over the matrix.
type rankResult struct {
	i2t []int     // per image, 1-based
	t2i []int     // per text, 1-based
	ap  []float64 // per image i2t average precision in [0,1]; nil unless asked
}

// computeRanks validates the input and computes all ranks in one
// row-major pass over sim (cache friendly for both directions).
func computeRanks(sim []float32, nImg, nTxt int, textImage []int, wantAP bool) (rankResult, error) {
	perImage, err := validate(sim, nImg, nTxt, textImage)
	if err != nil {
		return rankResult{}, err
	}

	// Texts of every image, grouped (CSR layout).
	start := make([]int, nImg+1)
	for i, c := range perImage {
		start[i+1] = start[i] + c
	}
	texts := make([]int, nTxt)
	fill := slices.Clone(start[:nImg])
	for j, g := range textImage {
		texts[fill[g]] = j
		fill[g]++
	}
	kmaxImg := slices.Max(perImage)

	// Score of every text with its own image: the t2i threshold.
	target := make([]float32, nTxt)
	for j, g := range textImage {
		target[j] = sim[g*nTxt+j]
	}

	res := rankResult{i2t: make([]int, nImg), t2i: make([]int, nTxt)}
	if wantAP {
		res.ap = make([]float64, nImg)
	}
	for j := range res.t2i {
		res.t2i[j] = 1
	}
	rel := make([]float32, kmaxImg) // relevant scores, descending
	hist := make([]int, kmaxImg+1)  // hist[m]: irrelevant texts ranked just ahead of relevant text m
	for i := 0; i < nImg; i++ {
		row := sim[i*nTxt : (i+1)*nTxt]
		own := texts[start[i]:start[i+1]]
		k := len(own)
		rv := rel[:k]
		for m, j := range own {
			rv[m] = row[j]
		}
		slices.SortFunc(rv, func(a, b float32) int {
			switch {
			case a > b:
				return -1
			case a < b:
				return 1
			}
			return 0
		})
		h := hist[:k+1]
		clear(h)
		t2i := res.t2i
		if k <= 8 {
			for j, s := range row {
				if textImage[j] == i {
					continue
				}
				t2i[j] += b2i(s >= target[j])
				// m = number of relevant scores above s = index of the
				// first relevant score ≤ s; this irrelevant text is ahead
				// of relevant texts m…k-1 (m = k: of none).
				m := 0
				for _, v := range rv {
					m += b2i(v > s)
				}
				h[m]++
			}
		} else {
			for j, s := range row {
				if textImage[j] == i {
					continue
				}
				t2i[j] += b2i(s >= target[j])
				lo, hi := 0, k // binary search for the first v ≤ s
				for lo < hi {
					mid := int(uint(lo+hi) >> 1)
					if rv[mid] > s {
						lo = mid + 1
					} else {
						hi = mid
					}
				}
				h[lo]++
			}
		}
		c := 0 // c_m = irrelevant texts with score ≥ v_m
		var ap float64
		for m := 0; m < k; m++ {
			c += h[m]
			if m == 0 {
				res.i2t[i] = 1 + c
			}
			ap += float64(m+1) / float64(m+1+c)
		}
		if wantAP {
			res.ap[i] = ap / float64(k)
		}
	}
	return res, nil
}

// validate checks shapes, labels and scores and returns the number of
// texts of every image.
func validate(sim []float32, nImg, nTxt int, textImage []int) ([]int, error) {
	perImage, err := validateLabels(nImg, nTxt, textImage)
	if err != nil {
		return nil, err
	}
	if len(sim) != nImg*nTxt {
		return nil, fmt.Errorf("eval: len(sim) = %d, want nImg×nTxt = %d×%d = %d: pass the full row-major similarity matrix", len(sim), nImg, nTxt, nImg*nTxt)
	}
	for p, s := range sim {
		if s != s {
			return nil, fmt.Errorf("eval: sim[%d] (image %d, text %d) is NaN: the embeddings contain NaN or Inf; check the model for divergence", p, p/nTxt, p%nTxt)
		}
	}
	return perImage, nil
}

// validateLabels checks nImg, nTxt and textImage (everything but the
// scores) and returns the number of texts of every image.
func validateLabels(nImg, nTxt int, textImage []int) ([]int, error) {
	if nImg <= 0 || nTxt <= 0 {
		return nil, fmt.Errorf("eval: nImg = %d, nTxt = %d: both galleries need at least one item", nImg, nTxt)
	}
	if nImg > math.MaxInt/nTxt {
		return nil, fmt.Errorf("eval: nImg×nTxt = %d×%d overflows int", nImg, nTxt)
	}
	if len(textImage) != nTxt {
		return nil, fmt.Errorf("eval: len(textImage) = %d, want nTxt = %d: give the image index of every text", len(textImage), nTxt)
	}
	perImage := make([]int, nImg)
	for j, g := range textImage {
		if g < 0 || g >= nImg {
			return nil, fmt.Errorf("eval: textImage[%d] = %d is out of range [0, %d): every text must name the index of an image in the gallery", j, g, nImg)
		}
		perImage[g]++
	}
	for i, c := range perImage {
		if c == 0 {
			return nil, fmt.Errorf("eval: image %d has no text: every image needs at least one relevant text; drop it from the gallery or add its sentences", i)
		}
	}
	return perImage, nil
}

// summarize fills the rank-based fields of a Direction (everything but
// MAP).
func summarize(ranks []int, gallery int) Direction {
	d := Direction{Queries: len(ranks), Gallery: gallery}
	n := float64(len(ranks))
	var sum float64
	var r1, r5, r10 int
	for _, r := range ranks {
		sum += float64(r)
		if r <= 1 {
			r1++
		}
		if r <= 5 {
			r5++
		}
		if r <= 10 {
			r10++
		}
	}
	d.R1 = 100 * float64(r1) / n
	d.R5 = 100 * float64(r5) / n
	d.R10 = 100 * float64(r10) / n
	d.MeanRank = sum / n
	d.MedianRank = median(ranks)
	return d
}

// median of ints without modifying them; mean of the two middle values
// for an even count.
func median(x []int) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return (float64(s[n/2-1]) + float64(s[n/2])) / 2
}

func meanFloat(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// b2i converts a comparison to 0 or 1 without a branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// EvaluateQueries is Evaluate over chosen queries only: images imgs (by
// index) each rank all nTxt texts, texts txts each rank all nImg images.
// It measures a subset of concepts — a validation split, say — against a
// larger gallery of distractors, as a search page ranks them.
func EvaluateQueries(sim []float32, nImg, nTxt int, textImage, imgs, txts []int) (Metrics, error) {
	r, err := computeRanks(sim, nImg, nTxt, textImage, true)
	if err != nil {
		return Metrics{}, err
	}
	if len(imgs) == 0 || len(txts) == 0 {
		return Metrics{}, fmt.Errorf("eval: %d image and %d text queries: want at least one of each", len(imgs), len(txts))
	}
	ri, ap := make([]int, len(imgs)), make([]float64, len(imgs))
	for q, i := range imgs {
		if i < 0 || i >= nImg {
			return Metrics{}, fmt.Errorf("eval: image query %d outside the %d images", i, nImg)
		}
		ri[q], ap[q] = r.i2t[i], r.ap[i]
	}
	rt := make([]int, len(txts))
	for q, j := range txts {
		if j < 0 || j >= nTxt {
			return Metrics{}, fmt.Errorf("eval: text query %d outside the %d texts", j, nTxt)
		}
		rt[q] = r.t2i[j]
	}
	return metricsOf(ri, ap, rt, nImg, nTxt), nil
}
