package data

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// Images is a batch of N images of one domain, held either as pixels or as
// precomputed feature vectors (exactly one of the two).
//
// Pixels are straight-alpha RGBA (NRGBA), 4 bytes per pixel, image n
// occupying Pix[n*H*W*4 : (n+1)*H*W*4]. Features are float32 rows of length
// Dim, image n occupying Feat[n*Dim : (n+1)*Dim].
type Images struct {
	N    int
	W, H int     // pixel images; 0 for features
	Pix  []uint8 // N*H*W*4 straight-alpha RGBA
	Dim  int     // feature images; 0 for pixels
	Feat []float32
}

// IsPixels reports whether the images are pixels rather than features.
func (im *Images) IsPixels() bool { return im.W > 0 }

// Validate checks the internal consistency of the batch.
func (im *Images) Validate() error {
	switch {
	case im.N < 0:
		return fmt.Errorf("images: negative count %d", im.N)
	case im.W > 0 && im.Dim > 0:
		return fmt.Errorf("images: both pixels (%dx%d) and features (dim %d) set", im.W, im.H, im.Dim)
	case im.W > 0:
		if im.H <= 0 || len(im.Pix) != im.N*im.W*im.H*4 {
			return fmt.Errorf("images: %d pixel images of %dx%d need %d bytes, have %d", im.N, im.W, im.H, im.N*im.W*im.H*4, len(im.Pix))
		}
	case im.Dim > 0:
		if len(im.Feat) != im.N*im.Dim {
			return fmt.Errorf("images: %d feature rows of dim %d need %d floats, have %d", im.N, im.Dim, im.N*im.Dim, len(im.Feat))
		}
		for i, v := range im.Feat {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("images: feature row %d, column %d is %v", i/im.Dim, i%im.Dim, v)
			}
		}
	case im.N > 0:
		return fmt.Errorf("images: %d images with neither pixels nor features", im.N)
	}
	return nil
}

// Subset returns the images at the given indices, in that order (a copy).
func (im *Images) Subset(idx []int) *Images {
	out := &Images{N: len(idx), W: im.W, H: im.H, Dim: im.Dim}
	if im.IsPixels() {
		sz := im.W * im.H * 4
		out.Pix = make([]uint8, 0, len(idx)*sz)
		for _, i := range idx {
			out.Pix = append(out.Pix, im.Pix[i*sz:(i+1)*sz]...)
		}
	} else {
		out.Feat = make([]float32, 0, len(idx)*im.Dim)
		for _, i := range idx {
			out.Feat = append(out.Feat, im.Feat[i*im.Dim:(i+1)*im.Dim]...)
		}
	}
	return out
}

// Scaled returns the pixel images scaled to size×size by area averaging
// (Resize, as the data set is built), as a copy.
func (im *Images) Scaled(size int) *Images {
	out := &Images{W: size, H: size, Pix: make([]uint8, 0, im.N*size*size*4)}
	for i := range im.N {
		out.Append(Resize(im.At(i), size, size))
	}
	return out
}

// At returns pixel image n as an *image.NRGBA sharing no memory with im.
// It panics if im holds features.
func (im *Images) At(n int) *image.NRGBA {
	if !im.IsPixels() {
		panic("data: At on feature images")
	}
	sz := im.W * im.H * 4
	m := image.NewNRGBA(image.Rect(0, 0, im.W, im.H))
	copy(m.Pix, im.Pix[n*sz:(n+1)*sz])
	return m
}

// Append adds one pixel image, which must already be W×H.
func (im *Images) Append(m *image.NRGBA) {
	b := m.Bounds()
	if b.Dx() != im.W || b.Dy() != im.H {
		panic(fmt.Sprintf("data: Append %dx%d image to %dx%d batch", b.Dx(), b.Dy(), im.W, im.H))
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		off := m.PixOffset(b.Min.X, y)
		im.Pix = append(im.Pix, m.Pix[off:off+4*im.W]...)
	}
	im.N++
}

// Collection is one domain's images and sentences together with their
// alignment: sentence j describes image TextImage[j]. Every image has at
// least one sentence. Collections are what loaders return and what
// evaluation consumes; learners never see a target Collection during
// training (see TrainSet).
type Collection struct {
	Domain    string
	Split     string // "train", "val", "test" or "" when unsplit
	Images    *Images
	ImageIDs  []string // stable ids, e.g. emoji code points or file names
	Texts     []string
	TextImage []int
	Short     []string // optional (nil): a short form of each text, e.g. the CLDR name "dog face" of "dog face: adorbs, animal, …"
}

// ShortForms returns a copy of c whose sentences are its short forms (the
// images and the alignment shared), or nil if c has none.
func (c *Collection) ShortForms() *Collection {
	if c.Short == nil {
		return nil
	}
	s := *c
	s.Texts = c.Short
	return &s
}

// Subset returns the images at idx (in that order) with their sentences
// and short forms, as a copy; the sentences keep their relative order.
func (c *Collection) Subset(idx []int) *Collection {
	at := make(map[int]int, len(idx))
	out := &Collection{Domain: c.Domain, Split: c.Split, Images: c.Images.Subset(idx)}
	for k, i := range idx {
		at[i] = k
		out.ImageIDs = append(out.ImageIDs, c.ImageIDs[i])
	}
	for j, i := range c.TextImage {
		if k, ok := at[i]; ok {
			out.Texts = append(out.Texts, c.Texts[j])
			out.TextImage = append(out.TextImage, k)
			if c.Short != nil {
				out.Short = append(out.Short, c.Short[j])
			}
		}
	}
	return out
}

// Validate checks sizes, ids and the alignment.
func (c *Collection) Validate() error {
	if c.Images == nil {
		return fmt.Errorf("collection %q: no images", c.Domain)
	}
	if err := c.Images.Validate(); err != nil {
		return fmt.Errorf("collection %q: %w", c.Domain, err)
	}
	if len(c.ImageIDs) != c.Images.N {
		return fmt.Errorf("collection %q: %d image ids for %d images", c.Domain, len(c.ImageIDs), c.Images.N)
	}
	seen := make(map[string]int, len(c.ImageIDs))
	for i, id := range c.ImageIDs {
		if j, ok := seen[id]; ok {
			return fmt.Errorf("collection %q: duplicate image id %q (images %d and %d)", c.Domain, id, j, i)
		}
		seen[id] = i
	}
	if len(c.TextImage) != len(c.Texts) {
		return fmt.Errorf("collection %q: %d texts but %d alignments", c.Domain, len(c.Texts), len(c.TextImage))
	}
	if c.Short != nil && len(c.Short) != len(c.Texts) {
		return fmt.Errorf("collection %q: %d short forms for %d texts", c.Domain, len(c.Short), len(c.Texts))
	}
	has := make([]bool, c.Images.N)
	for j, i := range c.TextImage {
		if i < 0 || i >= c.Images.N {
			return fmt.Errorf("collection %q: text %d points at image %d of %d", c.Domain, j, i, c.Images.N)
		}
		has[i] = true
	}
	for i, ok := range has {
		if !ok {
			return fmt.Errorf("collection %q: image %d (%s) has no text", c.Domain, i, c.ImageIDs[i])
		}
	}
	return nil
}

// Composite writes the pixel image into dst as 3×H×W float32 planes in
// [0, 1] (channel-major, R then G then B), composited over white. This is
// the one place pixels become network input, shared by training and the
// browser.
func Composite(dst []float32, pix []uint8, w, h int) {
	n := w * h
	_ = dst[3*n-1]
	for p := 0; p < n; p++ {
		a := float32(pix[4*p+3]) / 255
		for c := 0; c < 3; c++ {
			v := float32(pix[4*p+c]) / 255
			dst[c*n+p] = v*a + (1 - a)
		}
	}
}

// ToNRGBA converts any image to straight-alpha RGBA of the same size.
func ToNRGBA(src image.Image) *image.NRGBA {
	if m, ok := src.(*image.NRGBA); ok && m.Bounds().Min == (image.Point{}) {
		return m
	}
	b := src.Bounds()
	m := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			m.Set(x, y, color.NRGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)))
		}
	}
	return m
}
