package data

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// tile returns an s×s transparent image with rectangle r filled with c.
func tile(s int, r image.Rectangle, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, s, s))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func TestContentBounds(t *testing.T) {
	red := color.NRGBA{220, 30, 30, 255}
	r := image.Rect(5, 7, 9, 10)
	m := tile(32, r, red)
	if b, ok := ContentBounds(m.Pix, 32, 32); !ok || b != r {
		t.Errorf("red block: %v %v, want %v", b, ok, r)
	}
	// An opaque white background is not content; a near-white pixel is
	// not either; a faint but dark pixel is.
	w := tile(32, image.Rect(0, 0, 32, 32), color.NRGBA{255, 255, 255, 255})
	w.SetNRGBA(3, 4, color.NRGBA{250, 250, 250, 255})
	if _, ok := ContentBounds(w.Pix, 32, 32); ok {
		t.Error("white and near-white pixels counted as content")
	}
	w.SetNRGBA(20, 25, color.NRGBA{0, 0, 0, 40}) // 40·255/255 ≥ Ink
	w.SetNRGBA(2, 2, color.NRGBA{0, 0, 0, 20})   // below Ink
	if b, ok := ContentBounds(w.Pix, 32, 32); !ok || b != image.Rect(20, 25, 21, 26) {
		t.Errorf("faint pixel: %v %v", b, ok)
	}
	if _, ok := ContentBounds(make([]uint8, 16*4), 4, 4); ok {
		t.Error("a transparent image has content")
	}
}

func TestFitSquare(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		x, y := rng.IntN(40)-5, rng.IntN(40)-5
		b := image.Rect(x, y, x+1+rng.IntN(60), y+1+rng.IntN(60))
		q := FitSquare(b)
		side := max(b.Dx(), b.Dy())
		if q.Dx() != q.Dy() || q.Dx() != side+2*((side+31)/32) {
			t.Fatalf("%v → %v: not the square of side %d + margin", b, q, side)
		}
		if !b.In(q) {
			t.Fatalf("%v → %v does not hold the content", b, q)
		}
		// centred: the margins on either side differ by at most one pixel
		if l, r := b.Min.X-q.Min.X, q.Max.X-b.Max.X; l-r > 1 || r-l > 1 {
			t.Fatalf("%v → %v: horizontal margins %d, %d", b, q, l, r)
		}
		if l, r := b.Min.Y-q.Min.Y, q.Max.Y-b.Max.Y; l-r > 1 || r-l > 1 {
			t.Fatalf("%v → %v: vertical margins %d, %d", b, q, l, r)
		}
	}
}

func TestFitTile(t *testing.T) {
	red := color.NRGBA{220, 30, 30, 255}
	// A small block in a corner comes to fill the tile, keeping its colour
	// (premultiplied sampling: no dark fringe at the transparent border).
	m := tile(32, image.Rect(2, 3, 10, 11), red)
	out := make([]uint8, 32*32*4)
	FitTile(out, m.Pix, 32)
	b, ok := ContentBounds(out, 32, 32)
	if !ok || b.Dx() < 28 || b.Dy() < 28 {
		t.Fatalf("fitted content spans %v, want nearly the whole tile", b)
	}
	for p := 0; p < 32*32; p++ {
		px := out[p*4 : p*4+4]
		if px[3] > 0 && (px[0] < 200 || px[1] > 50 || px[2] > 50) {
			t.Fatalf("pixel %d is %v, not the block's red", p, px)
		}
	}
	c := out[(16*32+16)*4:]
	if c[0] != red.R || c[1] != red.G || c[2] != red.B || c[3] != 255 {
		t.Errorf("centre %v, want %v", c[:4], red)
	}
	// Where the block sits does not matter.
	m2 := tile(32, image.Rect(20, 17, 28, 25), red)
	out2 := make([]uint8, 32*32*4)
	FitTile(out2, m2.Pix, 32)
	if string(out) != string(out2) {
		t.Error("the same block at another place fits differently")
	}
	// A tile without content is copied; Fitted applies FitTile to each.
	empty := make([]uint8, 32*32*4)
	empty[7] = 3 // a faint, transparent-ish pixel below Ink
	FitTile(out, empty, 32)
	if string(out) != string(empty) {
		t.Error("an empty tile changed")
	}
	im := &Images{W: 32, H: 32}
	im.Append(m)
	im.Append(m2)
	f := im.Fitted()
	if f.N != 2 || string(f.Pix[:32*32*4]) != string(out2) || string(f.Pix[32*32*4:]) != string(out2) {
		t.Error("Fitted differs from FitTile")
	}
	if string(im.Pix[:32*32*4]) != string(m.Pix) {
		t.Error("Fitted changed its input")
	}
}
