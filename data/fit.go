package data

import (
	"fmt"
	"image"
)

// Ink is how far from white (0–255, in any channel, after compositing on
// white) a pixel must be to count as part of an image's content.
const Ink = 24

// ContentBounds returns the smallest rectangle holding every pixel of a
// w×h straight-alpha RGBA image that, composited on white, differs from
// white by at least Ink in some channel; ok is false when there is none.
//
// It finds the first and the last row with such a pixel, then in each row
// between them looks only left of the leftmost pixel found so far and
// right of the rightmost: for a drawing that fills its image most pixels
// are not read.
func ContentBounds(pix []uint8, w, h int) (r image.Rectangle, ok bool) {
	if w == 0 || h <= 0 {
		return image.Rectangle{}, false
	}
	pix = pix[:w*h*4] // a negative w panics, as it always did
	y0 := 0
	for y0 < h && !inkIn(pix[y0*w*4:(y0+1)*w*4]) {
		y0++
	}
	if y0 == h {
		return image.Rectangle{}, false
	}
	y1 := h - 1
	for !inkIn(pix[y1*w*4 : (y1+1)*w*4]) {
		y1-- // stops at y0
	}
	x0, x1 := w, -1
	for y := y0; y <= y1; y++ {
		row := pix[y*w*4 : (y+1)*w*4]
		for x := 0; x < x0; x++ {
			if inked(row[x*4 : x*4+4 : x*4+4]) {
				x0 = x
				break
			}
		}
		for x := w - 1; x > x1; x-- {
			if inked(row[x*4 : x*4+4 : x*4+4]) {
				x1 = x
				break
			}
		}
	}
	return image.Rect(x0, y0, x1+1, y1+1), true
}

// inked reports whether the straight-alpha RGBA pixel p, composited on
// white, differs from white by at least Ink in some channel: channel c
// becomes 255 − a·(255 − c)/255. As 255 − c ≤ 255, that needs a ≥ Ink.
func inked(p []uint8) bool {
	if p[3] < Ink {
		return false
	}
	m := p[0]
	if p[1] < m {
		m = p[1]
	}
	if p[2] < m {
		m = p[2]
	}
	return int(p[3])*(255-int(m)) >= Ink*255
}

// inkIn reports whether some pixel of the RGBA row is inked.
func inkIn(row []uint8) bool {
	for x := 0; x+4 <= len(row); x += 4 {
		if inked(row[x : x+4 : x+4]) {
			return true
		}
	}
	return false
}

// FitSquare is the square an image is cropped to so that its content fills
// it: centred on the content bounds b, sides the longer side of b plus a
// margin of 1/32 of it on each side. It may reach outside the image, where
// pixels are transparent.
func FitSquare(b image.Rectangle) image.Rectangle {
	side := max(b.Dx(), b.Dy())
	side += 2 * ((side + 31) / 32)
	x0 := b.Min.X + (b.Dx()-side)/2
	y0 := b.Min.Y + (b.Dy()-side)/2
	if (b.Dx()-side)%2 != 0 {
		x0-- // floor of a negative half
	}
	if (b.Dy()-side)%2 != 0 {
		y0--
	}
	return image.Rect(x0, y0, x0+side, y0+side)
}

// FitTile writes into dst (s×s RGBA) the s×s RGBA image src cropped to
// FitSquare of its content and scaled back to s×s (bilinear on
// premultiplied alpha; transparent outside src). Emoji vendors draw the
// same concept at different sizes within the tile — OpenMoji leaves wider
// margins than Twemoji — and fitting removes that difference before the
// encoder sees the image. An image without content is copied as is. dst
// and src must not overlap.
//
// Each destination pixel is the sum, in float32, of its four source
// pixels (premultiplied) times their weights, in the order top left, top
// right, bottom left, bottom right; a source pixel outside src has weight
// 0 (it adds +0: every term is ≥ 0). The weights' factors are computed
// once per column and once per row (fitAxis).
func FitTile(dst, src []uint8, s int) {
	b, ok := ContentBounds(src, s, s)
	if !ok {
		copy(dst, src[:s*s*4])
		return
	}
	q := FitSquare(b)
	scale := float32(q.Dx()) / float32(s)
	var buf [2 * 128]fitTap
	taps := buf[:]
	if 2*s > len(buf) {
		taps = make([]fitTap, 2*s)
	}
	cols, rows := taps[:s], taps[s:2*s]
	fitAxis(cols, q.Min.X, scale, s, 4)
	fitAxis(rows, q.Min.Y, scale, s, 4*s)
	src, dst = src[:s*s*4], dst[:s*s*4]
	// The two source rows in use, premultiplied (r·a, g·a, b·a, a: exact
	// in float32, products of bytes): consecutive destination rows mostly
	// read the same ones.
	var pmBuf [2 * 4 * 128]float32
	pm := pmBuf[:]
	if 8*s > len(pm) {
		pm = make([]float32, 8*s)
	}
	slot := [2]fitRow{{-1, pm[:4*s]}, {-1, pm[4*s : 8*s]}}
	for y, ry := range rows {
		b0, b1 := src[ry.o0:ry.o0+4*s], src[ry.o1:ry.o1+4*s]
		r0, r1 := fitPremul(&slot, b0, ry.o0, ry.o1), fitPremul(&slot, b1, ry.o1, ry.o0)
		out := dst[4*s*y : 4*s*(y+1)]
		for x, cx := range cols {
			o := out[4*x : 4*x+4 : 4*x+4]
			if b0[cx.o0+3]|b0[cx.o1+3]|b1[cx.o0+3]|b1[cx.o1+3] == 0 {
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0 // every term is +0: alpha 0 < 0.5
				continue
			}
			w00, w10, w01, w11 := cx.g*ry.g, cx.f*ry.g, cx.g*ry.f, cx.f*ry.f
			p00, p10 := r0[cx.o0:cx.o0+4:cx.o0+4], r0[cx.o1:cx.o1+4:cx.o1+4]
			p01, p11 := r1[cx.o0:cx.o0+4:cx.o0+4], r1[cx.o1:cx.o1+4:cx.o1+4]
			// acc starts at +0, so the first term is the sum
			r, g, bl, a := w00*p00[0], w00*p00[1], w00*p00[2], w00*p00[3]
			r += w10 * p10[0]
			g += w10 * p10[1]
			bl += w10 * p10[2]
			a += w10 * p10[3]
			r += w01 * p01[0]
			g += w01 * p01[1]
			bl += w01 * p01[2]
			a += w01 * p01[3]
			r += w11 * p11[0]
			g += w11 * p11[1]
			bl += w11 * p11[2]
			a += w11 * p11[3]
			if a < 0.5 {
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0
				continue
			}
			o[0], o[1], o[2], o[3] = round8(r/a), round8(g/a), round8(bl/a), round8(a)
		}
	}
}

// fitRow is a source row of FitTile, premultiplied, and its offset in
// src (−1: none yet).
type fitRow struct {
	off int
	pm  []float32
}

// fitPremul returns the premultiplied row of the bytes row at offset off,
// from slot if it holds it, else written into the slot that does not hold
// the row at offset keep.
func fitPremul(slot *[2]fitRow, row []uint8, off, keep int) []float32 {
	for i := range slot {
		if slot[i].off == off {
			return slot[i].pm
		}
	}
	t := &slot[0]
	if t.off == keep {
		t = &slot[1]
	}
	t.off = off
	pm := t.pm[:len(row)]
	for i := 0; i+4 <= len(row); i += 4 {
		p, d := row[i:i+4:i+4], pm[i:i+4:i+4]
		a := float32(p[3])
		d[0], d[1], d[2], d[3] = float32(p[0])*a, float32(p[1])*a, float32(p[2])*a, a
	}
	return t.pm
}

// fitTap is where FitTile samples along one axis for one destination
// column or row: the offsets in src of the source column or row i =
// floor(v) and of i+1, and their weights 1 − f and f (f = v − i), a
// weight being 0 (and its offset 0) for a column or row outside src.
type fitTap struct {
	o0, o1 int
	g, f   float32
}

// fitAxis fills taps for the destination columns or rows 0…len(taps)−1 of
// a tile of side s sampling the square from lo with the given scale;
// stride is the byte distance between source columns or rows.
func fitAxis(taps []fitTap, lo int, scale float32, s, stride int) {
	for x := range taps {
		v := float32(lo) + (float32(x)+0.5)*scale - 0.5
		i := floor(v)
		f := v - float32(i)
		t := fitTap{g: 1 - f, f: f}
		if i >= 0 && i < s {
			t.o0 = i * stride
		} else {
			t.g = 0
		}
		if i+1 >= 0 && i+1 < s {
			t.o1 = (i + 1) * stride
		} else {
			t.f = 0
		}
		taps[x] = t
	}
}

// Fitted returns a copy of pixel images with FitTile applied to each.
func (im *Images) Fitted() *Images {
	if !im.IsPixels() || im.W != im.H {
		panic(fmt.Sprintf("data: Fitted needs square pixel images, not %dx%d (feature dim %d)", im.W, im.H, im.Dim))
	}
	out := &Images{N: im.N, W: im.W, H: im.H, Pix: make([]uint8, len(im.Pix))}
	sz := im.W * im.H * 4
	for n := 0; n < im.N; n++ {
		FitTile(out.Pix[n*sz:(n+1)*sz], im.Pix[n*sz:(n+1)*sz], im.W)
	}
	return out
}

func floor(v float32) int {
	i := int(v)
	if float32(i) > v {
		i--
	}
	return i
}

// round8 rounds v ≥ 0 (never NaN) half up to a byte, clamping at 255. It
// compares instead of calling Go's float min and max, which under
// WebAssembly are runtime calls (for their NaN and −0 rules, moot here):
// v + 0.5 ≥ 0.5, so the lower clamp of max(v+0.5, 0) never applies.
func round8(v float32) uint8 {
	v += 0.5
	if v > 255 {
		v = 255
	}
	return uint8(v)
}
