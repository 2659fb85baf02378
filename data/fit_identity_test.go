package data

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"testing"
)

// fitCase is an s×s RGBA test image for FitTile (or w×h for
// ContentBounds) and what it is.
type fitCase struct {
	name string
	w, h int
	pix  []uint8
}

// fitCases returns images of many sizes and kinds: transparent (with and
// without colour under alpha 0), fully opaque (noise, white, black),
// single pixels of ink at corners, edges and inside, faint pixels at the
// Ink threshold, blocks and strips touching the borders, anti-aliased
// disks, random noise with random alpha. With square false, w and h
// differ for half of them.
func fitCases(rng *rand.Rand, square bool) []fitCase {
	var cs []fitCase
	sizes := []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 96, 100, 127, 128, 200, 256}
	for _, s := range sizes {
		w, h := s, s
		if !square && s > 1 {
			h = 1 + rng.IntN(2*s)
		}
		add := func(kind string, fill func(pix []uint8)) {
			pix := make([]uint8, w*h*4)
			fill(pix)
			cs = append(cs, fitCase{fmt.Sprintf("%s/%dx%d", kind, w, h), w, h, pix})
		}
		set := func(pix []uint8, x, y int, c [4]uint8) {
			if x >= 0 && y >= 0 && x < w && y < h {
				copy(pix[(y*w+x)*4:], c[:])
			}
		}
		rgba := func() [4]uint8 {
			return [4]uint8{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32())}
		}
		add("transparent", func([]uint8) {})
		add("transparent-colours", func(pix []uint8) {
			for i := range pix {
				if i%4 != 3 {
					pix[i] = uint8(rng.Uint32())
				}
			}
		})
		add("opaque-noise", func(pix []uint8) {
			for i := range pix {
				pix[i] = uint8(rng.Uint32())
				if i%4 == 3 {
					pix[i] = 255
				}
			}
		})
		add("opaque-white", func(pix []uint8) {
			for i := range pix {
				pix[i] = 255
			}
		})
		add("opaque-black", func(pix []uint8) {
			for i := 3; i < len(pix); i += 4 {
				pix[i] = 255
			}
		})
		add("noise", func(pix []uint8) {
			for i := range pix {
				pix[i] = uint8(rng.Uint32())
			}
		})
		add("sparse-noise", func(pix []uint8) {
			for range 1 + w*h/50 {
				set(pix, rng.IntN(w), rng.IntN(h), rgba())
			}
		})
		for _, p := range [][2]int{{0, 0}, {w - 1, 0}, {0, h - 1}, {w - 1, h - 1}, {w / 2, h / 2}, {rng.IntN(w), rng.IntN(h)}, {rng.IntN(w), 0}, {0, rng.IntN(h)}} {
			add(fmt.Sprintf("pixel-%d,%d", p[0], p[1]), func(pix []uint8) {
				set(pix, p[0], p[1], [4]uint8{uint8(rng.IntN(200)), uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(Ink + rng.IntN(256-Ink))})
			})
		}
		// Ink threshold: a·(255 − min) = Ink·255 exactly (a = 255, min = 231)
		// is content; one less is not.
		add("threshold", func(pix []uint8) {
			set(pix, rng.IntN(w), rng.IntN(h), [4]uint8{231, 240, 250, 255})
			set(pix, rng.IntN(w), rng.IntN(h), [4]uint8{232, 240, 250, 255})
			set(pix, rng.IntN(w), rng.IntN(h), [4]uint8{0, 0, 0, Ink})
			set(pix, rng.IntN(w), rng.IntN(h), [4]uint8{0, 0, 0, Ink - 1})
		})
		add("faint-on-white", func(pix []uint8) {
			for i := range pix {
				pix[i] = 255 - uint8(rng.IntN(Ink+2))
			}
		})
		for k := range 3 {
			add(fmt.Sprintf("block%d", k), func(pix []uint8) {
				x0, y0 := rng.IntN(w), rng.IntN(h)
				x1, y1 := x0+1+rng.IntN(w-x0), y0+1+rng.IntN(h-y0)
				c := rgba()
				c[3] = uint8(Ink + rng.IntN(256-Ink))
				for y := y0; y < y1; y++ {
					for x := x0; x < x1; x++ {
						set(pix, x, y, c)
					}
				}
			})
		}
		add("strip-wide", func(pix []uint8) {
			y := rng.IntN(h)
			for x := 0; x < w; x++ {
				set(pix, x, y, [4]uint8{10, 20, 30, 255})
			}
		})
		add("strip-tall", func(pix []uint8) {
			x := rng.IntN(w)
			for y := 0; y < h; y++ {
				set(pix, x, y, [4]uint8{200, 20, 30, 128})
			}
		})
		for k := range 3 {
			add(fmt.Sprintf("disk%d", k), func(pix []uint8) { drawDisk(rng, pix, w, h) })
		}
	}
	return cs
}

// drawDisk draws an anti-aliased disk of random colour, centre and radius
// (coverage in alpha), as an emoji's drawing looks on its transparent tile.
func drawDisk(rng *rand.Rand, pix []uint8, w, h int) {
	cx, cy := rng.Float64()*float64(w), rng.Float64()*float64(h)
	r := 0.5 + rng.Float64()*float64(max(w, h))/2
	c := [3]uint8{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32())}
	for y := range h {
		for x := range w {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			d := r - sqrt(dx*dx+dy*dy)
			if d <= -0.5 {
				continue
			}
			cov := min(d+0.5, 1)
			p := pix[(y*w+x)*4:]
			p[0], p[1], p[2], p[3] = c[0]+uint8(x), c[1], c[2]+uint8(y), uint8(cov*255)
		}
	}
}

func sqrt(v float64) float64 {
	z := max(v, 1)
	for range 30 {
		z = (z + v/z) / 2
	}
	return z
}

// TestFitTileMatchesReference checks that ContentBounds and FitTile give
// the bytes of the implementations they replaced (fit_ref_test.go) on
// every image of fitCases, square and not, and on a few hundred more
// random drawings; FitTile writes every byte of dst (which starts as
// noise).
func TestFitTileMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 1))
	cases := append(fitCases(rng, true), fitCases(rng, false)...)
	for i := range 600 {
		s := 1 + rng.IntN(80)
		if i%50 == 0 {
			s = 256 + rng.IntN(300)
		}
		pix := make([]uint8, s*s*4)
		for range 1 + rng.IntN(3) {
			drawDisk(rng, pix, s, s)
		}
		cases = append(cases, fitCase{fmt.Sprintf("random%d/%d", i, s), s, s, pix})
	}
	square := 0
	for _, c := range cases {
		b, ok := ContentBounds(c.pix, c.w, c.h)
		rb, rok := contentBoundsRef(c.pix, c.w, c.h)
		if b != rb || ok != rok {
			t.Fatalf("%s: ContentBounds %v %v, reference %v %v", c.name, b, ok, rb, rok)
		}
		if c.w != c.h {
			continue
		}
		square++
		s := c.w
		got, want := make([]uint8, s*s*4), make([]uint8, s*s*4)
		for i := range got {
			got[i] = uint8(rng.Uint32())
		}
		copy(want, got)
		FitTile(got, c.pix, s)
		fitTileRef(want, c.pix, s)
		if !bytes.Equal(got, want) {
			for p := 0; p < s*s*4; p++ {
				if got[p] != want[p] {
					t.Fatalf("%s (content %v): FitTile differs from the reference first at pixel %d,%d channel %d: %d, want %d",
						c.name, rb, p/4%s, p/4/s, p%4, got[p], want[p])
				}
			}
		}
	}
	if square < 1000 {
		t.Fatalf("only %d square images compared", square)
	}
	t.Logf("%d images compared for ContentBounds, %d of them square for FitTile", len(cases), square)
}

// fitBench is a 64×64 tile like the demo's image query: an anti-aliased
// drawing with transparent margins, off centre.
func fitBench() []uint8 {
	const s = 64
	pix := make([]uint8, s*s*4)
	rng := rand.New(rand.NewPCG(64, 64))
	for range 3 {
		cx, cy, r := 24+rng.Float64()*10, 28+rng.Float64()*10, 8+rng.Float64()*12
		for y := range s {
			for x := range s {
				dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
				d := r - sqrt(dx*dx+dy*dy)
				if d <= -0.5 {
					continue
				}
				p := pix[(y*s+x)*4:]
				p[0], p[1], p[2], p[3] = uint8(200+x), uint8(40+y), 90, max(p[3], uint8(min(d+0.5, 1)*255))
			}
		}
	}
	return pix
}

// BenchmarkFitTile compares FitTile with the reference it replaced on
// the demo's query size (64×64) and a larger tile.
func BenchmarkFitTile(b *testing.B) {
	src := fitBench()
	big := image.NewNRGBA(image.Rect(0, 0, 256, 256))
	drawDisk(rand.New(rand.NewPCG(3, 3)), big.Pix, 256, 256)
	for _, c := range []struct {
		s   int
		pix []uint8
	}{{64, src}, {256, big.Pix}} {
		dst := make([]uint8, c.s*c.s*4)
		for _, f := range []struct {
			name string
			fn   func(dst, src []uint8, s int)
		}{{"new", FitTile}, {"reference", fitTileRef}} {
			b.Run(fmt.Sprintf("%d/%s", c.s, f.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					f.fn(dst, c.pix, c.s)
				}
			})
		}
	}
}
