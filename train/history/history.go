// Package history is the record a training run keeps of each epoch
// (train.Trainer writes it to history.json): the loss parts, the
// gradient norm, the validation metrics and the diagnostics. It sits
// below package train so that what reads histories, the figures of
// package plots among them, does not depend on the trainer, the model
// and its layers; train.Epoch is this type.
package history

import "aeir/eval"

// Epoch is one line of the training history.
type Epoch struct {
	Epoch     int                `json:"epoch"` // 1-based
	Steps     int                `json:"steps"`
	Loss      map[string]float64 `json:"loss"` // mean of each loss part over the epoch
	GradNorm  float64            `json:"grad_norm"`
	ValRSum   float64            `json:"val_rsum"`
	ValShort  float64            `json:"val_short_rsum,omitempty"` // rsum with the short forms as sentences (Collection.Short, e.g. CLDR names); not used for selection
	Diag      map[string]float64 `json:"diag,omitempty"`           // structural neighbours: kept fractions, accuracy (hidden labels, analysis only)
	Val       eval.Metrics       `json:"val"`
	Seconds   float64            `json:"seconds"`
	SamplesPS float64            `json:"samples_per_s"`
}
