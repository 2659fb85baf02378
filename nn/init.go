package nn

import (
	"math"
	"math/rand/v2"
)

// Init fills w, the weights of a layer with the given fan-in and fan-out,
// with random values drawn from rng.
type Init func(rng *rand.Rand, fanIn, fanOut int, w []float32)

// XavierUniform (Glorot) draws from U(−a, a) with a = √(6/(fanIn+fanOut)),
// which keeps the variance of activations and gradients for linear or tanh
// layers.
func XavierUniform(rng *rand.Rand, fanIn, fanOut int, w []float32) {
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * a)
	}
}

// HeNormal (Kaiming) draws from N(0, 2/fanIn), which keeps the variance of
// activations through ReLU layers.
func HeNormal(rng *rand.Rand, fanIn, fanOut int, w []float32) {
	s := math.Sqrt(2 / float64(fanIn))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * s)
	}
}

// HeUniform (Kaiming) draws from U(−a, a) with a = √(6/fanIn).
func HeUniform(rng *rand.Rand, fanIn, fanOut int, w []float32) {
	a := math.Sqrt(6 / float64(fanIn))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * a)
	}
}

// NewRand returns a generator seeded with seed: rand.New(rand.NewPCG(seed,
// seed^0x9E3779B97F4A7C15)). Equal seeds give equal streams.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
}
