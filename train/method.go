package train

import (
	"slices"

	"aeir/nn"
)

// A Method is how a run learns: the contrastive loss L_con on the source
// pairs plus its transfer terms, each computed on the same step's source
// and target embeddings and added into their gradients in list order.
type Method struct {
	Name  string
	Doc   string     // one line, for help texts and tables
	Terms []TermSpec // transfer terms; none: L_con on the source pairs alone
	// Fitted methods are computed in closed form, not trained (cca:
	// FitCCA); Oracle trains on the target's own pairs, an upper bound
	// that reads the alignment the other methods may not.
	Fitted, Oracle bool
	// Beyond marks a method that is not in the AEIR paper or its
	// baselines: tables label it "beyond the paper".
	Beyond bool
}

// methods is the registry of training methods, in the order tables show
// them. A new method is one line here; a new transfer term is one file
// that defines its TermSpec (see cdan.go).
var methods = []Method{
	{Name: "source-only", Doc: "L_con on the source pairs; no transfer"},
	{Name: "cca", Doc: "canonical correlation analysis of the source pairs' features (closed form)", Fitted: true},
	{Name: "dann", Doc: "L_con + λ·L_adv: a domain discriminator per modality behind gradient reversal (Ganin et al. 2016)", Terms: []TermSpec{advTerm}},
	{Name: "cdan", Doc: "L_con + λ·L_cdan: domain discriminators conditioned on cross-modal predictions (Long et al. 2018)", Terms: []TermSpec{cdanTerm}},
	{Name: "mmd", Doc: "L_con + multi-kernel MMD² between source and target embeddings per modality (Long et al. 2015)", Terms: []TermSpec{mmdTerm}},
	{Name: "structure", Doc: "L_con + μ·L_str: target items take their nearest source items' partners as positives (AEIR's structural transfer alone)", Terms: []TermSpec{strTerm}},
	{Name: "aeir", Doc: "L_con + λ·L_adv + μ·L_str: AEIR, semantic and structural transfer (Yang et al. 2024)", Terms: []TermSpec{advTerm, strTerm}},
	{Name: "ot", Doc: "L_con + L_ot: L_con also on target pseudo-pairs matched by optimal transport (beyond the paper)", Terms: []TermSpec{otTerm}, Beyond: true},
	{Name: "oracle", Doc: "L_con on the target's own pairs: the upper bound, not a competitor", Oracle: true},
}

// Methods names the registered methods, in table order.
var Methods = methodNames()

func methodNames() []string {
	var names []string
	for _, m := range methods {
		names = append(names, m.Name)
	}
	return names
}

// MethodOf returns the registered method called name.
func MethodOf(name string) (Method, bool) {
	i := slices.IndexFunc(methods, func(m Method) bool { return m.Name == name })
	if i < 0 {
		return Method{}, false
	}
	return methods[i], true
}

// Has reports whether the method trains with the term called term.
func (m Method) Has(term string) bool {
	return slices.ContainsFunc(m.Terms, func(s TermSpec) bool { return s.Name == term })
}

// Transfer reports whether the method reads target data while training.
func (m Method) Transfer() bool { return len(m.Terms) > 0 }

// method is the options' method (the zero Method for an unknown name,
// which Validate refuses).
func (o Options) method() Method {
	m, _ := MethodOf(o.Method)
	return m
}

// A TermSpec names a transfer term and builds it for a trainer.
type TermSpec struct {
	Name string // what loss parts and Method.Has call it
	New  func(t *Trainer) Term
}

// A Term is one transfer loss of a method.
type Term interface {
	// Params are the term's own trainable tensors (a discriminator's
	// weights), trained with the model and saved in checkpoints; their
	// names must be unique in the trainer.
	Params() []*nn.Param
	// Epoch prepares the term for epoch e (0-based) before its first
	// step, after a resume too, and returns diagnostics for the history
	// (nil for none).
	Epoch(e int) (map[string]float64, error)
	// Loss adds the term's weighted gradient into s.DU and s.DV, and its
	// own parameters' gradients into Params, and records its loss parts
	// (and any per-step diagnostics) in parts.
	Loss(s *Step, parts map[string]float64)
}

// Step is what the terms see of one optimiser step.
type Step struct {
	// U holds the image embeddings, B source rows and then the target
	// rows; V the sentence embeddings, B source rows (the pairs) and
	// then the target rows. DU and DV are their gradients, which the
	// terms add into.
	U, V   *nn.Tensor
	DU, DV []float32
	B, D   int
	Pairs  []int // source sentence row of each pair
	Imgs   []int // source image row of each pair
	TImg   []int // target image rows
	TTxt   []int // target sentence rows
	// Progress is step / total steps in [0, 1), the clock of the
	// gradient-reversal schedule; Epoch (0-based) and InEpoch (the
	// fraction of the epoch done) the clock of epoch-based ramps.
	Progress float64
	Epoch    int
	InEpoch  float64
}

// A pairer is a term that chooses the target sentences of a step: it may
// replace tTxt[r] by a sentence it pairs with the image tImg[r]. Trainer.inputs
// calls it before the step's sentences are read, so every term of the
// step sees the same rows.
type pairer interface {
	pairTexts(tImg, tTxt []int)
}

// termParams are the trainable tensors of the trainer's terms, in term
// order.
func (t *Trainer) termParams() []*nn.Param {
	var ps []*nn.Param
	for _, term := range t.terms {
		ps = append(ps, term.Params()...)
	}
	return ps
}
