package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"aeir/data"
	"aeir/eval"
	"aeir/model"
	"aeir/nn"
)

// newTransfer builds the method's transfer terms.
func (t *Trainer) newTransfer() {
	t.terms = nil
	for _, spec := range t.Opt.method().Terms {
		t.terms = append(t.terms, spec.New(t))
	}
	t.ssl = model.ViewNCE{Temp: t.Opt.SSLTemp}
}

// epochTerms prepares every term for epoch e and merges their
// diagnostics.
func (t *Trainer) epochTerms(e int) (map[string]float64, error) {
	var diag map[string]float64
	for _, term := range t.terms {
		d, err := term.Epoch(e)
		if err != nil {
			return nil, err
		}
		for k, v := range d {
			if diag == nil {
				diag = map[string]float64{}
			}
			diag[k] = v
		}
	}
	return diag, nil
}

// newEMA starts the weight average (Options.EMA) at the model's weights.
func (t *Trainer) newEMA() {
	t.ema = nil
	if t.Opt.EMA <= 0 {
		return
	}
	for _, p := range t.Model.Params() {
		t.ema = append(t.ema, &nn.Param{Name: "ema." + p.Name, Shape: p.Shape, W: append([]float32(nil), p.W...)})
	}
}

// updateEMA moves the average towards the weights after a step.
func (t *Trainer) updateEMA() {
	d := t.Opt.EMA
	for i, p := range t.Model.Params() {
		a := t.ema[i].W
		for k, w := range p.W {
			a[k] = d*a[k] + (1-d)*w
		}
	}
}

// swapEMA exchanges the model's weights with the average (twice: back).
func (t *Trainer) swapEMA() {
	for i, p := range t.Model.Params() {
		p.W, t.ema[i].W = t.ema[i].W, p.W
	}
}

// ownTensors are the trainer's tensors a checkpoint saves besides the
// model and the optimiser: the terms' (discriminators) and the weight
// average.
func (t *Trainer) ownTensors() []*nn.Param { return append(t.termParams(), t.ema...) }

// restoreOwn copies the saved tensors of the terms (and the weight
// average) out of a checkpoint's extra tensors and returns the rest
// (optimiser state).
func (t *Trainer) restoreOwn(extra []*nn.Param) ([]*nn.Param, error) {
	mine := map[string]*nn.Param{}
	for _, p := range t.ownTensors() {
		mine[p.Name] = p
	}
	var rest []*nn.Param
	found := 0
	for _, e := range extra {
		p, ok := mine[e.Name]
		if !ok {
			rest = append(rest, e)
			continue
		}
		if len(p.W) != len(e.W) {
			return nil, fmt.Errorf("tensor %s has %d values, want %d", e.Name, len(e.W), len(p.W))
		}
		copy(p.W, e.W)
		found++
	}
	if found != len(mine) {
		return nil, fmt.Errorf("checkpoint holds %d of %d transfer-term and weight-average tensors", found, len(mine))
	}
	return rest, nil
}

// targetOrder is the epoch's seeded order of the target images (which=0)
// or sentences (which=1); a function of the epoch alone, so a resumed run
// draws the same. It is drawn once per epoch and kept.
func (t *Trainer) targetOrder(epoch, which, n int) []int {
	o := &t.orders[which]
	if o.perm == nil || o.epoch != epoch || len(o.perm) != n {
		o.epoch, o.perm = epoch, rand.New(rand.NewPCG(t.Opt.Seed^0x7a7a, uint64(epoch)*2+uint64(which))).Perm(n)
	}
	return o.perm
}

// cyclic returns the s-th block of size k of order, wrapping around.
func cyclic(order []int, s, k int) []int {
	out := make([]int, k)
	for i := range out {
		out[i] = order[(s*k+i)%len(order)]
	}
	return out
}

// banks hold the epoch's structural neighbours, computed at the start of
// the epoch with the current encoders (eval mode, no gradient).
type banks struct {
	srcImg, srcTxt []float32 // source embeddings (the positives and negatives of L_str)
	ident          []int     // group of each source image row: itself
	imgPos         []int     // per target image: the source text paired with its neighbour, or −1
	txtPos         []int     // per target text: the source image paired with its neighbour, or −1
}

// refreshBanks recomputes the neighbours of L_str before epoch e once the
// warm-up is over, and returns diagnostics: the fraction of
// target items kept by the confidence filter and, measured with the
// hidden target alignment for analysis only, how many kept neighbours show
// the right concept.
func (t *Trainer) refreshBanks(e int) (map[string]float64, error) {
	if e < t.Opt.StrWarmup {
		t.bank = nil
		return nil, nil
	}
	if t.ema != nil { // the averaged weights give the neighbours (mean teacher)
		t.swapEMA()
		defer t.swapEMA()
	}
	m, src := t.Model, t.set.Source
	d := m.Config.Dim
	images := func(im *data.Images) []float32 { // with -bank-views, test-time views sharpen the neighbours
		if t.Opt.BankViews > 1 && im.IsPixels() {
			return m.EncodeViews(im, nil, t.Opt.BankViews, t.Opt.StyleAug)
		}
		return m.EncodeImages(im)
	}
	b := &banks{srcImg: images(src.Images), srcTxt: m.EncodeTexts(src.Texts)}
	b.ident = make([]int, src.Images.N)
	for i := range b.ident {
		b.ident[i] = i
	}
	tu := images(t.set.TargetImages)
	tv := m.EncodeTexts(t.set.TargetTexts)
	firstText := make([]int, src.Images.N)
	for i := range firstText {
		firstText[i] = -1
	}
	for j := len(src.TextImage) - 1; j >= 0; j-- {
		firstText[src.TextImage[j]] = j
	}
	var imgNbr []int
	var err error
	switch t.Opt.StrSpace {
	case "embedding":
		if imgNbr, err = t.sampledNeighbours(e, 0, tu, t.set.TargetImages.N, b.srcImg, src.Images.N, d); err != nil {
			return nil, err
		}
	default:
		if t.appTgt == nil {
			si, ti := src.Images, t.set.TargetImages
			if m.Config.Fit { // describe what the encoder sees
				si, ti = si.Fitted(), ti.Fitted()
			}
			t.appSrc, t.appTgt = appearance(si), appearance(ti)
		}
		q, s, dd := t.appTgt, t.appSrc, appearanceDim
		if t.Opt.StrSpace == "both" { // concatenated unit vectors: cosine = mean of the two cosines
			q = concatRows(tu, d, t.appTgt, dd)
			s = concatRows(b.srcImg, d, t.appSrc, dd)
			dd += d
		}
		if imgNbr, err = t.sampledNeighbours(e, 0, q, t.set.TargetImages.N, s, src.Images.N, dd); err != nil {
			return nil, err
		}
	}
	txtNbr, err := t.sampledNeighbours(e, 1, tv, len(t.set.TargetTexts), b.srcTxt, len(src.Texts), d)
	if err != nil {
		return nil, err
	}
	b.imgPos = make([]int, len(imgNbr))
	for i, s := range imgNbr {
		b.imgPos[i] = -1
		if s >= 0 {
			b.imgPos[i] = firstText[s]
		}
	}
	b.txtPos = make([]int, len(txtNbr))
	for k, j := range txtNbr {
		b.txtPos[k] = -1
		if j >= 0 {
			b.txtPos[k] = src.TextImage[j]
		}
	}
	t.bank = b
	ai, at, ni, nt := t.task.NeighbourAccuracy(imgNbr, txtNbr)
	diag := map[string]float64{
		"nbr_img_kept": float64(ni) / float64(len(imgNbr)),
		"nbr_txt_kept": float64(nt) / float64(len(txtNbr)),
	}
	if t.task.ConceptIDs { // the accuracies need one id per concept in both domains (VendorMoji)
		diag["nbr_img_acc"], diag["nbr_txt_acc"] = ai, at
	}
	return diag, nil
}

// neighbours returns, for each of the n target rows of q, the index of its
// nearest of the m source rows of s, or −1 when the confidence filter
// rejects it. By cosine, the n×m scores are computed a block of rows at a
// time (maxSimBlock values), keeping each row's and each column's best
// as they pass, so memory stays small whatever the data's size; the
// scores, and so the choices, are those of one whole matrix (each is the
// same dot product, and ties keep the lowest index either way). CSLS
// needs every row's and column's k best first, so it holds the whole
// matrix and is refused beyond maxCSLSValues.
func (t *Trainer) neighbours(q []float32, n int, s []float32, m, d int) ([]int, error) {
	if k := t.Opt.StrCSLS; k > 0 && k <= n && k <= m {
		if int64(n)*int64(m) > maxCSLSValues {
			return nil, fmt.Errorf("structural neighbours by CSLS (-str-csls %d) hold the whole %d × %d score matrix (%.1f GB); use -str-csls 0 (cosine, searched in blocks) at this size", k, n, m, float64(n)*float64(m)*4/1e9)
		}
		cos := eval.Similarity(nil, q, n, s, m, d)
		sim := eval.CSLS(cos, n, m, k)
		nn, best := make([]int, n), make([]float32, n)
		for i := 0; i < n; i++ {
			row := sim[i*m : (i+1)*m]
			bj := 0
			for j, x := range row {
				if x > row[bj] {
					bj = j
				}
			}
			nn[i], best[i] = bj, cos[i*m+bj] // the threshold reads cosines
		}
		var back []int
		if t.Opt.StrFilter == "mutual" {
			back = make([]int, m)
			for j := 0; j < m; j++ {
				bi := 0
				for i := 0; i < n; i++ {
					if sim[i*m+j] > sim[bi*m+j] {
						bi = i
					}
				}
				back[j] = bi
			}
		}
		return t.filter(nn, best, back), nil
	}
	nn, best := make([]int, n), make([]float32, n)
	var back []int // the nearest target row of each source row
	var colBest []float32
	if t.Opt.StrFilter == "mutual" {
		back, colBest = make([]int, m), make([]float32, m)
	}
	rows := max(1, min(n, maxSimBlock/max(m, 1)))
	var buf []float32
	for i0 := 0; i0 < n; i0 += rows {
		i1 := min(i0+rows, n)
		buf = eval.Similarity(buf, q[i0*d:i1*d], i1-i0, s, m, d)
		for i := i0; i < i1; i++ {
			row := buf[(i-i0)*m : (i-i0+1)*m]
			bj := 0
			for j, x := range row {
				if x > row[bj] {
					bj = j
				}
			}
			nn[i], best[i] = bj, row[bj]
			if back != nil {
				for j, x := range row {
					if i == 0 || x > colBest[j] {
						back[j], colBest[j] = i, x
					}
				}
			}
		}
	}
	return t.filter(nn, best, back), nil
}

// sampledNeighbours is neighbours among the whole source, or, with
// Options.StrSample N < m, among a seeded sample of N of the m source rows
// (which: 0 images, 1 sentences), drawn anew each epoch and kept in source
// order; the indices returned are the source's.
func (t *Trainer) sampledNeighbours(epoch, which int, q []float32, n int, s []float32, m, d int) ([]int, error) {
	k := t.Opt.StrSample
	if k == 0 || k >= m {
		return t.neighbours(q, n, s, m, d)
	}
	idx := rand.New(rand.NewPCG(t.Opt.Seed^0x5a5a, uint64(epoch)*2+uint64(which))).Perm(m)[:k]
	slices.Sort(idx)
	sub := make([]float32, 0, k*d)
	for _, j := range idx {
		sub = append(sub, s[j*d:(j+1)*d]...)
	}
	nn, err := t.neighbours(q, n, sub, k, d)
	if err != nil {
		return nil, err
	}
	for i, j := range nn {
		if j >= 0 {
			nn[i] = idx[j]
		}
	}
	return nn, nil
}

// Bounds of the structural neighbour search's score matrices: scores
// computed at once by cosine (16 MB; a variable for the tests), and the
// whole matrix CSLS needs (1 GB).
var maxSimBlock = 1 << 22

const maxCSLSValues = 1 << 28

// filter applies the confidence filter: the similarity threshold and,
// with back (each source row's nearest target row), mutual nearness.
func (t *Trainer) filter(nn []int, best []float32, back []int) []int {
	for i := range nn {
		switch {
		case t.Opt.StrFilter != "none" && best[i] < t.Opt.StrThresh:
			nn[i] = -1
		case back != nil && back[nn[i]] != i:
			nn[i] = -1
		}
	}
	return nn
}

// appearanceDim is the length of L_str's appearance descriptor.
const appearanceDim = 3 * 8 * 8

// appearance describes each pixel image by its colour layout: composited
// on white, box-averaged to 8×8×3, centred and scaled to unit length. It
// is a fixed, style-agnostic-ish prior for matching images across
// vendors (same colours in the same places), used only to find
// structural neighbours.
func appearance(im *data.Images) []float32 { return colourLayout(im, 8) }

// colourLayout is the appearance descriptor on a grid×grid×3 layout
// (grid ≤ the image's side), 3·grid² values per image.
func colourLayout(im *data.Images, grid int) []float32 {
	c := &CCA{Grid: grid}
	f := c.imageFeatures(im)
	out := make([]float32, 0, im.N*3*grid*grid)
	for i := 0; i < im.N; i++ {
		row := f.RawRowView(i)
		var mu, ss float64
		for _, v := range row {
			mu += v
		}
		mu /= float64(len(row))
		for _, v := range row {
			ss += (v - mu) * (v - mu)
		}
		s := 1 / math.Max(math.Sqrt(ss), 1e-9)
		for _, v := range row {
			out = append(out, float32((v-mu)*s))
		}
	}
	return out
}

// concatRows joins row i of a (width da) and of b (width db), scaled by
// 1/√2 so unit rows stay unit.
func concatRows(a []float32, da int, b []float32, db int) []float32 {
	n := len(a) / da
	out := make([]float32, 0, n*(da+db))
	const s = 0.70710678
	for i := 0; i < n; i++ {
		for _, v := range a[i*da : (i+1)*da] {
			out = append(out, v*s)
		}
		for _, v := range b[i*db : (i+1)*db] {
			out = append(out, v*s)
		}
	}
	return out
}
