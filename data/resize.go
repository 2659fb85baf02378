package data

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// Resize scales src to w×h by area averaging: each destination pixel is
// the coverage-weighted mean of the source pixels under it, computed on
// premultiplied alpha so that transparent pixels do not bleed their colour.
// For integer ratios (64→32) this is the exact k×k box mean. The result is
// deterministic (float64 arithmetic, round half up), so the data set
// rebuilds byte for byte. A destination pixel of alpha below one half is
// fully transparent, 0,0,0,0. It is ResizeRect of the whole image.
func Resize(src image.Image, w, h int) *image.NRGBA {
	return ResizeRect(src, src.Bounds(), w, h)
}

// ResizeRect scales the rectangle r of src, which must lie within its
// bounds, to w×h as Resize scales a whole image, to the same bytes. It
// reads src a row at a time and keeps only the horizontally filtered
// rows that the current destination row needs: for a square of side s
// brought to z×z it allocates at most about 4·z² + 84·s + 136·z bytes
// (the result, a source row as bytes and as float64, the filtered rows,
// the weights), not float64 copies of the whole source.
func ResizeRect(src image.Image, r image.Rectangle, w, h int) *image.NRGBA {
	if !r.In(src.Bounds()) {
		panic(fmt.Sprintf("data: ResizeRect of %v outside the image bounds %v", r, src.Bounds()))
	}
	xw := weights(r.Dx(), w)
	yw := xw
	if r.Dy() != r.Dx() || h != w {
		yw = weights(r.Dy(), h)
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	span := 0 // the most source rows a destination row covers
	for _, taps := range yw {
		if len(taps) > 0 {
			span = max(span, taps[len(taps)-1].i-taps[0].i+1)
		}
	}
	win := &rowWindow{rows: newRowReader(src), x0: r.Min.X, y0: r.Min.Y, wt: xw,
		pix: make([]uint8, 4*r.Dx()), pm: make([]float64, 4*r.Dx()),
		ring: make([]float64, span*4*w), span: span}
	acc := make([]float64, 4*w)
	for y, taps := range yw {
		if len(taps) == 0 {
			continue // an empty source: transparent
		}
		clear(acc)
		win.advance(taps[0].i)
		for _, t := range taps {
			row := win.get(t.i)
			for k := range acc {
				acc[k] += float64(row[k] * t.w)
			}
		}
		finishRow(dst.Pix[dst.PixOffset(0, y):dst.PixOffset(w, y)], acc)
	}
	return dst
}

// finishRow turns accumulated premultiplied values into straight-alpha
// bytes, rounding half up; a pixel of alpha below one half stays 0,0,0,0.
func finishRow(dst []uint8, acc []float64) {
	for x := 0; 4*x < len(acc); x++ {
		a := acc[4*x+3]
		if a < 0.5 {
			continue
		}
		for c := range 3 {
			dst[4*x+c] = clamp8(acc[4*x+c] * 255 / a)
		}
		dst[4*x+3] = clamp8(a)
	}
}

// rowWindow holds the horizontally filtered source rows first to
// first+n-1 in a ring of span rows, row i in slot i mod span.
// Destination rows need nondecreasing ranges of at most span source
// rows, so the rows before the one asked for can be overwritten.
type rowWindow struct {
	rows     *rowReader
	x0, y0   int
	wt       [][]tap // the horizontal weights
	pix      []uint8
	pm       []float64
	ring     []float64
	span     int
	first, n int
}

// advance drops the rows before i.
func (w *rowWindow) advance(i int) {
	d := min(w.n, max(0, i-w.first))
	w.first, w.n = w.first+d, w.n-d
	if w.n == 0 {
		w.first = i
	}
}

// slot returns the ring's row for source row i.
func (w *rowWindow) slot(i int) []float64 {
	k := 4 * len(w.wt)
	return w.ring[i%w.span*k : (i%w.span+1)*k]
}

// get returns the filtered source row i (from the rectangle's top),
// which must be less than span rows after the row of the last advance.
func (w *rowWindow) get(i int) []float64 {
	for w.first+w.n <= i {
		w.filter(w.first + w.n)
		w.n++
	}
	return w.slot(i)
}

// filter premultiplies source row i and averages it horizontally into
// its slot of the ring.
func (w *rowWindow) filter(i int) {
	w.rows.read(w.pix, w.x0, w.y0+i)
	for k := 0; k < len(w.pix); k += 4 {
		a := float64(w.pix[k+3]) / 255
		w.pm[k], w.pm[k+1], w.pm[k+2] = float64(w.pix[k])*a, float64(w.pix[k+1])*a, float64(w.pix[k+2])*a
		w.pm[k+3] = float64(w.pix[k+3])
	}
	row := w.slot(i)
	for x, taps := range w.wt {
		var acc [4]float64
		for _, t := range taps {
			for c := range 4 {
				// the conversion rounds the product: no fused
				// multiply-add, the same bytes on every architecture
				acc[c] += float64(w.pm[4*t.i+c] * t.w)
			}
		}
		copy(row[4*x:], acc[:])
	}
}

// tap is one source cell's weight in a destination cell.
type tap struct {
	i int
	w float64
}

// weights returns, for each of n destination cells over a source of m
// cells, the source cells it covers, in order, and their coverage
// divided by the scale.
func weights(m, n int) [][]tap {
	out := make([][]tap, n)
	flat := make([]tap, 0, m+n)
	scale := float64(m) / float64(n)
	for d := range n {
		lo, hi := float64(d)*scale, float64(d+1)*scale
		start := len(flat)
		for s := int(math.Floor(lo)); s < m && float64(s) < hi; s++ {
			if c := math.Min(hi, float64(s+1)) - math.Max(lo, float64(s)); c > 1e-12 {
				flat = append(flat, tap{s, c / scale})
			}
		}
		out[d] = flat[start:len(flat):len(flat)]
	}
	return out
}

func clamp8(v float64) uint8 {
	v = math.Floor(v + 0.5)
	return uint8(max(0, min(255, v)))
}

// CropNRGBA returns the rectangle r of src, which must lie within its
// bounds, as a new straight-alpha image at the origin: the pixels
// ToNRGBA gives, converted a row at a time without allocating per pixel
// for the image types the standard decoders return.
func CropNRGBA(src image.Image, r image.Rectangle) *image.NRGBA {
	if !r.In(src.Bounds()) {
		panic(fmt.Sprintf("data: CropNRGBA of %v outside the image bounds %v", r, src.Bounds()))
	}
	dst := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	rows := newRowReader(src)
	for y := range r.Dy() {
		rows.read(dst.Pix[dst.PixOffset(0, y):dst.PixOffset(r.Dx(), y)], r.Min.X, r.Min.Y+y)
	}
	return dst
}

// rowReader reads rows of an image as straight-alpha RGBA bytes, each
// pixel exactly as color.NRGBAModel.Convert(m.At(x, y)) gives it, as
// ToNRGBA converts, but a row at a time and without allocating per pixel
// for the image types the standard decoders return.
type rowReader struct {
	m   image.Image
	pal [][4]uint8 // a paletted image's colours, converted
}

func newRowReader(m image.Image) *rowReader {
	r := &rowReader{m: m}
	if p, ok := m.(*image.Paletted); ok {
		r.pal = make([][4]uint8, len(p.Palette))
		for i, c := range p.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			r.pal[i] = [4]uint8{n.R, n.G, n.B, n.A}
		}
	}
	return r
}

// read writes the len(dst)/4 pixels from (x0, y) rightwards to dst.
func (r *rowReader) read(dst []uint8, x0, y int) {
	switch m := r.m.(type) {
	case *image.NRGBA:
		i := m.PixOffset(x0, y)
		copy(dst, m.Pix[i:i+len(dst)])
	case *image.Paletted:
		r.paletted(dst, m, x0, y)
	case *image.Gray:
		convertRow(dst, m.GrayAt, x0, y)
	case *image.Gray16:
		convertRow(dst, m.Gray16At, x0, y)
	case *image.RGBA:
		convertRow(dst, m.RGBAAt, x0, y)
	case *image.RGBA64:
		convertRow(dst, m.RGBA64At, x0, y)
	case *image.NRGBA64:
		convertRow(dst, m.NRGBA64At, x0, y)
	case *image.YCbCr:
		convertRow(dst, m.YCbCrAt, x0, y)
	case *image.CMYK:
		convertRow(dst, m.CMYKAt, x0, y)
	default:
		for k := 0; 4*k < len(dst); k++ {
			r.convertAt(dst[4*k:4*k+4], x0+k, y)
		}
	}
}

func (r *rowReader) paletted(dst []uint8, m *image.Paletted, x0, y int) {
	i := m.PixOffset(x0, y)
	for k := 0; 4*k < len(dst); k++ {
		if c := int(m.Pix[i+k]); c < len(r.pal) {
			copy(dst[4*k:4*k+4], r.pal[c][:])
		} else {
			r.convertAt(dst[4*k:4*k+4], x0+k, y)
		}
	}
}

// convertAt converts one pixel through color.NRGBAModel.
func (r *rowReader) convertAt(d []uint8, x, y int) {
	c := color.NRGBAModel.Convert(r.m.At(x, y)).(color.NRGBA)
	d[0], d[1], d[2], d[3] = c.R, c.G, c.B, c.A
}

// convertRow converts the pixels at(x0+k, y) to straight alpha as
// color.NRGBAModel does any colour that is not a color.NRGBA.
func convertRow[C interface{ RGBA() (r, g, b, a uint32) }](dst []uint8, at func(x, y int) C, x0, y int) {
	for k := 0; 4*k < len(dst); k++ {
		r, g, b, a := at(x0+k, y).RGBA()
		d := dst[4*k : 4*k+4]
		switch a {
		case 0xffff:
			d[0], d[1], d[2], d[3] = uint8(r>>8), uint8(g>>8), uint8(b>>8), 0xff
		case 0:
			d[0], d[1], d[2], d[3] = 0, 0, 0, 0
		default:
			d[0], d[1], d[2], d[3] = uint8(r*0xffff/a>>8), uint8(g*0xffff/a>>8), uint8(b*0xffff/a>>8), uint8(a>>8)
		}
	}
}
