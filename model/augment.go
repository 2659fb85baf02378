package model

import (
	"math"
	"math/rand/v2"
)

// Augment perturbs composited 3×S×S images in ways that keep their
// meaning: a shift of up to Shift pixels (given for 32-px tiles, scaled
// by S/32), a zoom by a factor in
// [1−Scale, 1+Scale] about the centre (bilinear, white outside), and a
// colour jitter of brightness (±Bright), contrast (×[1−Contrast,
// 1+Contrast]) and saturation (×[1−Sat, 1+Sat]). No flips: a mirrored
// arrow or hand means something else.
//
// With probability Outline it also redraws the image in a line-art style:
// every pixel darkens towards black by the local contrast of its
// luminance (the largest difference to a pixel up to S/32 steps along its
// row or column — a 4-neighbour at 32 px — times 3), so shapes
// and the silhouette against the white background get dark outlines, as
// in OpenMoji's art. It is a style augmentation for transfer to outlined
// vendors; off (0) by default.
//
// Hue rotates colours about the grey axis by an angle in [−Hue, Hue]
// turns, and with probability Grey the image becomes its luminance: both
// off by default (colour tells many emoji apart, a red from a blue heart);
// the self-supervised views (train.Options.SSLWeight) use them, so that
// telling two views apart cannot be done by colour alone.
//
// Rng drives every draw; the trainer reseeds it per step, so a resumed
// run draws the same augmentations.
type Augment struct {
	Shift    float64
	Scale    float64
	Bright   float64
	Contrast float64
	Sat      float64
	Outline  float64
	Hue      float64
	Grey     float64
	Rng      *rand.Rand

	tmp []float32
}

// DefaultAugment is the augmentation used for VendorMoji.
func DefaultAugment() *Augment {
	return &Augment{Shift: 2, Scale: 0.1, Bright: 0.08, Contrast: 0.15, Sat: 0.2, Rng: rand.New(rand.NewPCG(1, 1))}
}

// ViewAugment is the extra augmentation of the second view of a target
// image in the self-supervised term (train.Options.SSLWeight), applied on
// top of the usual one: a further shift and zoom, stronger colour jitter,
// a hue turn of up to ±0.15 (54°) and a grey image one time in five.
func ViewAugment() *Augment {
	return &Augment{Shift: 2, Scale: 0.15, Bright: 0.1, Contrast: 0.2, Sat: 0.3, Hue: 0.15, Grey: 0.2, Rng: rand.New(rand.NewPCG(2, 2))}
}

// Apply augments one image in place.
func (a *Augment) Apply(x []float32, s int) {
	n := s * s
	if cap(a.tmp) < 3*n {
		a.tmp = make([]float32, 3*n)
	}
	tmp := a.tmp[:3*n]
	copy(tmp, x)
	u := func(r float64) float64 { return (a.Rng.Float64()*2 - 1) * r }
	// Shift and the outline's reach are given for 32-px tiles and scale
	// with the image, so an augmentation means the same at 64 px
	px := float64(s) / 32
	dx, dy := u(a.Shift)*px, u(a.Shift)*px
	z := 1 + u(a.Scale)
	c := float64(s-1) / 2
	// geometric: x_out(p) = x_in(c + (p − c)/z − d), bilinear, white outside
	for y := 0; y < s; y++ {
		sy := c + (float64(y)-c)/z - dy
		y0 := int(math.Floor(sy))
		fy := float32(sy - float64(y0))
		for xx := 0; xx < s; xx++ {
			sx := c + (float64(xx)-c)/z - dx
			x0 := int(math.Floor(sx))
			fx := float32(sx - float64(x0))
			for ch := 0; ch < 3; ch++ {
				p := tmp[ch*n : (ch+1)*n]
				at := func(yy, xx int) float32 {
					if yy < 0 || yy >= s || xx < 0 || xx >= s {
						return 1
					}
					return p[yy*s+xx]
				}
				v := (1-fy)*((1-fx)*at(y0, x0)+fx*at(y0, x0+1)) + fy*((1-fx)*at(y0+1, x0)+fx*at(y0+1, x0+1))
				x[ch*n+y*s+xx] = v
			}
		}
	}
	b := float32(u(a.Bright))
	ct := float32(1 + u(a.Contrast))
	st := float32(1 + u(a.Sat))
	for p := 0; p < n; p++ {
		r, g, bl := x[p], x[n+p], x[2*n+p]
		grey := 0.299*r + 0.587*g + 0.114*bl
		for ch, v := range [3]float32{r, g, bl} {
			v = grey + st*(v-grey)        // saturation
			v = 0.5 + ct*(v-0.5) + b      // contrast, brightness
			x[ch*n+p] = min(max(v, 0), 1) // keep in [0, 1]
		}
	}
	if a.Hue > 0 {
		hueRotate(x, n, u(a.Hue)*2*math.Pi)
	}
	if a.Grey > 0 && a.Rng.Float64() < a.Grey {
		for p := 0; p < n; p++ {
			g := 0.299*x[p] + 0.587*x[n+p] + 0.114*x[2*n+p]
			x[p], x[n+p], x[2*n+p] = g, g, g
		}
	}
	if a.Outline > 0 && a.Rng.Float64() < a.Outline {
		outline(x, tmp, s, max(1, s/32))
	}
}

// hueRotate turns the colours of x (3×n) by angle θ about the grey axis
// (1, 1, 1)/√3 (Rodrigues' rotation), clamped to [0, 1]: white and greys
// stay, a red becomes a green at θ = 2π/3.
func hueRotate(x []float32, n int, theta float64) {
	c, s := math.Cos(theta), math.Sin(theta)
	const k = 1.0 / 3
	q := math.Sqrt(k)
	var m [3][3]float32
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			v := c*b2f(i == j) + (1-c)*k
			// cross-product term: s·[u]ₓ with u = (1,1,1)/√3
			switch (j - i + 3) % 3 {
			case 1:
				v -= s * q
			case 2:
				v += s * q
			}
			m[i][j] = float32(v)
		}
	}
	for p := 0; p < n; p++ {
		r, g, b := x[p], x[n+p], x[2*n+p]
		for ch := 0; ch < 3; ch++ {
			x[ch*n+p] = min(max(m[ch][0]*r+m[ch][1]*g+m[ch][2]*b, 0), 1)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// outline darkens each pixel of x (3×s×s) by the local contrast of its
// luminance: the largest difference to a pixel up to r steps away along
// the row or column (r = 1 at 32 px, so lines keep their width relative
// to the tile); lum is scratch of at least s·s values.
func outline(x, lum []float32, s, r int) {
	n := s * s
	lum = lum[:n]
	for p := range lum {
		lum[p] = 0.299*x[p] + 0.587*x[n+p] + 0.114*x[2*n+p]
	}
	for y := 0; y < s; y++ {
		for xx := 0; xx < s; xx++ {
			l := lum[y*s+xx]
			var d float32
			for k := 1; k <= r; k++ {
				for _, q := range [4][2]int{{y - k, xx}, {y + k, xx}, {y, xx - k}, {y, xx + k}} {
					nb := float32(1) // white outside the image
					if q[0] >= 0 && q[0] < s && q[1] >= 0 && q[1] < s {
						nb = lum[q[0]*s+q[1]]
					}
					d = max(d, abs32(l-nb))
				}
			}
			keep := 1 - min(1, 3*d)
			for ch := 0; ch < 3; ch++ {
				x[ch*n+y*s+xx] *= keep
			}
		}
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
