package data

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestResizeBoxMean(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	// left 2×2 block: two opaque red, two transparent (colour must not bleed)
	src.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	src.SetNRGBA(1, 1, color.NRGBA{255, 0, 0, 255})
	src.SetNRGBA(0, 1, color.NRGBA{0, 0, 255, 0})
	src.SetNRGBA(1, 0, color.NRGBA{0, 255, 0, 0})
	// right block: opaque grey levels 0, 100, 200, 100 → mean 100
	src.SetNRGBA(2, 0, color.NRGBA{0, 0, 0, 255})
	src.SetNRGBA(3, 0, color.NRGBA{100, 100, 100, 255})
	src.SetNRGBA(2, 1, color.NRGBA{200, 200, 200, 255})
	src.SetNRGBA(3, 1, color.NRGBA{100, 100, 100, 255})
	dst := Resize(src, 2, 1)
	if got := dst.NRGBAAt(0, 0); got != (color.NRGBA{255, 0, 0, 128}) {
		t.Errorf("left pixel %v, want red at half alpha", got)
	}
	if got := dst.NRGBAAt(1, 0); got != (color.NRGBA{100, 100, 100, 255}) {
		t.Errorf("right pixel %v, want grey 100", got)
	}
	// fractional ratio keeps total mass: a uniform image stays uniform
	u := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range u.Pix {
		u.Pix[i] = 77
	}
	r := Resize(u, 48, 48)
	for i, v := range r.Pix {
		if v != 77 {
			t.Fatalf("uniform 64→48: byte %d is %d", i, v)
		}
	}
}

func TestCompositeOnWhite(t *testing.T) {
	pix := []uint8{255, 0, 0, 255, 0, 0, 0, 0} // opaque red, transparent
	dst := make([]float32, 6)
	Composite(dst, pix, 2, 1)
	want := []float32{1, 1, 0, 1, 0, 1} // R plane, G plane, B plane
	for i := range want {
		if math.Abs(float64(dst[i]-want[i])) > 1e-6 {
			t.Fatalf("Composite = %v, want %v", dst, want)
		}
	}
}

func TestCollectionValidate(t *testing.T) {
	ok := func() *Collection {
		return &Collection{Domain: "d", Images: &Images{N: 2, Dim: 1, Feat: []float32{1, 2}},
			ImageIDs: []string{"a", "b"}, Texts: []string{"x", "y", "z"}, TextImage: []int{0, 1, 1}}
	}
	if err := ok().Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(c *Collection){
		"duplicate image id": func(c *Collection) { c.ImageIDs[1] = "a" },
		"has no text":        func(c *Collection) { c.TextImage = []int{1, 1, 1} },
		"points at image":    func(c *Collection) { c.TextImage[0] = 5 },
		"alignments":         func(c *Collection) { c.TextImage = c.TextImage[:2] },
		"is NaN":             func(c *Collection) { c.Images.Feat[1] = float32(math.NaN()) },
		"need 2 floats":      func(c *Collection) { c.Images.Feat = c.Images.Feat[:1] },
	}
	for want, breakIt := range cases {
		c := ok()
		breakIt(c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
}

func TestOracleIsLabelled(t *testing.T) {
	mk := func(dom string, n int) *Collection {
		c := &Collection{Domain: dom, Images: &Images{N: n, Dim: 1}}
		for i := 0; i < n; i++ {
			c.Images.Feat = append(c.Images.Feat, float32(i))
			c.ImageIDs = append(c.ImageIDs, string(rune('a'+i)))
			c.Texts = append(c.Texts, string(rune('A'+i)))
			c.TextImage = append(c.TextImage, i)
		}
		return c
	}
	task, err := NewTask("x", mk("s", 3), mk("t", 20), mk("t", 2), mk("t", 2), nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	o := task.OracleTrain()
	if err := o.Source.Validate(); err != nil {
		t.Fatal(err)
	}
	if o.Source.Images.N != 23 || o.Source.TextImage[3+5] != 3+5 || o.Source.Texts[3+5] != "F" {
		t.Fatal("oracle should train on the source pairs and the aligned target split")
	}
	inOrder := 0
	for i, s := range task.Train.TargetTexts {
		if s == string(rune('A'+i)) {
			inOrder++
		}
	}
	if inOrder == 20 {
		t.Fatal("target texts handed over in aligned order")
	}
}

func TestShortForms(t *testing.T) {
	im := &Images{N: 2, W: 1, H: 1, Pix: make([]uint8, 8)}
	c := &Collection{Domain: "d", Images: im, ImageIDs: []string{"a", "b"}, Texts: []string{"a: x", "b: y"}, TextImage: []int{0, 1}, Short: []string{"a"}}
	if err := c.Validate(); err == nil {
		t.Error("one short form for two sentences accepted")
	}
	c.Short = []string{"a", "b"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if s := c.ShortForms(); s == nil || s.Texts[1] != "b" || c.Texts[1] != "b: y" {
		t.Errorf("ShortForms %+v (original sentences %v)", s, c.Texts)
	}
	if got := Concat("x", c, c).Short; len(got) != 4 || got[3] != "b" {
		t.Errorf("Concat short forms %v", got)
	}
	d := *c
	d.Short = nil
	if d.ShortForms() != nil {
		t.Error("ShortForms of a collection without short forms")
	}
	if got := Concat("x", c, &d).Short; got != nil {
		t.Errorf("Concat with one side lacking short forms: %v", got)
	}
}

func TestScaled(t *testing.T) {
	im := &Images{W: 8, H: 8}
	for i := range 3 {
		m := image.NewNRGBA(image.Rect(0, 0, 8, 8))
		for p := range m.Pix {
			m.Pix[p] = uint8(p*7 + i*50)
		}
		im.Append(m)
	}
	s := im.Scaled(4)
	if s.N != 3 || s.W != 4 || s.H != 4 || len(s.Pix) != 3*4*4*4 {
		t.Fatalf("scaled: %d images of %d×%d, %d bytes", s.N, s.W, s.H, len(s.Pix))
	}
	for i := range 3 {
		if want := Resize(im.At(i), 4, 4); !bytes.Equal(s.At(i).Pix, want.Pix) {
			t.Errorf("image %d: not Resize of the original", i)
		}
	}
}

func TestCollectionSubset(t *testing.T) {
	c := &Collection{Domain: "d", Split: "train", Images: &Images{N: 3, Dim: 1, Feat: []float32{10, 11, 12}},
		ImageIDs: []string{"a", "b", "c"}, Texts: []string{"b1", "a", "c", "b2"}, TextImage: []int{1, 0, 2, 1},
		Short: []string{"B1", "A", "C", "B2"}}
	s := c.Subset([]int{2, 1})
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	want := &Collection{Domain: "d", Split: "train", Images: &Images{N: 2, Dim: 1, Feat: []float32{12, 11}},
		ImageIDs: []string{"c", "b"}, Texts: []string{"b1", "c", "b2"}, TextImage: []int{1, 0, 1}, Short: []string{"B1", "C", "B2"}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Subset([2 1]) = %+v, want %+v", s, want)
	}
}
