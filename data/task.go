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
}

// Task is one train/evaluate problem: a scenario under a protocol.
type Task struct {
	Name       string
	Train      *TrainSet
	Val        *Collection // target validation split (aligned; model selection only)
	Test       *Collection // target test split (aligned; final evaluation only)
	SourceTest *Collection // the source domain on the test concepts (in-domain evaluation)
	oracle     *Collection
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
	for i, j := range tp {
		texts[i] = targetTrain.Texts[j]
	}
	return &Task{
		Name: name,
		Train: &TrainSet{
			Source:       source,
			TargetImages: targetTrain.Images.Subset(ip),
			TargetTexts:  texts,
		},
		Val: val, Test: test, SourceTest: sourceTest,
		oracle: targetTrain,
	}, nil
}

// OracleTrain returns a TrainSet whose "source" is the aligned target
// training split. It exists for the target oracle, a supervised upper
// bound that always reports itself as such; no transfer method calls it.
func (t *Task) OracleTrain() *TrainSet {
	return &TrainSet{Source: t.oracle, TargetImages: t.oracle.Images, TargetTexts: t.oracle.Texts}
}
