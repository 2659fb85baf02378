package data

import (
	"image"
	"math"
)

// Resize scales src to w×h by area averaging: each destination pixel is
// the coverage-weighted mean of the source pixels under it, computed on
// premultiplied alpha so that transparent pixels do not bleed their colour.
// For integer ratios (64→32) this is the exact k×k box mean. The result is
// deterministic (float64 arithmetic, round half up), so the data set
// rebuilds byte for byte.
func Resize(src image.Image, w, h int) *image.NRGBA {
	s := ToNRGBA(src)
	sw, sh := s.Bounds().Dx(), s.Bounds().Dy()
	// premultiplied float64 planes
	pm := make([]float64, sw*sh*4)
	for i := 0; i < sw*sh; i++ {
		a := float64(s.Pix[4*i+3]) / 255
		pm[4*i+0] = float64(s.Pix[4*i+0]) * a
		pm[4*i+1] = float64(s.Pix[4*i+1]) * a
		pm[4*i+2] = float64(s.Pix[4*i+2]) * a
		pm[4*i+3] = float64(s.Pix[4*i+3])
	}
	xw := weights(sw, w)
	yw := weights(sh, h)
	// horizontal pass: sh rows × w columns
	tmp := make([]float64, sh*w*4)
	for y := 0; y < sh; y++ {
		for x := 0; x < w; x++ {
			var acc [4]float64
			for _, t := range xw[x] {
				o := 4 * (y*sw + t.i)
				for c := 0; c < 4; c++ {
					acc[c] += pm[o+c] * t.w
				}
			}
			copy(tmp[4*(y*w+x):], acc[:])
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var acc [4]float64
			for _, t := range yw[y] {
				o := 4 * (t.i*w + x)
				for c := 0; c < 4; c++ {
					acc[c] += tmp[o+c] * t.w
				}
			}
			o := dst.PixOffset(x, y)
			a := acc[3]
			if a < 0.5 {
				continue // fully transparent: leave 0,0,0,0
			}
			for c := 0; c < 3; c++ {
				dst.Pix[o+c] = clamp8(acc[c] * 255 / a)
			}
			dst.Pix[o+3] = clamp8(a)
		}
	}
	return dst
}

type tap struct {
	i int
	w float64
}

// weights returns, for each of n destination cells over a source of m
// cells, the source cells it covers and their normalised coverage.
func weights(m, n int) [][]tap {
	out := make([][]tap, n)
	scale := float64(m) / float64(n)
	for d := 0; d < n; d++ {
		lo, hi := float64(d)*scale, float64(d+1)*scale
		for s := int(math.Floor(lo)); s < m && float64(s) < hi; s++ {
			c := math.Min(hi, float64(s+1)) - math.Max(lo, float64(s))
			if c > 1e-12 {
				out[d] = append(out[d], tap{s, c / scale})
			}
		}
	}
	return out
}

func clamp8(v float64) uint8 {
	v = math.Floor(v + 0.5)
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
