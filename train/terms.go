package train

import (
	"aeir/model"
	"aeir/nn"
)

// The transfer terms of the paper and its baselines. Each adds its
// gradient in place; see Term.

// advTerm is L_adv, AEIR's semantic transfer and DANN's only term: per
// modality, a domain discriminator behind a gradient-reversal layer whose
// weight λ_p follows model.DANNLambda.
var advTerm = TermSpec{Name: "adv", New: func(t *Trainer) Term {
	d := t.Opt.Model.Dim
	return &adversarial{
		img: model.NewDiscriminator("dimg", d, t.Opt.DiscHidden, t.Opt.Seed+11),
		txt: model.NewDiscriminator("dtxt", d, t.Opt.DiscHidden, t.Opt.Seed+12),
		max: t.Opt.LambdaMax,
	}
}}

type adversarial struct {
	img, txt *model.Discriminator
	max      float32
}

func (a *adversarial) Params() []*nn.Param {
	return append(append([]*nn.Param{}, a.img.Params()...), a.txt.Params()...)
}

func (a *adversarial) Epoch(int) (map[string]float64, error) { return nil, nil }

func (a *adversarial) Loss(s *Step, parts map[string]float64) {
	lambda := float32(model.DANNLambda(s.Progress, float64(a.max)))
	li, ai := a.img.Loss(s.U, s.B, lambda, s.DU)
	lt, at := a.txt.Loss(s.V, s.B, lambda, s.DV)
	parts["adv_img"], parts["adv_txt"] = float64(li), float64(lt)
	parts["acc_img"], parts["acc_txt"] = float64(ai), float64(at)
	parts["lambda"] = float64(lambda)
}

// mmdTerm is DAN's multi-kernel MMD² between the source and target
// embeddings of each modality.
var mmdTerm = TermSpec{Name: "mmd", New: func(t *Trainer) Term {
	return &mmdLoss{mmd: model.DefaultMMD(), weight: t.Opt.MMDWeight}
}}

type mmdLoss struct {
	mmd    model.MMD
	weight float32
}

func (*mmdLoss) Params() []*nn.Param                   { return nil }
func (*mmdLoss) Epoch(int) (map[string]float64, error) { return nil, nil }

func (m *mmdLoss) Loss(s *Step, parts map[string]float64) {
	mi := m.mmd.Loss(s.U.Data, s.U.Rows(), s.D, s.B, m.weight, s.DU)
	mt := m.mmd.Loss(s.V.Data, s.V.Rows(), s.D, s.B, m.weight, s.DV)
	parts["mmd_img"], parts["mmd_txt"] = float64(mi), float64(mt)
}

// strTerm is L_str, AEIR's structural transfer: after the warm-up, each
// target image (sentence) takes the partner of its nearest source image
// (sentence) as its positive, against the batch's source items as
// negatives, with weight μ_p rising over Options.StrRamp epochs; with
// Options.IMWeight, also L_im on the target images. The neighbours are
// searched once per epoch (Trainer.refreshBanks).
var strTerm = TermSpec{Name: "str", New: func(t *Trainer) Term {
	return &structural{t: t, str: model.Structural{Margin: t.Opt.StrMargin}, im: model.InfoMax{Temp: t.Opt.IMTemp}}
}}

type structural struct {
	t   *Trainer
	str model.Structural
	im  model.InfoMax
}

func (*structural) Params() []*nn.Param { return nil }

func (st *structural) Epoch(e int) (map[string]float64, error) { return st.t.refreshBanks(e) }

func (st *structural) Loss(s *Step, parts map[string]float64) {
	t := st.t
	if t.bank == nil { // warm-up
		return
	}
	b, d, bt := s.B, s.D, len(s.TImg)
	ramp := float32(1)
	if t.Opt.StrRamp > 0 {
		ramp = float32(min(1, (float64(s.Epoch-t.Opt.StrWarmup)+s.InEpoch)/float64(t.Opt.StrRamp)))
	}
	mu := t.Opt.StrWeight * ramp
	pos := make([]int, bt)
	for r, i := range s.TImg {
		pos[r] = t.bank.imgPos[i]
	}
	src := t.set.Source
	si, ni := st.str.Loss(s.U.Data[b*d:], bt, d, pos, t.bank.srcTxt, src.TextImage, s.Pairs, mu, s.DU[b*d:])
	pos = pos[:0]
	for _, k := range s.TTxt {
		pos = append(pos, t.bank.txtPos[k])
	}
	sv, nt := st.str.Loss(s.V.Data[b*d:], len(s.TTxt), d, pos, t.bank.srcImg, t.bank.ident, s.Imgs, mu, s.DV[b*d:])
	parts["str_img"], parts["str_txt"], parts["mu"] = float64(si), float64(sv), float64(mu)
	parts["str_rows"] = float64(ni+nt) / float64(bt+len(s.TTxt))
	if t.Opt.IMWeight > 0 {
		ent, spread := st.im.Loss(s.U.Data[b*d:], bt, d, t.bank.srcTxt, len(src.Texts), t.Opt.IMWeight*ramp, s.DU[b*d:])
		parts["im_ent"], parts["im_spread"] = float64(ent), float64(spread)
	}
}
