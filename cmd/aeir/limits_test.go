package main

import (
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"aeir/data/formats"
)

// The limit flags start at the defaults, or at what lim holds, and take
// byte counts with binary suffixes.
func TestAddLimitFlags(t *testing.T) {
	lim := formats.Limits{MaxDecodeInFlight: 3 << 30}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	addLimitFlags(fs, &lim)
	def := formats.DefaultLimits()
	if lim.MaxDecodeBytes != def.MaxDecodeBytes || lim.MaxImageSide != def.MaxImageSide || lim.MaxDecodeInFlight != 3<<30 {
		t.Fatalf("before parsing: %+v", lim)
	}
	if got := fs.Lookup("max-decode-in-flight").DefValue; got != "3GiB" {
		t.Errorf("default shown as %q", got)
	}
	err := fs.Parse([]string{"-max-decode-bytes", "1.5GiB", "-max-decode-in-flight=512m", "-max-image-bytes", "1000", "-max-image-side", "9000", "-max-image-pixels", "50000000"})
	if err != nil {
		t.Fatal(err)
	}
	if lim.MaxDecodeBytes != 3<<29 || lim.MaxDecodeInFlight != 512<<20 || lim.MaxImageBytes != 1000 || lim.MaxImageSide != 9000 || lim.MaxImagePixels != 50000000 {
		t.Errorf("after parsing: %+v", lim)
	}
	for _, bad := range []string{"0", "-1", "1PiB", "lots", "1e30"} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(new(strings.Builder))
		addLimitFlags(fs, &formats.Limits{})
		if err := fs.Parse([]string{"-max-decode-bytes", bad}); err == nil {
			t.Errorf("-max-decode-bytes %s: no error", bad)
		}
	}
}

// A large thumbnail is shrunk by whole blocks before data.Resize, so
// decoding it allocates about its decoded size, not 40 bytes a pixel; a
// flat colour stays that colour.
func TestDecodeThumbLarge(t *testing.T) {
	m := image.NewGray(image.Rect(0, 0, 4000, 3000))
	for i := range m.Pix {
		m.Pix[i] = 200
	}
	p := filepath.Join(t.TempDir(), "big.png")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, m); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var a, b runtimeMem
	a.read()
	im, err := decodeThumb(p)
	b.read()
	if err != nil {
		t.Fatal(err)
	}
	if alloc := b.total - a.total; alloc > 3*int64(len(m.Pix)) {
		t.Errorf("decoding a %d-byte grey image allocated %d bytes", len(m.Pix), alloc)
	}
	if r := im.Bounds(); r.Dx() != thumbTile || r.Dy() != thumbTile {
		t.Fatalf("thumbnail is %v", r)
	}
	if c := color.NRGBAModel.Convert(im.At(thumbTile/2, thumbTile/2)).(color.NRGBA); c != (color.NRGBA{200, 200, 200, 255}) {
		t.Errorf("centre is %v", c)
	}
}

type runtimeMem struct{ total int64 }

func (m *runtimeMem) read() {
	runtime.GC()
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.total = int64(s.TotalAlloc)
}
