package model

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aeir/data"
	"aeir/nn"
)

func tinyConfig() Config {
	c := DefaultConfig()
	c.Channels = []int{4, 8}
	c.Dim, c.TextEmbed, c.TextHidden = 8, 8, 16
	c.Tokenizer.Buckets = 256
	return c
}

func randomImages(n, s int, seed uint64) *data.Images {
	rng := rand.New(rand.NewPCG(seed, 1))
	im := &data.Images{N: n, W: s, H: s, Pix: make([]uint8, n*s*s*4)}
	for i := range im.Pix {
		im.Pix[i] = uint8(rng.IntN(256))
	}
	return im
}

func TestEncodersAreNormalised(t *testing.T) {
	m, err := New(tinyConfig(), 1)
	if err != nil {
		t.Fatal(err)
	}
	u := m.EncodeImages(randomImages(5, 32, 1))
	v := m.EncodeTexts([]string{"red heart", "dog face: pet", "", "イヌ", "🐶"})
	for _, e := range [][]float32{u, v} {
		if len(e) != 5*8 {
			t.Fatalf("len %d", len(e))
		}
		for r := 0; r < 5; r++ {
			var n float64
			for _, x := range e[r*8 : (r+1)*8] {
				n += float64(x) * float64(x)
			}
			// an empty sentence embeds the zero bag; its norm may differ from 1 only then
			if math.Abs(math.Sqrt(n)-1) > 1e-4 && n != 0 {
				t.Errorf("row %d norm %v", r, math.Sqrt(n))
			}
		}
	}
	m2, _ := New(tinyConfig(), 1)
	u2 := m2.EncodeImages(randomImages(5, 32, 1))
	for i := range u {
		if u[i] != u2[i] {
			t.Fatal("same seed, different model")
		}
	}
}

func TestFileRoundTripAndErrors(t *testing.T) {
	m, err := New(tinyConfig(), 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "m.aeir")
	if err := m.Save(p, Meta{Method: "source-only", Scenario: "a→b"}); err != nil {
		t.Fatal(err)
	}
	back, meta, extra, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Method != "source-only" || len(extra) != 0 {
		t.Fatalf("meta %+v extra %d", meta, len(extra))
	}
	texts := []string{"red heart", "ok hand"}
	a, b := m.EncodeTexts(texts), back.EncodeTexts(texts)
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("loaded model encodes differently")
		}
	}
	raw, _ := os.ReadFile(p)
	cases := map[string][]byte{
		"truncated": raw[:len(raw)/2],
		"foreign":   []byte("\x89PNG\r\n\x1a\nnot a model at all, sorry"),
		"empty":     nil,
	}
	flipped := bytes.Clone(raw)
	flipped[len(flipped)/2] ^= 0x40
	cases["corrupt"] = flipped
	for name, b := range cases {
		if _, _, _, err := Read(bytes.NewReader(b)); err == nil {
			t.Errorf("%s file accepted", name)
		} else if strings.TrimSpace(err.Error()) == "" {
			t.Errorf("%s: empty error", name)
		}
	}
	// A well-formed file whose tensors do not fit the config.
	other := tinyConfig()
	other.Dim = 12
	m3, _ := New(other, 1)
	cfg, _ := json.Marshal(Meta{Version: FileVersion, Config: tinyConfig()})
	var buf bytes.Buffer
	if err := nn.Save(&buf, cfg, m3.Tensors()); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := Read(&buf); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("mismatched tensors: %v", err)
	}
}

func TestAugmentIdentityAndRange(t *testing.T) {
	s := 16
	x := make([]float32, 3*s*s)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range x {
		x[i] = rng.Float32()
	}
	y := append([]float32(nil), x...)
	(&Augment{Rng: rng}).Apply(y, s)
	for i := range x {
		if math.Abs(float64(x[i]-y[i])) > 1e-6 {
			t.Fatalf("zero augmentation changed pixel %d: %v → %v", i, x[i], y[i])
		}
	}
	a := DefaultAugment()
	for k := 0; k < 20; k++ {
		a.Apply(y, s)
		for _, v := range y {
			if v < 0 || v > 1 || math.IsNaN(float64(v)) {
				t.Fatalf("augmented value %v", v)
			}
		}
	}
	// a white image stays white under geometry alone
	w := make([]float32, 3*s*s)
	for i := range w {
		w[i] = 1
	}
	(&Augment{Shift: 2, Scale: 0.2, Rng: rng}).Apply(w, s)
	for _, v := range w {
		if math.Abs(float64(v-1)) > 1e-6 {
			t.Fatalf("white image became %v", v)
		}
	}
}

// TestEncodeGallery: with one view it is EncodeImages; with several, rows
// are unit vectors that differ from the single view, and an image's row
// does not depend on which images are encoded with it.
func TestEncodeGallery(t *testing.T) {
	m, err := New(tinyConfig(), 1)
	if err != nil {
		t.Fatal(err)
	}
	im := randomImages(6, 32, 2)
	all := []int{0, 1, 2, 3, 4, 5}
	plain := m.EncodeImages(im)
	if got := m.EncodeGallery(im, all); !slices.Equal(got, plain) {
		t.Fatal("one view differs from EncodeImages")
	}
	m.Config.GalleryViews, m.Config.ViewStyle = 4, 0.5
	if err := m.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	views := m.EncodeGallery(im, all)
	d := m.Config.Dim
	for r := range all {
		var n, dot float64
		for k := 0; k < d; k++ {
			n += float64(views[r*d+k]) * float64(views[r*d+k])
			dot += float64(views[r*d+k]) * float64(plain[r*d+k])
		}
		if math.Abs(n-1) > 1e-4 || dot > 0.99999 {
			t.Errorf("row %d: norm² %v, cosine to the single view %v", r, n, dot)
		}
	}
	one := m.EncodeGallery(im, []int{4})
	for k := 0; k < d; k++ {
		if math.Abs(float64(one[k]-views[4*d+k])) > 1e-6 {
			t.Fatalf("image 4 alone: %v, among others: %v", one[:d], views[4*d:5*d])
		}
	}
	for _, bad := range []Config{{GalleryViews: -1}, {GalleryViews: 65}, {GalleryViews: 2, ViewStyle: 1.5}} {
		c := tinyConfig()
		c.GalleryViews, c.ViewStyle = bad.GalleryViews, bad.ViewStyle
		if c.Validate() == nil {
			t.Errorf("accepted %d views with style %v", c.GalleryViews, c.ViewStyle)
		}
	}
}

// TestAugmentHueGrey turns a red pixel by a third of a turn (it becomes
// green, white stays white) and greys a colour image (channels equal to
// the luminance).
func TestAugmentHueGrey(t *testing.T) {
	x := []float32{1, 1, 0, 1, 0, 1} // two pixels: red, white (planes r, g, b)
	hueRotate(x, 2, 2*math.Pi/3)
	want := []float32{0, 1, 1, 1, 0, 1}
	for i := range x {
		if math.Abs(float64(x[i]-want[i])) > 1e-5 {
			t.Fatalf("hue ⅓ turn: %v, want %v", x, want)
		}
	}
	s := 4
	y := make([]float32, 3*s*s)
	rng := rand.New(rand.NewPCG(6, 6))
	for i := range y {
		y[i] = rng.Float32()
	}
	lum := make([]float32, s*s)
	for p := range lum {
		lum[p] = 0.299*y[p] + 0.587*y[s*s+p] + 0.114*y[2*s*s+p]
	}
	(&Augment{Grey: 1, Rng: rng}).Apply(y, s)
	for p := range lum {
		for ch := 0; ch < 3; ch++ {
			if math.Abs(float64(y[ch*s*s+p]-lum[p])) > 1e-5 {
				t.Fatalf("grey pixel %d channel %d = %v, want luminance %v", p, ch, y[ch*s*s+p], lum[p])
			}
		}
	}
}

// TestAugmentOutline draws a red square on white with the line-art
// augmentation alone: the white background and the square's interior keep
// their colour, the square's border turns dark.
func TestAugmentOutline(t *testing.T) {
	s, n := 12, 144
	x := make([]float32, 3*n)
	for p := range n {
		y, xx := p/s, p%s
		in := y >= 3 && y < 9 && xx >= 3 && xx < 9
		x[p], x[n+p], x[2*n+p] = 1, 1, 1
		if in {
			x[n+p], x[2*n+p] = 0.2, 0.2
		}
	}
	orig := append([]float32(nil), x...)
	(&Augment{Outline: 1, Rng: rand.New(rand.NewPCG(1, 1))}).Apply(x, s)
	at := func(y, xx int) float32 { return x[y*s+xx] } // red channel
	if at(0, 0) != 1 || at(5, 5) != orig[5*s+5] {
		t.Errorf("flat regions changed: background %v, interior %v (was %v)", at(0, 0), at(5, 5), orig[5*s+5])
	}
	for _, q := range [][2]int{{3, 5}, {8, 5}, {5, 3}, {2, 5}} { // inner border rows/columns and the white just outside
		if v := at(q[0], q[1]); v > 0.5 {
			t.Errorf("pixel %v on the square's border stays bright: %v", q, v)
		}
	}
	// never with probability 0
	y := append([]float32(nil), orig...)
	(&Augment{Rng: rand.New(rand.NewPCG(1, 1))}).Apply(y, s)
	if y[3*s+5] != orig[3*s+5] {
		t.Error("Outline 0 drew outlines")
	}
}

// TestOutlineScales: outlines keep their width relative to the tile. A
// 32-px image enlarged 2× (nearest) and outlined at 64 px is the 32-px
// outline enlarged 2×, pixel for pixel.
func TestOutlineScales(t *testing.T) {
	const s = 32
	n := s * s
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 3*n)
	for i := range x {
		x[i] = float32(rng.IntN(5)) / 4
	}
	up := make([]float32, 3*4*n)
	for ch := range 3 {
		for y := range 2 * s {
			for xx := range 2 * s {
				up[ch*4*n+y*2*s+xx] = x[ch*n+(y/2)*s+xx/2]
			}
		}
	}
	outline(x, make([]float32, n), s, 1)
	outline(up, make([]float32, 4*n), 2*s, 2)
	for ch := range 3 {
		for y := range 2 * s {
			for xx := range 2 * s {
				if a, b := up[ch*4*n+y*2*s+xx], x[ch*n+(y/2)*s+xx/2]; a != b {
					t.Fatalf("channel %d pixel (%d, %d): %v at 64 px, %v at 32 px", ch, y, xx, a, b)
				}
			}
		}
	}
}

func FuzzRead(f *testing.F) {
	m, _ := New(tinyConfig(), 1)
	var buf bytes.Buffer
	cfg, _ := json.Marshal(Meta{Version: FileVersion, Config: tinyConfig()})
	nn.Save(&buf, cfg, m.Tensors())
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:100])
	f.Add([]byte("AEIR"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Read(bytes.NewReader(b)) // must not panic
	})
}

func TestNumParams(t *testing.T) {
	mlp := tinyConfig()
	mlp.FeatureDim, mlp.FeatureHidden = 10, 7
	for _, c := range []Config{tinyConfig(), DefaultConfig(), func() Config { c := tinyConfig(); c.FeatureDim = 10; return c }(), mlp} {
		m, err := New(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range m.Params() {
			n += len(p.W)
		}
		if n != c.NumParams() {
			t.Errorf("config %+v: model has %d weights, NumParams says %d", c, n, c.NumParams())
		}
	}
	if _, err := New(func() Config { c := tinyConfig(); c.FeatureHidden = 7; return c }(), 1); err == nil {
		t.Error("an MLP projection of pixel images was accepted")
	}
}

// TestFitInput checks that a fitting model reads each tile cropped to its
// content (data.FitTile, then data.Composite) and that fitting needs
// pixel images.
func TestFitInput(t *testing.T) {
	c := tinyConfig()
	c.Fit = true
	m, err := New(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	im := &data.Images{N: 2, W: 32, H: 32, Pix: make([]uint8, 2*32*32*4)}
	for y := 3; y < 12; y++ { // a small opaque block in image 0's corner; image 1 is empty
		for x := 20; x < 30; x++ {
			copy(im.Pix[(y*32+x)*4:], []uint8{10, 200, 90, 255})
		}
	}
	x := m.ImageBatch(im, []int{0, 1}, nil)
	fit := make([]uint8, 32*32*4)
	want := make([]float32, 3*32*32)
	for i := range 2 {
		data.FitTile(fit, im.Pix[i*32*32*4:(i+1)*32*32*4], 32)
		data.Composite(want, fit, 32, 32)
		for k, v := range want {
			if x.Data[i*3*32*32+k] != v {
				t.Fatalf("image %d input %d: %v, want %v", i, k, x.Data[i*3*32*32+k], v)
			}
		}
	}
	// the fitted block covers most of the tile; unfitted it covers a tenth
	green := 0
	for p := range 32 * 32 {
		if x.Data[p] < 0.5 {
			green++
		}
	}
	if green < 600 { // 10×9 of a 12-pixel square: 640 of 1024
		t.Errorf("fitted block covers %d pixels", green)
	}
	c.FeatureDim = 16
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "fit") {
		t.Errorf("fit with feature images: %v", err)
	}
}
