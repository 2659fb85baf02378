package nn

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestHalfRoundTripEveryHalf(t *testing.T) {
	for h := range 1 << 16 {
		f := HalfToFloat32(uint16(h))
		back, ok := HalfBits(f)
		finite := h&0x7c00 != 0x7c00
		if ok != finite {
			t.Fatalf("half %#04x → %v: ok %v", h, f, ok)
		}
		if f != f { // NaN stays NaN, sign kept
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 || back&0x8000 != uint16(h)&0x8000 {
				t.Fatalf("NaN %#04x → %#04x", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("half %#04x → %v → %#04x", h, f, back)
		}
	}
}

func TestHalfKnownValues(t *testing.T) {
	for _, c := range []struct {
		f  float32
		h  uint16
		ok bool
	}{
		{0, 0, true}, {float32(math.Copysign(0, -1)), 0x8000, true},
		{1, 0x3c00, true}, {-2, 0xc000, true}, {0.5, 0x3800, true},
		{65504, 0x7bff, true}, {65519, 0x7bff, true}, // rounds down to the largest half
		{65520, 0x7c00, false}, {1e9, 0x7c00, false}, // rounds up past it
		{float32(math.Inf(-1)), 0xfc00, false},
		{1.0 / (1 << 24), 0x0001, true}, // smallest subnormal
		{1.0 / (1 << 25), 0x0000, true}, // a tie between 0 and it: even
		{1.5 / (1 << 24), 0x0002, true}, // a tie between 1 and 2 subnormal units: even
		{6.097555e-5, 0x03ff, true},     // largest subnormal
		{1 + 1.0/2048, 0x3c00, true},    // a tie: even
		{1 + 3.0/2048, 0x3c02, true},    // a tie: even (up)
		{1e-10, 0, true},
	} {
		h, ok := HalfBits(c.f)
		if h != c.h || ok != c.ok {
			t.Errorf("HalfBits(%v) = %#04x, %v; want %#04x, %v", c.f, h, ok, c.h, c.ok)
		}
	}
}

// TestHalfIsNearest checks against the two halves around each value: the
// result is never farther from f than either neighbour.
func TestHalfIsNearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200000 {
		var f float32
		switch i % 3 {
		case 0:
			f = float32(rng.NormFloat64())
		case 1:
			f = float32(rng.NormFloat64() * 1e-5)
		default:
			f = float32((rng.Float64()*2 - 1) * 65000)
		}
		h, ok := HalfBits(f)
		if !ok {
			t.Fatalf("%v did not fit", f)
		}
		d := math.Abs(float64(HalfToFloat32(h)) - float64(f))
		for _, n := range []uint16{h - 1, h + 1} {
			if n&0x7fff >= 0x7c00 || (n^h)&0x8000 != 0 {
				continue
			}
			if dn := math.Abs(float64(HalfToFloat32(n)) - float64(f)); dn < d {
				t.Fatalf("HalfBits(%v) = %v, but %v is nearer", f, HalfToFloat32(h), HalfToFloat32(n))
			}
		}
	}
}

func TestSaveFloat16(t *testing.T) {
	rng := NewRand(3)
	net := NewSequential(NewConv2D(rng, 1, 2, 3, 1, 1), NewBatchNorm(2), NewGlobalAvgPool(), NewLinear(rng, 2, 3))
	ps := Prefix("enc.", Tensors(net))
	ps[0].W[0] = 1e-7 // subnormal in half
	cfg := []byte(`{"a":1}`)
	var f32, f16 bytes.Buffer
	if err := Save(&f32, cfg, ps); err != nil {
		t.Fatal(err)
	}
	if err := SaveAs(&f16, cfg, ps, Float16); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps {
		n += len(p.W)
	}
	if got, want := f32.Len()-f16.Len(), 2*n-len(ps); got != want {
		t.Errorf("float16 file is %d bytes smaller, want %d", got, want)
	}
	cfg2, qs, err := LoadBytes(f16.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg2) != string(cfg) || len(qs) != len(ps) {
		t.Fatalf("config %s, %d tensors", cfg2, len(qs))
	}
	for i, p := range ps {
		want := append([]float32(nil), p.W...)
		RoundHalf(want)
		for j := range want {
			if math.Float32bits(want[j]) != math.Float32bits(qs[i].W[j]) {
				t.Fatalf("%s[%d] = %v, want %v", p.Name, j, qs[i].W[j], want[j])
			}
		}
	}
	// Re-saving the loaded values as float16 gives the same bytes.
	var again bytes.Buffer
	if err := SaveAs(&again, cfg2, qs, Float16); err != nil || !bytes.Equal(again.Bytes(), f16.Bytes()) {
		t.Fatalf("re-encoding differs (%v)", err)
	}
	// Every truncation is an error that says so, never a panic.
	b := f16.Bytes()
	for cut := 8; cut < len(b); cut += 7 {
		if _, _, err := LoadBytes(b[:cut]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d: %v", cut, err)
		}
	}
	// A flipped bit is a checksum error.
	c := bytes.Clone(b)
	c[len(c)-32-1] ^= 0x10 // inside the last tensor's values
	if _, _, err := LoadBytes(c); !errors.Is(err, ErrChecksum) {
		t.Fatalf("flipped bit: %v", err)
	}
}

func TestSaveFloat16Refuses(t *testing.T) {
	p := NewParam("w", 3)
	p.W[1] = 70000
	var buf bytes.Buffer
	err := SaveAs(&buf, nil, []*Param{p}, Float16)
	if err == nil || !strings.Contains(err.Error(), `"w" value #1`) || buf.Len() != 0 {
		t.Fatalf("err %v, wrote %d bytes", err, buf.Len())
	}
	if err := SaveAs(&buf, nil, []*Param{p}, Dtype(7)); err == nil {
		t.Fatal("unknown dtype accepted")
	}
}
