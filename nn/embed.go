package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// EmbeddingBag maps bags (variable-length lists) of ids to the mean of
// their embedding rows, as for a bag of hashed words and character
// n-grams:
//
//	y[b] = (1/|B_b|) Σ_{i∈B_b} W[i],   W: buckets×dim,  y: bags×dim,
//
// (an empty bag gives a zero row) with the sparse gradient
//
//	dL/dW[i] += Σ_{b: i∈B_b} dy[b] / |B_b|   (an id repeated in a bag counts each time).
//
// Only the rows of W used by the batch receive gradient; the weight
// Param records them (Param.TouchedRows), and ZeroGrads, ClipGradNorm and
// the optimisers visit only those rows, so a step costs O(ids·dim), not
// O(buckets·dim). The optimisers update such a Param lazily: moments and
// weight decay of a row advance only on steps where the row is used.
//
// EmbeddingBag is not a Layer because its input is ids, not a tensor; it
// has no input gradient.
type EmbeddingBag struct {
	Buckets, Dim int
	W            *Param

	ids     []int32
	offsets []int32 // start of each bag in ids, plus len(ids)
	y       *Tensor
}

// NewEmbeddingBag returns a table of buckets×dim embeddings drawn from
// N(0, 1/dim) with rng. Its Param is named "w".
func NewEmbeddingBag(rng *rand.Rand, buckets, dim int) *EmbeddingBag {
	if buckets <= 0 || dim <= 0 || buckets > math.MaxInt32 {
		panic(fmt.Sprintf("nn: NewEmbeddingBag(%d, %d): bad size", buckets, dim))
	}
	e := &EmbeddingBag{Buckets: buckets, Dim: dim, W: NewParam("w", buckets, dim)}
	e.W.rows = newRowSet(buckets)
	s := 1 / math.Sqrt(float64(dim))
	for i := range e.W.W {
		e.W.W[i] = float32(rng.NormFloat64() * s)
	}
	return e
}

// ForwardBag embeds len(offsets) bags given as one flat id list: bag b is
// ids[offsets[b]:offsets[b+1]] (the last bag runs to len(ids)). Offsets
// must be non-decreasing, start at 0 if present, and ids must lie in
// [0, Buckets); otherwise it panics. The ids are copied. The result is
// len(offsets)×Dim.
func (e *EmbeddingBag) ForwardBag(ids, offsets []int32) *Tensor {
	e.ids = append(e.ids[:0], ids...)
	e.offsets = append(e.offsets[:0], offsets...)
	e.offsets = append(e.offsets, int32(len(ids)))
	return e.forward()
}

// ForwardBags embeds len(bags) bags given as separate id lists.
func (e *EmbeddingBag) ForwardBags(bags [][]int32) *Tensor {
	e.ids, e.offsets = e.ids[:0], e.offsets[:0]
	for _, b := range bags {
		e.offsets = append(e.offsets, int32(len(e.ids)))
		e.ids = append(e.ids, b...)
	}
	e.offsets = append(e.offsets, int32(len(e.ids)))
	return e.forward()
}

func (e *EmbeddingBag) forward() *Tensor {
	nb := len(e.offsets) - 1
	d := e.Dim
	e.y = Ensure(e.y, nb, d)
	for b := range nb {
		lo, hi := e.offsets[b], e.offsets[b+1]
		if lo > hi || hi > int32(len(e.ids)) || (b == 0 && lo != 0) {
			panic(fmt.Sprintf("nn: EmbeddingBag: bad offsets %d..%d for bag %d of %d ids", lo, hi, b, len(e.ids)))
		}
		y := e.y.Data[b*d : (b+1)*d]
		clear(y)
		for _, id := range e.ids[lo:hi] {
			if id < 0 || int(id) >= e.Buckets {
				panic(fmt.Sprintf("nn: EmbeddingBag: id %d outside [0, %d)", id, e.Buckets))
			}
			row := e.W.W[int(id)*d : int(id+1)*d]
			for j, v := range row {
				y[j] += v
			}
		}
		if hi > lo {
			inv := 1 / float32(hi-lo)
			for j := range y {
				y[j] *= inv
			}
		}
	}
	return e.y
}

// Backward adds dy[b]/|B_b| to the gradient row of every id in bag b and
// records the rows touched.
func (e *EmbeddingBag) Backward(dy *Tensor) {
	mustSame("EmbeddingBag", dy, e.y)
	d := e.Dim
	for b := range len(e.offsets) - 1 {
		lo, hi := e.offsets[b], e.offsets[b+1]
		if hi == lo {
			continue
		}
		inv := 1 / float32(hi-lo)
		g := dy.Data[b*d : (b+1)*d]
		for _, id := range e.ids[lo:hi] {
			e.W.rows.add(id)
			row := e.W.G[int(id)*d : int(id+1)*d]
			for j, v := range g {
				row[j] += v * inv
			}
		}
	}
}

// Params returns the embedding table.
func (e *EmbeddingBag) Params() []*Param { return []*Param{e.W} }
