package data

import (
	"fmt"
	"math/rand/v2"
)

// TrainSet is everything a learner may see during training: aligned
// source pairs, and the target domain's training images and sentences as
// two independently shuffled sets. The target sets carry no ids, no
// concept labels and no shared order, so the target alignment cannot be
// read from them; only evaluation (Task.Val, Task.Test) sees it.
type TrainSet struct {
	Source       *Collection // aligned pairs of the source domain
	TargetImages *Images     // target training images, shuffled
	TargetTexts  []string    // target training sentences, shuffled independently
	TargetDomain string      // the target domain's name (e.g. "openmoji/en")
}

// Task is one train/evaluate problem: a scenario under a protocol.
type Task struct {
	Name       string
	Train      *TrainSet
	Val        *Collection // target validation split (aligned; model selection only)
	Test       *Collection // target test split (aligned; final evaluation only)
	SourceTest *Collection // the source domain on the test concepts (in-domain evaluation)
	// ConceptIDs is set by data sets whose image ids name concepts shared
	// across domains (VendorMoji's code points), which NeighbourAccuracy
	// needs; a user's files name images by their paths or rows.
	ConceptIDs bool
	oracle     *Collection
	imgTruth   []string // image id of each handed target image (analysis only)
	txtTruth   []string // image id of each handed target text (analysis only)
}

// NewTask hides the target training alignment: target images and
// sentences are copied out under two independent seeded permutations.
func NewTask(name string, source, targetTrain, val, test, sourceTest *Collection, seed uint64) (*Task, error) {
	for _, c := range []*Collection{source, targetTrain, val, test, sourceTest} {
		if c == nil {
			continue
		}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("task %s: %w", name, err)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x7a5c))
	ip := rng.Perm(targetTrain.Images.N)
	tp := rng.Perm(len(targetTrain.Texts))
	texts := make([]string, len(tp))
	txtTruth := make([]string, len(tp))
	for i, j := range tp {
		texts[i] = targetTrain.Texts[j]
		txtTruth[i] = targetTrain.ImageIDs[targetTrain.TextImage[j]]
	}
	imgTruth := make([]string, len(ip))
	for i, j := range ip {
		imgTruth[i] = targetTrain.ImageIDs[j]
	}
	return &Task{
		imgTruth: imgTruth, txtTruth: txtTruth,
		Name: name,
		Train: &TrainSet{
			Source:       source,
			TargetImages: targetTrain.Images.Subset(ip),
			TargetTexts:  texts,
			TargetDomain: targetTrain.Domain,
		},
		Val: val, Test: test, SourceTest: sourceTest,
		oracle: targetTrain,
	}, nil
}

// OracleTrain returns the target oracle's training set: the source pairs
// and the target training split with its alignment, as one aligned
// collection. The oracle has everything a transfer method has, plus the
// target alignment the transfer methods must do without, so it is an upper
// bound and always reports itself as such; no transfer method calls this.
func (t *Task) OracleTrain() *TrainSet {
	both := Concat(t.Name+" oracle", t.Train.Source, t.oracle)
	return &TrainSet{Source: both, TargetImages: t.oracle.Images, TargetTexts: t.oracle.Texts, TargetDomain: t.Train.TargetDomain}
}

// MapImages replaces every image set of the task (source pairs, handed
// target images, val, test, source test and the oracle's) by f of it, in
// place and in the same order, e.g. pixels by the features of a frozen
// image backbone. f must map image n to row n.
func (t *Task) MapImages(f func(*Images) (*Images, error)) error {
	sets := []**Images{&t.Train.TargetImages}
	for _, c := range []*Collection{t.Train.Source, t.Val, t.Test, t.SourceTest, t.oracle} {
		if c != nil {
			sets = append(sets, &c.Images)
		}
	}
	done := map[*Images]*Images{}
	for _, p := range sets {
		if m, ok := done[*p]; ok {
			*p = m
			continue
		}
		m, err := f(*p)
		if err != nil {
			return err
		}
		if m.N != (*p).N {
			return fmt.Errorf("task %s: image mapping gave %d images for %d", t.Name, m.N, (*p).N)
		}
		done[*p], *p = m, m
	}
	return nil
}

// Concat joins two aligned collections of the same image kind into one
// (image ids are prefixed with their collection's domain to stay unique).
func Concat(domain string, a, b *Collection) *Collection {
	out := &Collection{Domain: domain, Split: a.Split, Images: &Images{W: a.Images.W, H: a.Images.H, Dim: a.Images.Dim}}
	for _, c := range []*Collection{a, b} {
		off := out.Images.N
		out.Images.N += c.Images.N
		out.Images.Pix = append(out.Images.Pix, c.Images.Pix...)
		out.Images.Feat = append(out.Images.Feat, c.Images.Feat...)
		for _, id := range c.ImageIDs {
			out.ImageIDs = append(out.ImageIDs, c.Domain+":"+id)
		}
		out.Texts = append(out.Texts, c.Texts...)
		if a.Short != nil && b.Short != nil {
			out.Short = append(out.Short, c.Short...)
		}
		for _, i := range c.TextImage {
			out.TextImage = append(out.TextImage, off+i)
		}
	}
	return out
}

// PairAccuracy is an analysis tool, never a training signal: given for
// each handed target image the index of the handed target text a method
// paired it with (−1 for none), it returns the fraction of pairs that show
// the same concept and how many pairs there are. It reads the hidden
// target alignment, so training code may only log its result.
func (t *Task) PairAccuracy(partner []int) (acc float64, n int) {
	ok := 0
	for i, k := range partner {
		if k >= 0 && i < len(t.imgTruth) && k < len(t.txtTruth) {
			n++
			if t.imgTruth[i] == t.txtTruth[k] {
				ok++
			}
		}
	}
	if n > 0 {
		acc = float64(ok) / float64(n)
	}
	return acc, n
}

// NeighbourAccuracy is an analysis tool, never a training signal: given
// for each handed target image the index of the source image a method
// matched it with (imgNbr, −1 for none), and for each handed target text
// the index of the source text it matched (txtNbr), it returns the
// fraction of matched items whose match shows the same concept (same image
// id across domains), and how many were matched. It reads the hidden
// target alignment, so training code may only log its result.
func (t *Task) NeighbourAccuracy(imgNbr, txtNbr []int) (imgAcc, txtAcc float64, nImg, nTxt int) {
	src := t.Train.Source
	var okI, okT int
	for i, s := range imgNbr {
		if s >= 0 && i < len(t.imgTruth) {
			nImg++
			if src.ImageIDs[s] == t.imgTruth[i] {
				okI++
			}
		}
	}
	for k, s := range txtNbr {
		if s >= 0 && k < len(t.txtTruth) {
			nTxt++
			if src.ImageIDs[src.TextImage[s]] == t.txtTruth[k] {
				okT++
			}
		}
	}
	if nImg > 0 {
		imgAcc = float64(okI) / float64(nImg)
	}
	if nTxt > 0 {
		txtAcc = float64(okT) / float64(nTxt)
	}
	return
}
