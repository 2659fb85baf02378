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
func ContentBounds(pix []uint8, w, h int) (r image.Rectangle, ok bool) {
	x0, y0, x1, y1 := w, h, -1, -1
	for y := 0; y < h; y++ {
		row := pix[y*w*4 : (y+1)*w*4]
		for x := 0; x < w; x++ {
			p := row[x*4 : x*4+4]
			a := int(p[3])
			// composited on white, channel c is 255 − a·(255 − c)/255
			if a*(255-int(min(p[0], p[1], p[2]))) >= Ink*255 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return image.Rectangle{}, false
	}
	return image.Rect(x0, y0, x1+1, y1+1), true
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
// encoder sees the image. An image without content is copied as is.
func FitTile(dst, src []uint8, s int) {
	b, ok := ContentBounds(src, s, s)
	if !ok {
		copy(dst, src[:s*s*4])
		return
	}
	q := FitSquare(b)
	scale := float32(q.Dx()) / float32(s)
	at := func(x, y int) (r, g, bl, a float32) {
		if x < 0 || y < 0 || x >= s || y >= s {
			return 0, 0, 0, 0
		}
		p := src[(y*s+x)*4 : (y*s+x)*4+4]
		a = float32(p[3])
		return float32(p[0]) * a, float32(p[1]) * a, float32(p[2]) * a, a
	}
	for y := 0; y < s; y++ {
		sy := float32(q.Min.Y) + (float32(y)+0.5)*scale - 0.5
		iy := floor(sy)
		fy := sy - float32(iy)
		for x := 0; x < s; x++ {
			sx := float32(q.Min.X) + (float32(x)+0.5)*scale - 0.5
			ix := floor(sx)
			fx := sx - float32(ix)
			var acc [4]float32
			for _, t := range [4]struct {
				dx, dy int
				w      float32
			}{{0, 0, (1 - fx) * (1 - fy)}, {1, 0, fx * (1 - fy)}, {0, 1, (1 - fx) * fy}, {1, 1, fx * fy}} {
				if t.w == 0 {
					continue
				}
				r, g, bl, a := at(ix+t.dx, iy+t.dy)
				acc[0] += t.w * r
				acc[1] += t.w * g
				acc[2] += t.w * bl
				acc[3] += t.w * a
			}
			o := dst[(y*s+x)*4 : (y*s+x)*4+4]
			if acc[3] < 0.5 {
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0
				continue
			}
			for c := 0; c < 3; c++ {
				o[c] = round8(acc[c] / acc[3])
			}
			o[3] = round8(acc[3])
		}
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

func round8(v float32) uint8 {
	return uint8(min(max(v+0.5, 0), 255))
}
