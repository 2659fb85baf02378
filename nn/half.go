package nn

import "math"

// IEEE 754 binary16 ("half precision") conversions, used to store model
// weights and embeddings at half the size (the browser demo downloads them).
// A half has 1 sign bit, 5 exponent bits (bias 15) and 10 fraction bits:
// about 3.3 significant decimal digits, normal magnitudes from 6.1e-5 to
// 65504, subnormals down to 6.0e-8.

// MaxHalf is the largest finite binary16 value.
const MaxHalf = 65504

// HalfBits returns the binary16 nearest to f (ties to even). Magnitudes
// that round above MaxHalf become ±Inf and NaN stays NaN; ok reports
// whether f was finite and fitted, so callers storing weights can refuse
// values a half cannot hold.
func HalfBits(f float32) (h uint16, ok bool) {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff { // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00, false
		}
		return sign | 0x7c00, false
	}
	e := exp - 127 + 15 // the half's biased exponent
	if e >= 0x1f {
		return sign | 0x7c00, false
	}
	if e <= 0 {
		// Subnormal half (or zero): value = m·2^-24 with m = f·2^24.
		if e < -10 {
			return sign, true // below half the smallest subnormal: ±0
		}
		m := mant | 0x800000 // the implicit leading one (f is normal here, exp ≥ 102)
		shift := uint32(14 - e)
		h := m >> shift
		rem, halfway := m&(1<<shift-1), uint32(1)<<(shift-1)
		if rem > halfway || rem == halfway && h&1 == 1 {
			h++ // may carry into the smallest normal: still the right encoding
		}
		return sign | uint16(h), true
	}
	h32 := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || rem == 0x1000 && h32&1 == 1 {
		h32++ // a carry into the exponent is the correct rounding
	}
	if h32 >= 0x7c00 {
		return sign | 0x7c00, false
	}
	return sign | uint16(h32), true
}

// HalfToFloat32 returns the float32 value of the binary16 h (exact: every
// half is a float32).
func HalfToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0:
		v := float32(mant) * (1.0 / (1 << 24)) // zero or subnormal
		return math.Float32frombits(math.Float32bits(v) | sign)
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// RoundHalf rounds every value of x to the nearest binary16 in place, as
// storing and reloading them in Float16 would. It returns the index of
// the first value a half cannot hold (not finite or beyond MaxHalf), or
// −1.
func RoundHalf(x []float32) int {
	bad := -1
	for i, v := range x {
		h, ok := HalfBits(v)
		if !ok && bad < 0 {
			bad = i
		}
		x[i] = HalfToFloat32(h)
	}
	return bad
}
