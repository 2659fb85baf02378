package train

import (
	"fmt"
	"math"
	"slices"

	"aeir/eval"
	"aeir/model"
	"aeir/nn"
	"aeir/text"
)

// otTerm is L_ot, pseudo-pairs from an assignment (beyond the paper): once
// per epoch after Options.OTWarmup, the target images and the target
// sentences are matched as wholes by optimal transport (Sinkhorn, uniform
// marginals: every image and every sentence carries the same mass, so no
// hub can take many partners) on a kernel of how likely an image and a
// sentence are to reach the same source pair (twoHop), each image's most
// likely sentence is its candidate, mutual candidates are ranked by their
// share of the image's mass, and the most confident fraction — growing
// over the rounds up to Options.OTKeep — become pseudo-pairs. A step then pairs its
// target images with their pseudo-sentences (Trainer.inputs) and L_con
// runs on those pairs, with gradients into both encoders, weighted by
// Options.OTWeight (ramped like L_str).
var otTerm = TermSpec{Name: "ot", New: func(t *Trainer) Term {
	return &pseudoPairs{t: t, loss: model.Contrastive{Margin: t.Opt.Margin}}
}}

type pseudoPairs struct {
	t       *Trainer
	loss    model.Contrastive
	partner []int // per target image: its pseudo-sentence (a target text row), or −1; nil before the warm-up ends

	u, v, du, dv []float32 // scratch of one step's kept rows

	// -ot-space pairs: the mutual candidates of the transport plan and
	// their confidences (mutualArgmax). The plan does not change (twoHop),
	// so they are derived once and the n×k plan itself is not kept.
	cand []int
	conf []float64
}

// otGrid is the side of the colour layout the pseudo-pairs compare: on
// images cropped to their drawings (data.Images.Fitted, whatever the
// model reads), 16×16×3. Chosen with the pair precision on the default
// scenario's training images (docs/DESIGN.md): cropping lifts the 20 %
// most confident pairs from 51 % to 79 % right (an exploratory test that
// is not kept in the repository).
const otGrid = 16

func (*pseudoPairs) Params() []*nn.Param { return nil }

// Epoch matches the whole target sets (once for the fixed kernel of
// "pairs"; with the encoders as they are before epoch e for "embedding")
// and keeps the epoch's share of the pairs. Its diagnostics: the
// fraction of target images paired and, read from the hidden alignment for
// analysis only (data.Task.PairAccuracy), how many of the pairs are right.
func (p *pseudoPairs) Epoch(e int) (map[string]float64, error) {
	t := p.t
	p.partner = nil
	if e < t.Opt.OTWarmup {
		return nil, nil
	}
	m, set := t.Model, t.set
	n, k, d := set.TargetImages.N, len(set.TargetTexts), m.Config.Dim
	if int64(n)*int64(k) > maxOTValues {
		return nil, fmt.Errorf("pseudo-pairs by optimal transport hold the whole %d × %d score matrix of the target images and sentences (%.1f GB); this method is for targets of up to %d image–sentence products", n, k, float64(n)*float64(k)*8/1e9, maxOTValues)
	}
	var cand []int
	var conf []float64
	if t.Opt.OTSpace == "embedding" {
		if t.ema != nil { // the averaged weights judge (mean teacher)
			t.swapEMA()
			defer t.swapEMA()
		}
		tu, tv := m.EncodeImages(set.TargetImages), m.EncodeTexts(set.TargetTexts)
		cand, conf = mutualArgmax(sinkhorn(eval.Similarity(nil, tu, n, tv, k, d), n, k, float64(t.Opt.OTEps), otIterations), n, k)
	} else {
		if p.cand == nil {
			kern, err := p.twoHop(n, k)
			if err != nil {
				return nil, err
			}
			p.cand, p.conf = mutualArgmax(balance(kern, n, k, otIterations), n, k) // the plan is dropped here
		}
		cand, conf = p.cand, p.conf
	}
	rounds := max(1, t.Opt.Epochs-t.Opt.OTWarmup)
	keep := float64(t.Opt.OTKeep) * float64(e-t.Opt.OTWarmup+1) / float64(rounds)
	p.partner = keepConfident(cand, conf, int(math.Round(keep*float64(n))))
	acc, kept := t.task.PairAccuracy(p.partner)
	diag := map[string]float64{"ot_kept": float64(kept) / float64(n)}
	if t.task.ConceptIDs {
		diag["ot_acc"] = acc
	}
	return diag, nil
}

// twoHop is the transport kernel of Options.OTSpace "pairs": how likely a
// target image and a target sentence are to reach the same source pair,
// K[j,k] = Σ_i P(i | image j)·P(i | sentence k) over the source images i,
// each hop compared within its own modality on fixed descriptors —
// P(i | image j) a softmax (temperature Options.OTEps) of the
// colour-layout cosines of the drawings (colourLayout on cropped images),
// P(i | sentence k) one of the sentence's best TF-IDF cosine over the
// tokeniser's n-grams to a sentence of i (ngramCosines). Whichever hop is
// the sure one (the same sentences across vendors, the same drawings
// across languages) is close to one-hot, so the product follows the
// other: one kernel for image and text shifts. The descriptors do not
// change with training, so neither does the kernel: it is computed once.
// Epoch has checked the n×k size already; twoHop checks the hops'.
func (p *pseudoPairs) twoHop(n, k int) ([]float64, error) {
	t := p.t
	src := t.set.Source
	si := src.Images.N
	for _, c := range []struct {
		what string
		size int64
	}{{"target images × source images", int64(n) * int64(si)}, {"target sentences × source images", int64(k) * int64(si)}} {
		if c.size > maxOTValues {
			return nil, fmt.Errorf("pseudo-pairs by optimal transport hold whole score matrices; %s is %d values, over the limit of %d (use a smaller target or another method)", c.what, c.size, maxOTValues)
		}
	}
	if !src.Images.IsPixels() || !t.set.TargetImages.IsPixels() {
		return nil, fmt.Errorf("-ot-space pairs compares the drawings of target and source images; these images are features (use -ot-space embedding)")
	}
	tau := float64(t.Opt.OTEps)
	g := min(otGrid, src.Images.W, src.Images.H, t.set.TargetImages.W, t.set.TargetImages.H)
	as, at := colourLayout(src.Images.Fitted(), g), colourLayout(t.set.TargetImages.Fitted(), g)
	imgHop := eval.Similarity(nil, at, n, as, si, 3*g*g)
	softmaxRows(imgHop, n, si, tau)
	txtHop := ngramCosines(t.Model.Config.Tokenizer, t.set.TargetTexts, src.Texts, src.TextImage, si)
	softmaxRows(txtHop, k, si, tau)
	kern32 := make([]float32, n*k)
	nn.Gemm(false, true, n, k, si, 1, imgHop, si, txtHop, si, 0, kern32, k)
	kern := make([]float64, n*k)
	for i, x := range kern32 {
		kern[i] = max(float64(x), 1e-30) // the transport needs every entry positive
	}
	return kern, nil
}

// ngramCosines returns, for each query sentence and each of the m groups
// of the corpus (group[s] of corpus sentence s: its source image), the
// largest cosine between the query and a sentence of the group, over
// TF-IDF weighted bags of the tokeniser's n-gram ids (IDF from the
// corpus), by an inverted index; groups with no shared n-gram get 0.
func ngramCosines(tok text.Tokenizer, queries, corpus []string, group []int, m int) []float32 {
	bag := func(s string, ids []int32) (map[int32]float64, []int32) {
		ids = tok.IDs(s, ids[:0])
		b := make(map[int32]float64, len(ids))
		for _, id := range ids {
			b[id]++
		}
		return b, ids
	}
	var ids []int32
	bags := make([]map[int32]float64, len(corpus))
	df := map[int32]float64{}
	for i, s := range corpus {
		bags[i], ids = bag(s, ids)
		for id := range bags[i] {
			df[id]++
		}
	}
	weigh := func(b map[int32]float64) {
		var z float64
		for id, c := range b {
			b[id] = c * math.Log((float64(len(corpus))+1)/(df[id]+1))
			z += b[id] * b[id]
		}
		z = 1 / math.Max(math.Sqrt(z), 1e-12)
		for id := range b {
			b[id] *= z
		}
	}
	type posting struct {
		doc int
		w   float64
	}
	index := map[int32][]posting{}
	for i, b := range bags {
		weigh(b)
		for _, id := range sortedIDs(b) { // a fixed order: the same sums on every run
			index[id] = append(index[id], posting{i, b[id]})
		}
	}
	out := make([]float32, len(queries)*m)
	acc := make([]float64, len(corpus))
	for q, s := range queries {
		var b map[int32]float64
		b, ids = bag(s, ids)
		weigh(b)
		clear(acc)
		for _, id := range sortedIDs(b) {
			w := b[id]
			for _, p := range index[id] {
				acc[p.doc] += w * p.w
			}
		}
		row := out[q*m : (q+1)*m]
		for doc, x := range acc {
			row[group[doc]] = max(row[group[doc]], float32(x))
		}
	}
	return out
}

// sortedIDs are the keys of b in increasing order.
func sortedIDs(b map[int32]float64) []int32 {
	ids := make([]int32, 0, len(b))
	for id := range b {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// softmaxRows turns each of the rows of x (cols wide) into a softmax of
// its values over tau, in place.
func softmaxRows(x []float32, rows, cols int, tau float64) {
	for r := 0; r < rows; r++ {
		row := x[r*cols : (r+1)*cols]
		top := row[argmax32(row)]
		var z float64
		for c, v := range row {
			e := math.Exp(float64(v-top) / tau)
			row[c] = float32(e)
			z += e
		}
		for c := range row {
			row[c] = float32(float64(row[c]) / z)
		}
	}
}

func argmax32(row []float32) int {
	b := 0
	for j, x := range row {
		if x > row[b] {
			b = j
		}
	}
	return b
}

// Bounds of the transport: the n×k plan held in float64 (2 GB at most),
// and the Sinkhorn iterations (it stops earlier once both marginals are
// met within otTol).
var maxOTValues int64 = 1 << 28

const (
	otIterations = 200
	otTol        = 1e-4
)

// sinkhorn returns the entropic optimal-transport plan between n rows and
// k columns with uniform marginals (1/n per row, 1/k per column) for the
// scores sim (n×k, higher is closer): P = diag(a)·K·diag(b) with
// K = exp((sim − max)/eps), a and b scaled in turn until the marginals
// hold (Cuturi 2013). Float64 throughout.
func sinkhorn(sim []float32, n, k int, eps float64, iters int) []float64 {
	top := float32(math.Inf(-1))
	for _, s := range sim {
		top = max(top, s)
	}
	kern := make([]float64, n*k)
	for i, s := range sim {
		kern[i] = math.Exp(float64(s-top) / eps)
	}
	return balance(kern, n, k, iters)
}

// balance scales the positive kernel (n×k, in place) into the transport
// plan with uniform marginals: P = diag(a)·K·diag(b), a and b updated in
// turn (Sinkhorn–Knopp).
func balance(kern []float64, n, k int, iters int) []float64 {
	a, b := make([]float64, n), make([]float64, k)
	for j := range b {
		b[j] = 1
	}
	col := make([]float64, k)
	for it := 0; it < iters; it++ {
		for i := 0; i < n; i++ { // rows: a_i = (1/n) / (K b)_i
			var s float64
			for j, x := range kern[i*k : (i+1)*k] {
				s += x * b[j]
			}
			a[i] = 1 / (float64(n) * math.Max(s, 1e-300))
		}
		clear(col)
		for i := 0; i < n; i++ { // columns: b_j = (1/k) / (Kᵀ a)_j
			ai := a[i]
			for j, x := range kern[i*k : (i+1)*k] {
				col[j] += x * ai
			}
		}
		worst := 0.0
		for j := range b {
			worst = math.Max(worst, math.Abs(col[j]*b[j]*float64(k)-1))
			b[j] = 1 / (float64(k) * math.Max(col[j], 1e-300))
		}
		if worst < otTol { // the column marginals held before this update: converged
			break
		}
	}
	for i := 0; i < n; i++ {
		row := kern[i*k : (i+1)*k]
		for j := range row {
			row[j] *= a[i] * b[j]
		}
	}
	return kern
}

// mutualArgmax returns each row's most likely column when that row is also
// the column's most likely row (−1 otherwise), and the row's share of its
// mass on that column (its confidence).
func mutualArgmax(plan []float64, n, k int) (cand []int, conf []float64) {
	best := make([]int, k)
	for j := range best {
		best[j] = -1
	}
	for i := 0; i < n; i++ {
		row := plan[i*k : (i+1)*k]
		for j, x := range row {
			if best[j] < 0 || x > plan[best[j]*k+j] {
				best[j] = i
			}
		}
	}
	cand, conf = make([]int, n), make([]float64, n)
	for i := 0; i < n; i++ {
		row := plan[i*k : (i+1)*k]
		bj, sum := 0, 0.0
		for j, x := range row {
			sum += x
			if x > row[bj] {
				bj = j
			}
		}
		cand[i] = -1
		if best[bj] == i && sum > 0 {
			cand[i], conf[i] = bj, row[bj]/sum
		}
	}
	return cand, conf
}

// keepConfident keeps the keep most confident candidates (ties: lower row
// first) and sets the others to −1.
func keepConfident(cand []int, conf []float64, keep int) []int {
	var rows []int
	for i, c := range cand {
		if c >= 0 {
			rows = append(rows, i)
		}
	}
	slices.SortStableFunc(rows, func(x, y int) int {
		switch {
		case conf[x] > conf[y]:
			return -1
		case conf[x] < conf[y]:
			return 1
		}
		return 0
	})
	out := make([]int, len(cand))
	for i := range out {
		out[i] = -1
	}
	for _, i := range rows[:min(keep, len(rows))] {
		out[i] = cand[i]
	}
	return out
}

// pairTexts gives the step's target images their pseudo-sentences: row r's
// sentence becomes the partner of image tImg[r] where it has one.
func (p *pseudoPairs) pairTexts(tImg, tTxt []int) {
	if p.partner == nil {
		return
	}
	for r, i := range tImg {
		if s := p.partner[i]; s >= 0 && r < len(tTxt) {
			tTxt[r] = s
		}
	}
}

// Loss is L_con on the step's pseudo-pairs (target rows whose sentence is
// their image's partner), the other pairs of the same step as negatives.
func (p *pseudoPairs) Loss(s *Step, parts map[string]float64) {
	t := p.t
	if p.partner == nil {
		return
	}
	var rows []int
	for r, i := range s.TImg {
		if r < len(s.TTxt) && p.partner[i] >= 0 && p.partner[i] == s.TTxt[r] {
			rows = append(rows, r)
		}
	}
	parts["ot_rows"] = float64(len(rows)) / float64(max(1, len(s.TImg)))
	if len(rows) < 2 {
		return
	}
	ramp := float32(1)
	if t.Opt.StrRamp > 0 {
		ramp = float32(min(1, (float64(s.Epoch-t.Opt.OTWarmup)+s.InEpoch)/float64(t.Opt.StrRamp)))
	}
	w := t.Opt.OTWeight * ramp
	b, d, n := s.B, s.D, len(rows)
	p.u, p.v = gather(p.u[:0], s.U.Data[b*d:], rows, d), gather(p.v[:0], s.V.Data[b*d:], rows, d)
	p.du, p.dv = slices.Grow(p.du[:0], n*d)[:n*d], slices.Grow(p.dv[:0], n*d)[:n*d]
	l := p.loss.Loss(p.u, p.v, n, d, nil, p.du, p.dv)
	for x, r := range rows {
		du, dv := s.DU[(b+r)*d:][:d], s.DV[(b+r)*d:][:d]
		for c := 0; c < d; c++ {
			du[c] += w * p.du[x*d+c]
			dv[c] += w * p.dv[x*d+c]
		}
	}
	parts["ot"], parts["ot_w"] = float64(l), float64(w)
}

// gather appends rows of a (d columns) to dst.
func gather(dst, a []float32, rows []int, d int) []float32 {
	for _, r := range rows {
		dst = append(dst, a[r*d:(r+1)*d]...)
	}
	return dst
}
