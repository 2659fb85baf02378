package nn

import (
	"fmt"
	"math"
	"slices"
)

// BCEWithLogits is the binary cross-entropy of sigmoid(z) against targets
// y ∈ [0, 1], averaged over all K elements, computed stably from the
// logits z:
//
//	L = (1/K) Σ max(z,0) − z·y + log(1 + e^{−|z|}),
//	dL/dz = (σ(z) − y)/K.
//
// It returns L and a new tensor dL/dz; see BCEWithLogitsTo to reuse one.
// It panics if the shapes differ.
func BCEWithLogits(logits, targets *Tensor) (float32, *Tensor) {
	var d *Tensor
	loss := BCEWithLogitsTo(&d, logits, targets)
	return loss, d
}

// BCEWithLogitsTo is BCEWithLogits writing dL/dz into *dlogits, which it
// (re)allocates with Ensure as needed; *dlogits may be nil.
func BCEWithLogitsTo(dlogits **Tensor, logits, targets *Tensor) float32 {
	if !slices.Equal(logits.Shape, targets.Shape) || len(logits.Data) != len(targets.Data) {
		panic(fmt.Sprintf("nn: BCEWithLogits: logits %v and targets %v differ in shape", logits.Shape, targets.Shape))
	}
	d := Ensure(*dlogits, logits.Shape...)
	*dlogits = d
	k := len(logits.Data)
	if k == 0 {
		return 0
	}
	inv := 1 / float64(k)
	var sum float64
	y := targets.Data[:k]
	for i, z := range logits.Data {
		zf, yf := float64(z), float64(y[i])
		e := math.Exp(-math.Abs(zf))
		sum += max(zf, 0) - zf*yf + math.Log1p(e)
		var sig float64 // σ(z) without overflow
		if zf >= 0 {
			sig = 1 / (1 + e)
		} else {
			sig = e / (1 + e)
		}
		d.Data[i] = float32((sig - yf) * inv)
	}
	return float32(sum * inv)
}
