package train

import (
	"math"
	"math/rand/v2"

	"aeir/model"
	"aeir/nn"
)

// cdanTerm is CDAN, conditional domain adversarial networks (Long et al.,
// NeurIPS 2018), carried over from classification to retrieval.
//
// CDAN's discriminator sees a feature f together with the classifier's
// prediction g, as their multilinear map f ⊗ g, so that it aligns the
// joint distribution of features and predictions rather than features
// alone. Retrieval has no classifier; its prediction is cross-modal: how
// an embedding scores against items of the other modality. So each image
// embedding u is conditioned on
//
//	g(u) = softmax_k(⟨u, a_k⟩ / τ),  k = 1…K,
//
// its similarities to the sentences a_k of K anchor source pairs (and
// each sentence on its similarities to the anchors' images). The anchors
// are K source images drawn once from the run's seed, each with its
// first sentence, and are embedded afresh at the start of every epoch
// with the model of that moment. As in CDAN's own code, g is treated as
// a constant: the gradient reaches the encoder through u ⊗ g only. The
// discriminators, their width, the gradient-reversal schedule and its
// ceiling are DANN's (Options.DiscHidden, Options.LambdaMax); the
// multilinear map is the full d·K one (d = 128, K = 32 with the default
// model: 4,096 inputs, the largest size CDAN's code keeps unrandomised).
// CDAN+E's entropy weighting is not used.
var cdanTerm = TermSpec{Name: "cdan", New: func(t *Trainer) Term {
	d, k := t.Opt.Model.Dim, cdanAnchors
	rng := rand.New(rand.NewPCG(t.Opt.Seed, 0xcda))
	src := t.set.Source
	k = min(k, src.Images.N)
	first := make([]int, src.Images.N) // each image's first sentence
	for i := range first {
		first[i] = -1
	}
	for j := len(src.TextImage) - 1; j >= 0; j-- {
		first[src.TextImage[j]] = j
	}
	c := &conditional{t: t, k: k, max: t.Opt.LambdaMax,
		img: model.NewDiscriminator("cdan_img", d*k, t.Opt.DiscHidden, t.Opt.Seed+13),
		txt: model.NewDiscriminator("cdan_txt", d*k, t.Opt.DiscHidden, t.Opt.Seed+14)}
	for _, i := range rng.Perm(src.Images.N)[:k] {
		c.anchorImg = append(c.anchorImg, i)
		c.anchorTxt = append(c.anchorTxt, src.Texts[first[i]])
	}
	return c
}}

const (
	cdanAnchors = 32  // K, the anchor source pairs
	cdanTemp    = 0.1 // τ of the predictions
)

type conditional struct {
	t          *Trainer
	k          int
	max        float32
	img, txt   *model.Discriminator
	anchorImg  []int    // source image rows
	anchorTxt  []string // their first sentences
	aImg, aTxt []float32
	h, dh      *nn.Tensor // the multilinear features and their gradient
	p          *nn.Tensor // the predictions, n×k
}

func (c *conditional) Params() []*nn.Param {
	return append(append([]*nn.Param{}, c.img.Params()...), c.txt.Params()...)
}

// Epoch embeds the anchors with the current model.
func (c *conditional) Epoch(int) (map[string]float64, error) {
	m := c.t.Model
	c.aImg = m.EncodeImages(c.t.set.Source.Images.Subset(c.anchorImg))
	c.aTxt = m.EncodeTexts(c.anchorTxt)
	return nil, nil
}

func (c *conditional) Loss(s *Step, parts map[string]float64) {
	lambda := float32(model.DANNLambda(s.Progress, float64(c.max)))
	li, ai := c.side(c.img, s.U, c.aTxt, s.B, s.D, lambda, s.DU)
	lt, at := c.side(c.txt, s.V, c.aImg, s.B, s.D, lambda, s.DV)
	parts["cdan_img"], parts["cdan_txt"] = float64(li), float64(lt)
	parts["acc_img"], parts["acc_txt"] = float64(ai), float64(at)
	parts["lambda"] = float64(lambda)
}

// side runs one modality: the rows of z (the first nSource from the
// source) conditioned on their predictions over the anchors of the other
// modality, through disc; the reversed gradient is added into dz.
func (c *conditional) side(disc *model.Discriminator, z *nn.Tensor, anchors []float32, nSource, d int, lambda float32, dz []float32) (loss, acc float32) {
	n, k := z.Rows(), c.k
	c.p = nn.Ensure(c.p, n, k)
	predictions(c.p.Data, z.Data, anchors, n, d, k)
	c.h = nn.Ensure(c.h, n, d*k)
	multilinear(c.h.Data, z.Data, c.p.Data, n, d, k)
	c.dh = nn.Ensure(c.dh, n, d*k)
	clear(c.dh.Data)
	loss, acc = disc.Loss(c.h, nSource, lambda, c.dh.Data)
	multilinearBack(dz, c.dh.Data, c.p.Data, n, d, k)
	return loss, acc
}

// predictions writes into p (n×k) each row's softmax over its
// similarities to the k anchors (rows of a), at temperature cdanTemp.
func predictions(p, z, a []float32, n, d, k int) {
	for i := range n {
		row := p[i*k : (i+1)*k]
		top := float32(math.Inf(-1))
		for j := range k {
			var dot float32
			for x := range d {
				dot += z[i*d+x] * a[j*d+x]
			}
			row[j] = dot / cdanTemp
			top = max(top, row[j])
		}
		var sum float32
		for j := range row {
			row[j] = float32(math.Exp(float64(row[j] - top)))
			sum += row[j]
		}
		for j := range row {
			row[j] /= sum
		}
	}
}

// multilinear writes into h (n×d·k) the rows z_i ⊗ p_i:
// h[i, x·k+j] = z[i, x]·p[i, j].
func multilinear(h, z, p []float32, n, d, k int) {
	for i := range n {
		for x := range d {
			zx, out := z[i*d+x], h[(i*d+x)*k:(i*d+x+1)*k]
			for j, pj := range p[i*k : (i+1)*k] {
				out[j] = zx * pj
			}
		}
	}
}

// multilinearBack adds into dz the gradient that dh, the gradient of the
// multilinear features, sends to z with p held constant:
// dz[i, x] += Σ_j dh[i, x·k+j]·p[i, j].
func multilinearBack(dz, dh, p []float32, n, d, k int) {
	for i := range n {
		pi := p[i*k : (i+1)*k]
		for x := range d {
			var g float32
			for j, dhj := range dh[(i*d+x)*k : (i*d+x+1)*k] {
				g += dhj * pi[j]
			}
			dz[i*d+x] += g
		}
	}
}
