package data

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// referenceResize is the whole-image area averaging that Resize was
// before it streamed rows: the image converted by ToNRGBA, float64
// premultiplied planes of all of it, a horizontal pass over every row,
// then a vertical one. The tests hold Resize and ResizeRect to its bytes.
// (The original indexed the converted pixels as if packed, which misread
// an *image.NRGBA sub-image at the origin narrower than its stride; this
// one goes through PixOffset. Its products are rounded before they are
// summed, as in ResizeRect, which on amd64 changes nothing.)
func referenceResize(src image.Image, w, h int) *image.NRGBA {
	s := ToNRGBA(src)
	sw, sh := s.Bounds().Dx(), s.Bounds().Dy()
	pm := make([]float64, sw*sh*4)
	for y := range sh {
		for x := range sw {
			i, o := y*sw+x, s.PixOffset(x, y)
			a := float64(s.Pix[o+3]) / 255
			pm[4*i+0] = float64(s.Pix[o+0]) * a
			pm[4*i+1] = float64(s.Pix[o+1]) * a
			pm[4*i+2] = float64(s.Pix[o+2]) * a
			pm[4*i+3] = float64(s.Pix[o+3])
		}
	}
	xw := weights(sw, w)
	yw := weights(sh, h)
	tmp := make([]float64, sh*w*4)
	for y := range sh {
		for x := range w {
			var acc [4]float64
			for _, t := range xw[x] {
				o := 4 * (y*sw + t.i)
				for c := range 4 {
					acc[c] += float64(pm[o+c] * t.w)
				}
			}
			copy(tmp[4*(y*w+x):], acc[:])
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var acc [4]float64
			for _, t := range yw[y] {
				o := 4 * (t.i*w + x)
				for c := range 4 {
					acc[c] += float64(tmp[o+c] * t.w)
				}
			}
			o := dst.PixOffset(x, y)
			a := acc[3]
			if a < 0.5 {
				continue // fully transparent: leave 0,0,0,0
			}
			for c := range 3 {
				dst.Pix[o+c] = clamp8(acc[c] * 255 / a)
			}
			dst.Pix[o+3] = clamp8(a)
		}
	}
	return dst
}

// makeImages returns images over r of every type the decoders return and
// a few others, their samples written by fill (premultiplied ones may
// exceed their alpha, as a malformed file can make them).
func makeImages(r image.Rectangle, fill func([]uint8)) map[string]image.Image {
	ims := map[string]image.Image{}
	nrgba, rgba, n64, r64 := image.NewNRGBA(r), image.NewRGBA(r), image.NewNRGBA64(r), image.NewRGBA64(r)
	gray, g16, alpha, cmyk := image.NewGray(r), image.NewGray16(r), image.NewAlpha(r), image.NewCMYK(r)
	for _, p := range [][]uint8{nrgba.Pix, rgba.Pix, n64.Pix, r64.Pix, gray.Pix, g16.Pix, alpha.Pix, cmyk.Pix} {
		fill(p)
	}
	ims["NRGBA"], ims["RGBA"], ims["NRGBA64"], ims["RGBA64"] = nrgba, rgba, n64, r64
	ims["Gray"], ims["Gray16"], ims["Alpha"], ims["CMYK"] = gray, g16, alpha, cmyk
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		y := image.NewYCbCr(r, ratio)
		fill(y.Y)
		fill(y.Cb)
		fill(y.Cr)
		ims["YCbCr"+ratio.String()] = y
	}
	a := image.NewNYCbCrA(r, image.YCbCrSubsampleRatio420)
	fill(a.Y)
	fill(a.Cb)
	fill(a.Cr)
	fill(a.A)
	ims["NYCbCrA"] = a
	pal := color.Palette{color.NRGBA{200, 10, 30, 128}, color.RGBA{10, 20, 30, 40}, color.NRGBA{}, color.Gray{77}, color.RGBA64{65535, 0, 0, 65535}}
	p := image.NewPaletted(r, pal)
	fill(p.Pix)
	for i := range p.Pix {
		p.Pix[i] %= uint8(len(pal))
	}
	ims["Paletted"] = p
	return ims
}

// randomImages is makeImages with random samples, many of them 0 or 255
// (transparent and opaque pixels).
func randomImages(r image.Rectangle, seed uint64) map[string]image.Image {
	rng := rand.New(rand.NewPCG(seed, 2))
	return makeImages(r, func(p []uint8) {
		for i := range p {
			p[i] = byte(rng.Uint32())
			if rng.IntN(8) == 0 {
				p[i] = []byte{0, 255}[rng.IntN(2)]
			}
		}
	})
}

// view is the rectangle r of an image, read through At: a sub-image for
// the reference that does not depend on each type's SubImage.
type view struct {
	image.Image
	r image.Rectangle
}

func (v view) Bounds() image.Rectangle { return v.r }

// checkTransparent fails if a fully transparent pixel of m has colour.
func checkTransparent(t *testing.T, what string, m *image.NRGBA) {
	t.Helper()
	for i := 0; i < len(m.Pix); i += 4 {
		if m.Pix[i+3] == 0 && (m.Pix[i] != 0 || m.Pix[i+1] != 0 || m.Pix[i+2] != 0) {
			t.Fatalf("%s: transparent pixel %d is %v, want 0,0,0,0", what, i/4, m.Pix[i:i+4])
		}
	}
}

// Resize and ResizeRect give, to the bit, the bytes of the whole-image
// reference, for every image type, origin, shape and ratio, shrinking
// and enlarging, of the whole image and of rectangles in it.
func TestResizeMatchesReference(t *testing.T) {
	for _, c := range []struct{ w, h, dw, dh int }{{7, 5, 3, 3}, {5, 7, 3, 2}, {13, 9, 4, 6}, {9, 9, 9, 9}, {4, 6, 8, 8},
		{1, 1, 5, 3}, {30, 17, 7, 7}, {17, 30, 16, 40}, {64, 48, 32, 32}, {5, 3, 3, 3}, {64, 64, 24, 24}, {3, 200, 2, 9}} {
		r := image.Rect(3, -2, 3+c.w, -2+c.h)
		s := min(c.w, c.h)
		rects := []image.Rectangle{
			r,
			image.Rect(0, 0, s, s).Add(r.Min).Add(image.Pt((c.w-s)/2, (c.h-s)/2)), // the centred square
			image.Rect(r.Min.X, r.Min.Y, r.Max.X-c.w/2, r.Max.Y-c.h/3),            // the top left corner
			image.Rect(r.Min.X+c.w/3, r.Min.Y+c.h/2, r.Max.X, r.Max.Y),            // the bottom right one
		}
		for name, m := range randomImages(r, uint64(c.w*100+c.h)) {
			what := fmt.Sprintf("%s %d×%d → %d×%d", name, c.w, c.h, c.dw, c.dh)
			want := referenceResize(m, c.dw, c.dh)
			got := Resize(m, c.dw, c.dh)
			if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("%s: Resize differs from the reference", what)
			}
			checkTransparent(t, what, got)
			for _, q := range rects[1:] {
				want := referenceResize(view{m, q}, c.dw, c.dh)
				if got := ResizeRect(m, q, c.dw, c.dh); !bytes.Equal(got.Pix, want.Pix) {
					t.Errorf("%s: ResizeRect of %v differs from the reference", what, q)
				}
			}
		}
	}
}

// A sub-image at the origin narrower than its stride, and a rectangle of
// an image, resize as the same pixels copied out; an empty source gives
// transparent pixels.
func TestResizeSubImages(t *testing.T) {
	m := randomImages(image.Rect(0, 0, 9, 6), 7)["NRGBA"].(*image.NRGBA)
	q := image.Rect(0, 0, 5, 5)
	copied := CropNRGBA(m, q)
	want := referenceResize(copied, 3, 3)
	for name, got := range map[string]*image.NRGBA{
		"Resize of SubImage": Resize(m.SubImage(q), 3, 3),
		"ResizeRect":         ResizeRect(m, q, 3, 3),
		"reference":          referenceResize(m.SubImage(q), 3, 3),
	} {
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%s differs from the resize of the copied pixels", name)
		}
	}
	for _, e := range []image.Image{image.NewNRGBA(image.Rect(0, 0, 0, 0)), image.NewGray(image.Rect(0, 0, 0, 4)), image.NewRGBA(image.Rect(2, 2, 5, 2))} {
		got := Resize(e, 3, 2)
		if !bytes.Equal(got.Pix, make([]uint8, 3*2*4)) || !bytes.Equal(got.Pix, referenceResize(e, 3, 2).Pix) {
			t.Errorf("Resize of an empty %v: %v", e.Bounds(), got.Pix)
		}
	}
}

// A destination pixel of alpha below one half is 0,0,0,0, whatever the
// colour of the transparent pixels under it; at the same size only the
// colour of fully transparent pixels changes.
func TestResizeTransparent(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := range m.Pix {
		m.Pix[i] = 200
	}
	for y := range 4 {
		for x := range 2 {
			m.SetNRGBA(x, y, color.NRGBA{255, 9, 50, 0})
		}
	}
	m.SetNRGBA(3, 3, color.NRGBA{1, 2, 3, 0})
	got := Resize(m, 2, 2)
	for y := range 2 {
		if p := got.NRGBAAt(0, y); p != (color.NRGBA{}) {
			t.Errorf("left pixel %d is %v, want 0,0,0,0", y, p)
		}
		if p := got.NRGBAAt(1, y); p.A == 0 || p.R != 200 {
			t.Errorf("right pixel %d is %v: the transparent colour bled", y, p)
		}
	}
	same := Resize(m, 4, 4)
	for i := range 4 * 4 {
		want := m.Pix[4*i : 4*i+4]
		if want[3] == 0 {
			want = []uint8{0, 0, 0, 0}
		}
		if !bytes.Equal(same.Pix[4*i:4*i+4], want) {
			t.Errorf("4×4 → 4×4: pixel %d is %v, want %v", i, same.Pix[4*i:4*i+4], want)
		}
	}
}

// CropNRGBA and the row reader give the pixels ToNRGBA gives, for every
// image type.
func TestCropNRGBAMatchesToNRGBA(t *testing.T) {
	r := image.Rect(3, -2, 20, 9)
	q := image.Rect(5, 0, 17, 9)
	for name, m := range randomImages(r, 11) {
		want := ToNRGBA(view{m, q})
		got := CropNRGBA(m, q)
		if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%s: CropNRGBA differs from ToNRGBA of the sub-image", name)
		}
	}
}

// Reading a row of the image types the decoders return allocates
// nothing, so that resizing a large image makes no garbage per pixel.
func TestRowReaderDoesNotAllocate(t *testing.T) {
	for name, m := range randomImages(image.Rect(0, 0, 64, 4), 9) {
		if name == "Alpha" || name == "NYCbCrA" {
			continue // not returned by the decoders: converted through At
		}
		rr := newRowReader(m)
		row := make([]uint8, 4*64)
		if n := testing.AllocsPerRun(10, func() { rr.read(row, 0, 1) }); n != 0 {
			t.Errorf("%s: %v allocations a row", name, n)
		}
	}
}

// totalAlloc returns the bytes f allocates, garbage included.
func totalAlloc(f func()) int64 {
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return int64(b.TotalAlloc - a.TotalAlloc)
}

// ResizeRect of a square of side s to z×z allocates no more than its
// documented 4z² + 84s + 136z bytes, rounded up to size classes, and a
// few headers (data/formats budgets it so, as resizeCost), shrinking a
// lot or a little and enlarging.
func TestResizeRectAllocation(t *testing.T) {
	big := image.NewNRGBA(image.Rect(0, 0, 1100, 1000))
	for _, c := range []struct{ s, z int }{{1000, 224}, {1000, 32}, {1000, 999}, {1000, 1}, {300, 1000}, {7, 224}, {1, 300}, {64, 24}} {
		q := image.Rect(50, 0, 50+c.s, c.s)
		got := totalAlloc(func() { ResizeRect(big, q, c.z, c.z) })
		s, z := int64(c.s), int64(c.z)
		t.Logf("%4d → %4d: allocated %8d bytes", c.s, c.z, got)
		if limit := 4*z*z + 96*s + 160*z + 32<<10; got > limit {
			t.Errorf("%d → %d: allocated %d bytes, over %d", c.s, c.z, got, limit)
		}
	}
}

// fuzzImage makes an image of a type chosen by kind, of at most 16×16,
// its samples from pix, a rectangle in it and a destination size.
func fuzzImage(kind, w, h, dw, dh uint8, rect uint16, pix []byte) (m image.Image, q image.Rectangle, W, H int) {
	sw, sh := 1+int(w%16), 1+int(h%16)
	r := image.Rect(3, 5, 3+sw, 5+sh) // not negative: image.NewYCbCr miscounts the chroma at odd negative origins
	k := 0
	ims := makeImages(r, func(p []uint8) {
		for i := range p {
			if len(pix) > 0 {
				p[i] = pix[k%len(pix)]
				k++
			}
		}
	})
	names := make([]string, 0, len(ims))
	for n := range ims {
		names = append(names, n)
	}
	slices.Sort(names)
	m = ims[names[int(kind)%len(names)]]
	x0, y0 := int(rect&15)%sw, int(rect>>4&15)%sh
	x1, y1 := x0+1+int(rect>>8&15)%(sw-x0), y0+1+int(rect>>12&15)%(sh-y0)
	return m, image.Rect(x0, y0, x1, y1).Add(r.Min), 1 + int(dw%20), 1 + int(dh%20)
}

// ResizeRect of any rectangle of any image gives the bytes of the
// whole-image reference of the sub-image, and Resize of the whole image
// those of the reference of the image.
func FuzzResizeMatchesReference(f *testing.F) {
	f.Add(uint8(0), uint8(9), uint8(5), uint8(3), uint8(3), uint16(0x3412), []byte{0, 255, 7, 128, 33})
	f.Add(uint8(3), uint8(15), uint8(15), uint8(19), uint8(2), uint16(0xffff), []byte{1, 2, 3})
	f.Add(uint8(11), uint8(4), uint8(12), uint8(7), uint8(5), uint16(0x0000), []byte{255, 0})
	f.Fuzz(func(t *testing.T, kind, w, h, dw, dh uint8, rect uint16, pix []byte) {
		m, q, W, H := fuzzImage(kind, w, h, dw, dh, rect, pix)
		want := referenceResize(view{m, q}, W, H)
		got := ResizeRect(m, q, W, H)
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Fatalf("%T %v of %v → %d×%d: ResizeRect differs from the reference", m, q, m.Bounds(), W, H)
		}
		checkTransparent(t, "ResizeRect", got)
		if !bytes.Equal(Resize(m, W, H).Pix, referenceResize(m, W, H).Pix) {
			t.Fatalf("%T %v → %d×%d: Resize differs from the reference", m, m.Bounds(), W, H)
		}
	})
}

// BenchmarkResize compares Resize with the whole-image reference it
// replaced: a 2048² photo-sized NRGBA image to 224² and a VendorMoji
// 64² emoji to 32².
func BenchmarkResize(b *testing.B) {
	for _, c := range []struct{ s, z int }{{2048, 224}, {64, 32}} {
		m := image.NewNRGBA(image.Rect(0, 0, c.s, c.s))
		rng := rand.New(rand.NewPCG(1, 1))
		for i := range m.Pix {
			m.Pix[i] = byte(rng.Uint32())
		}
		for _, f := range []struct {
			name string
			fn   func(image.Image, int, int) *image.NRGBA
		}{{"streaming", Resize}, {"reference", referenceResize}} {
			b.Run(fmt.Sprintf("%d→%d/%s", c.s, c.z, f.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					f.fn(m, c.z, c.z)
				}
			})
		}
	}
}
