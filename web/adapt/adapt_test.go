package adapt

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aeir/data"
	"aeir/model"
	"aeir/text"
	"aeir/web"
)

// tiles returns n random drawings of s px: a coloured disc on
// transparency, different for every seed.
func tiles(n, s int, seed uint64) *data.Images {
	rng := rand.New(rand.NewPCG(seed, 9))
	im := &data.Images{N: n, W: s, H: s, Pix: make([]uint8, n*s*s*4)}
	for i := range n {
		cx, cy, r := rng.IntN(s), rng.IntN(s), 2+rng.IntN(s/2)
		c := [4]uint8{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		for y := range s {
			for x := range s {
				if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
					copy(im.Pix[((i*s+y)*s+x)*4:], c[:])
				}
			}
		}
	}
	return im
}

func collection(n, s int, seed uint64) *data.Collection {
	c := &data.Collection{Domain: "test/en", Images: tiles(n, s, seed)}
	for i := range n {
		c.ImageIDs = append(c.ImageIDs, fmt.Sprint(i))
		c.Texts = append(c.Texts, fmt.Sprintf("drawing number %d of colour %d", i, i%7))
		c.TextImage = append(c.TextImage, i)
	}
	return c
}

func TestSourceRoundTrip(t *testing.T) {
	c := collection(7, 16, 1)
	b, err := EncodeSource(c)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := DecodeSource("src", b)
	if err != nil {
		t.Fatal(err)
	}
	got := sp.Pairs
	if !bytes.Equal(got.Images.Pix, c.Images.Pix) || got.Images.N != 7 || got.Images.W != 16 || sp.Domain != "test/en" {
		t.Fatalf("round trip changed the tiles (%d of %d px, domain %q)", got.Images.N, got.Images.W, sp.Domain)
	}
	if strings.Join(got.Texts, "|") != strings.Join(c.Texts, "|") || fmt.Sprint(got.TextImage) != fmt.Sprint(c.TextImage) {
		t.Fatalf("round trip changed the sentences")
	}
	bad := bytes.Clone(b)
	bad[len(bad)-5] ^= 1
	for name, in := range map[string][]byte{"checksum": bad, "header": []byte("not a file"), "truncated": b[:20]} {
		if _, err := DecodeSource("src.bin", in); err == nil || !strings.Contains(err.Error(), "src.bin") || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v, want one naming the file and %q", name, err, name)
		}
	}
}

func TestParseSentences(t *testing.T) {
	got, err := ParseSentences("s.txt", "\ufeffa red heart\r\na dog\n")
	if err != nil || len(got) != 2 || got[0] != "a red heart" || got[1] != "a dog" {
		t.Fatalf("got %q, %v", got, err)
	}
	long := strings.Repeat("a cat\n", 6000)
	for in, want := range map[string]string{
		"one\n\nthree":               "Line 2 of s.txt is empty",
		long:                         "has 6000 lines; at most 5000",
		"\n":                         "holds no sentences",
		"a\x00b":                     "NUL",
		strings.Repeat("x", 1001):    "Line 1 of s.txt has 1001 characters",
		string([]byte{0xff, 'a', 1}): "not UTF-8",
	} {
		_, err := ParseSentences("s.txt", in)
		if err == nil || !strings.Contains(err.Error(), want) || !web.IsInput(err) {
			t.Errorf("%.20q: error %v, want an input error with %q", in, err, want)
		}
	}
}

func pngFile(t *testing.T, w, h int, alpha uint8) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		img.Pix[4*i], img.Pix[4*i+3] = uint8(i), alpha
	}
	img.SetNRGBA(0, 0, color.NRGBA{1, 2, 3, alpha})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGalleryFiles(t *testing.T) {
	g := NewGallery(16, false)
	if _, err := g.AddFile("a.png", pngFile(t, 16, 16, 255)); err != nil {
		t.Fatal(err)
	}
	if _, err := g.AddFile("b.png", pngFile(t, 40, 20, 200)); err != nil {
		t.Fatal(err)
	}
	if len(g.Names) != 2 || len(g.Tiles) != 2*16*16*4 {
		t.Fatalf("%d images, %d bytes of tiles", len(g.Names), len(g.Tiles))
	}
	if _, err := g.AddFile("big.png", pngFile(t, 300, 20, 255)); !errors.Is(err, ErrBrowserDecode) {
		t.Errorf("a 300-px image: %v, want ErrBrowserDecode", err)
	}
	for name, b := range map[string][]byte{"notes.txt": []byte("hello, these are notes"), "clear.png": pngFile(t, 8, 8, 0)} {
		if _, err := g.AddFile(name, b); err == nil || !web.IsInput(err) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want an input error naming it", name, err)
		}
	}
	if len(g.Names) != 2 {
		t.Fatalf("bad files were added: %d images", len(g.Names))
	}

	dir := t.TempDir()
	for name, b := range map[string][]byte{"b/2.png": pngFile(t, 12, 12, 255), "1.png": pngFile(t, 300, 300, 255), "notes.txt": []byte("notes")} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g = NewGallery(16, false)
	skipped, err := ReadDir(dir, g)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(g.Names) != "[1.png b/2.png]" || len(skipped) != 1 || !strings.Contains(skipped[0], "notes.txt") {
		t.Errorf("ReadDir: images %v, skipped %q", g.Names, skipped)
	}
}

func smallModel(t *testing.T) []byte {
	cfg := model.Config{Dim: 16, ImageSize: 16, Channels: []int{4, 8}, Tokenizer: text.Default(), TextEmbed: 8, TextHidden: 16, Dropout: 0.1}
	cfg.Tokenizer.Buckets = 512
	m, err := model.New(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := m.Write(&b, model.Meta{Method: "source-only", Scenario: "test/en→x"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestAdaptDeterministic adapts a small model twice with the same
// inputs: the same model file both times, unlike the start model, which
// is left unchanged; the engine reads the adapted file.
func TestAdaptDeterministic(t *testing.T) {
	mf := smallModel(t)
	start := bytes.Clone(mf)
	src, err := DecodeSource("src", must(EncodeSource(collection(20, 16, 1))))
	if err != nil {
		t.Fatal(err)
	}
	g := NewGallery(16, false)
	tgt := tiles(12, 16, 2)
	for i := range tgt.N {
		if err := g.AddPixels(fmt.Sprint(i), tgt.Pix[i*16*16*4:(i+1)*16*16*4], 16, 16); err != nil {
			t.Fatal(err)
		}
	}
	sentences := collection(12, 16, 2).Texts
	run := func() []byte {
		a, opt, err := New(mf, src, g, sentences, Request{Steps: 5})
		if err != nil {
			t.Fatal(err)
		}
		if opt.Method != "aeir" || a.Total() != 5 {
			t.Fatalf("method %s, %d steps", opt.Method, a.Total())
		}
		for a.Done() < a.Total() {
			parts, err := a.Step()
			if err != nil {
				t.Fatal(err)
			}
			if a.Done() == 1 && (parts["con"] <= 0 || parts["str_img"] == 0 && parts["str_txt"] == 0) {
				t.Errorf("first step's loss parts %v: want L_con and L_str", parts)
			}
		}
		if _, err := a.Step(); err == nil {
			t.Error("a step after the last: no error")
		}
		m, err := a.Result()
		if err != nil {
			t.Fatal(err)
		}
		b, err := ModelFile(m, src.Domain)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := run(), run()
	if !bytes.Equal(a, b) {
		t.Fatal("the same adaptation gave two different models")
	}
	if !bytes.Equal(mf, start) {
		t.Fatal("adapting changed the start model's file")
	}
	ma, _, _, _ := model.Read(bytes.NewReader(a))
	ms, _, _, _ := model.Read(bytes.NewReader(start))
	if bytes.Equal(f32(ma.Params()[0].W), f32(ms.Params()[0].W)) {
		t.Fatal("the adapted model has the start model's weights")
	}
	e, err := NewEngine(a, g, sentences, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.Info().Scenario != "test/en→your gallery" || e.GallerySize() != 12 {
		t.Errorf("engine on the adapted model: %+v, %d images", e.Info(), e.GallerySize())
	}
	if m, err := e.Evaluate(collection(12, 16, 2).TextImage); err != nil || m.RSum < 0 || m.RSum > 600 {
		t.Errorf("evaluate: %+v, %v", m, err)
	}
	one := NewGallery(16, false)
	one.AddPixels("x", tgt.Pix[:16*16*4], 16, 16)
	if _, err := NewEngine(a, one, sentences, nil); err == nil || !strings.Contains(err.Error(), "at least 2 images") {
		t.Errorf("a gallery of one image: %v", err)
	}
}

func f32(x []float32) []byte { return []byte(fmt.Sprint(x)) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
