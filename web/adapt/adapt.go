// Package adapt is AEIR's adaptation to a user's own gallery, as the
// demo page runs it (compiled to WebAssembly in aeir/wasm/user) and as
// `aeir adapt` replays it natively: the source pairs file a site ships,
// a user's gallery of image files and sentences, the page's training
// options, and an engine (web.Engine) that searches the gallery. Kept out
// of package web so the page's search engine does not carry the trainer
// and the image decoders.
package adapt

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
	_ "image/gif"  // decoders of the user's gallery files
	_ "image/jpeg" //

	"aeir/data"
	"aeir/model"
	"aeir/train"
	"aeir/web"
)

// The limits of a user's gallery (package web, so the page reads them
// from its search engine).
const (
	MaxImages    = web.MaxUserImages
	MaxSentences = web.MaxUserSentences
)

func inputErr(format string, a ...any) error { return &web.InputError{Msg: fmt.Sprintf(format, a...)} }

// SourcePairs are the aligned source pairs a site ships for adapting in
// the page: the source domain's tiles at the model's input size and their
// sentences.
type SourcePairs struct {
	Domain string
	Pairs  *data.Collection
}

// sourceMagic starts a source pairs file: the magic, a little-endian
// uint32 length and that many bytes of JSON header (sourceHeader), then a
// PNG sprite sheet of the tiles, row-major, Columns a row.
const sourceMagic = "AEIRSRC1"

type sourceHeader struct {
	Kind      string   `json:"kind"`
	Domain    string   `json:"domain"`
	Count     int      `json:"count"`
	Size      int      `json:"size"`
	Columns   int      `json:"columns"`
	Texts     []string `json:"texts"`
	TextImage []int    `json:"text_image"`
	PNGSHA256 string   `json:"png_sha256"`
}

// EncodeSource writes the source pairs file of an aligned
// collection of square pixel tiles.
func EncodeSource(c *data.Collection) ([]byte, error) {
	im := c.Images
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !im.IsPixels() || im.W != im.H || im.N < 2 {
		return nil, fmt.Errorf("source pairs: want at least 2 square pixel tiles, have %d of %d×%d", im.N, im.W, im.H)
	}
	cols := 1
	for cols*cols < im.N {
		cols++
	}
	rows := (im.N + cols - 1) / cols
	s := im.W
	sheet := image.NewNRGBA(image.Rect(0, 0, cols*s, rows*s))
	for i := range im.N {
		x0, y0 := (i%cols)*s, (i/cols)*s
		for y := range s {
			o := (i*s + y) * s * 4
			copy(sheet.Pix[sheet.PixOffset(x0, y0+y):], im.Pix[o:o+s*4])
		}
	}
	var pb bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&pb, sheet); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pb.Bytes())
	h, err := json.Marshal(sourceHeader{Kind: "aeir-source-pairs", Domain: c.Domain, Count: im.N, Size: s, Columns: cols,
		Texts: c.Texts, TextImage: c.TextImage, PNGSHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return nil, err
	}
	out := append([]byte(sourceMagic), binary.LittleEndian.AppendUint32(nil, uint32(len(h)))...)
	out = append(out, h...)
	return append(out, pb.Bytes()...), nil
}

// DecodeSource reads a source pairs file; name is how it is called
// in messages.
func DecodeSource(name string, b []byte) (*SourcePairs, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s is not a usable source pairs file (%s); download it again or re-export the site", name, fmt.Sprintf(format, a...))
	}
	if len(b) < len(sourceMagic)+4 || string(b[:len(sourceMagic)]) != sourceMagic {
		return nil, bad("no %s header", sourceMagic)
	}
	n := int(binary.LittleEndian.Uint32(b[len(sourceMagic):]))
	rest := b[len(sourceMagic)+4:]
	if n > len(rest) {
		return nil, bad("truncated header")
	}
	var h sourceHeader
	dec := json.NewDecoder(bytes.NewReader(rest[:n]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, bad("header: %v", err)
	}
	pngb := rest[n:]
	sum := sha256.Sum256(pngb)
	if hex.EncodeToString(sum[:]) != h.PNGSHA256 {
		return nil, bad("its SHA-256 checksum does not match")
	}
	if h.Count < 2 || h.Size < 1 || h.Columns < 1 || h.Count > 1<<20 {
		return nil, bad("%d tiles of %d px, %d a row", h.Count, h.Size, h.Columns)
	}
	img, err := png.Decode(bytes.NewReader(pngb))
	if err != nil {
		return nil, bad("sprite sheet: %v", err)
	}
	sheet, ok := img.(*image.NRGBA)
	if !ok {
		sheet = image.NewNRGBA(img.Bounds())
		draw.Draw(sheet, sheet.Rect, img, img.Bounds().Min, draw.Src)
	}
	s, cols := h.Size, h.Columns
	if sheet.Rect.Dx() < cols*s || sheet.Rect.Dy() < (h.Count+cols-1)/cols*s {
		return nil, bad("a %v sheet cannot hold %d tiles of %d px", sheet.Rect.Size(), h.Count, s)
	}
	im := &data.Images{N: h.Count, W: s, H: s, Pix: make([]uint8, 0, h.Count*s*s*4)}
	for i := range h.Count {
		x0, y0 := (i%cols)*s, (i/cols)*s
		for y := range s {
			o := sheet.PixOffset(x0, y0+y)
			im.Pix = append(im.Pix, sheet.Pix[o:o+s*4]...)
		}
	}
	ids := make([]string, h.Count)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	c := &data.Collection{Domain: h.Domain, Images: im, ImageIDs: ids, Texts: h.Texts, TextImage: h.TextImage}
	if err := c.Validate(); err != nil {
		return nil, bad("%v", err)
	}
	return &SourcePairs{Domain: h.Domain, Pairs: c}, nil
}

// Gallery collects a user's images as the model's input tiles, in the
// order they were added.
type Gallery struct {
	Size  int
	Fit   bool
	Names []string
	Tiles []uint8 // len(Names) × Size × Size × 4, straight-alpha RGBA
}

// NewGallery starts an empty gallery for a model of input size and
// fitting (ModelInfo.ImageSize, .Fit).
func NewGallery(size int, fit bool) *Gallery { return &Gallery{Size: size, Fit: fit} }

// ErrBrowserDecode says an image is larger than web.DecodeSide: the page
// decodes and scales such images with the browser's decoder (AddPixels).
var ErrBrowserDecode = errors.New("larger than the side decoded here")

// AddFile decodes an image file (PNG, JPEG, GIF, WebP or BMP) of at most
// web.DecodeSide pixels a side and adds it. A larger image gives an error
// wrapping ErrBrowserDecode (AddImage scales it); anything else that is
// wrong with the file, an *InputError naming it.
func (g *Gallery) AddFile(name string, b []byte) (web.ImageInfo, error) {
	info, err := web.CheckImageAt(name, len(b), bytes.NewReader(b))
	if err != nil {
		return info, err
	}
	if info.Width > web.DecodeSide || info.Height > web.DecodeSide {
		return info, fmt.Errorf("%s is %d × %d px, %w", name, info.Width, info.Height, ErrBrowserDecode)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return info, inputErr("“%s” could not be decoded as an image: the file is damaged or not a %s.", name, strings.ToUpper(info.Format))
	}
	return info, g.AddImage(name, img)
}

// AddImage adds a decoded image: scaled (area averaging) to fit
// web.DecodeSide when larger, as the page's decoder scales it.
func (g *Gallery) AddImage(name string, img image.Image) error {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 {
		return inputErr("“%s” has no pixels.", name)
	}
	px := image.NewNRGBA(image.Rect(0, 0, w, h))
	if n, ok := img.(*image.NRGBA); ok {
		for y := range h {
			copy(px.Pix[y*px.Stride:y*px.Stride+w*4], n.Pix[n.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	} else {
		for y := range h {
			for x := range w {
				px.SetNRGBA(x, y, color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA))
			}
		}
	}
	if w > web.DecodeSide || h > web.DecodeSide {
		s := float64(web.DecodeSide) / float64(max(w, h))
		w, h = max(1, int(float64(w)*s+0.5)), max(1, int(float64(h)*s+0.5))
		px = data.Resize(px, w, h)
	}
	return g.AddPixels(name, px.Pix, w, h)
}

// AddPixels adds a w×h straight-alpha RGBA image (at most web.MaxEncodeSide
// a side), tiled as EncodeImage tiles a query.
func (g *Gallery) AddPixels(name string, pix []uint8, w, h int) error {
	if len(g.Names) >= MaxImages {
		return inputErr("A gallery holds at most %d images; “%s” is one too many.", MaxImages, name)
	}
	if w < 1 || h < 1 || w > web.MaxEncodeSide || h > web.MaxEncodeSide || len(pix) != w*h*4 {
		return fmt.Errorf("%s: %d bytes for %d × %d RGBA pixels (at most %d a side)", name, len(pix), w, h, web.MaxEncodeSide)
	}
	opaque := false
	for p := 3; p < len(pix); p += 4 {
		if pix[p] != 0 {
			opaque = true
			break
		}
	}
	if !opaque {
		return inputErr("“%s” is fully transparent: there is nothing to see in it.", name)
	}
	g.Tiles = append(g.Tiles, web.Tile(pix, w, h, g.Size, g.Fit)...)
	g.Names = append(g.Names, name)
	return nil
}

// Images returns the gallery's tiles as data.Images (shared, not copied).
func (g *Gallery) Images() *data.Images {
	return &data.Images{N: len(g.Names), W: g.Size, H: g.Size, Pix: g.Tiles}
}

// ParseSentences splits a sentences file, one sentence a line ("\r\n"
// or "\n"; a last empty line is allowed): at least one and at most
// MaxSentences, none empty or over web.MaxQueryRunes characters.
func ParseSentences(name, text string) ([]string, error) {
	if !utf8.ValidString(text) {
		return nil, inputErr("%s is not UTF-8 text.", name)
	}
	if strings.ContainsRune(text, 0) {
		return nil, inputErr("%s holds a NUL character: it is not a text file.", name)
	}
	text = strings.TrimPrefix(text, "\ufeff") // a byte-order mark, as the browser's text decoding drops it
	text = strings.TrimSuffix(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if strings.TrimSpace(text) == "" {
		return nil, inputErr("%s holds no sentences: write one sentence a line.", name)
	}
	lines := strings.Split(text, "\n")
	if len(lines) > MaxSentences {
		return nil, inputErr("%s has %d lines; at most %d sentences are accepted.", name, len(lines), MaxSentences)
	}
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			return nil, inputErr("Line %d of %s is empty: write one sentence a line, with no empty lines.", i+1, name)
		}
		if n := utf8.RuneCountInString(l); n > web.MaxQueryRunes {
			return nil, inputErr("Line %d of %s has %d characters; at most %d are accepted.", i+1, name, n, web.MaxQueryRunes)
		}
		lines[i] = l
	}
	return lines, nil
}

// NewEngine is an engine with the model of modelFile (the shipped one or
// an adapted one) holding a user's gallery and sentences: their
// embeddings computed here (one view an image), progress called after
// every chunk of images.
func NewEngine(modelFile []byte, g *Gallery, sentences []string, progress func(done, total int)) (*web.Engine, error) {
	if len(g.Names) < 2 {
		return nil, inputErr("A gallery needs at least 2 images; %d could be read.", len(g.Names))
	}
	if len(sentences) < 1 {
		return nil, inputErr("A gallery needs at least one sentence.")
	}
	e, err := web.NewEngine("the model", modelFile)
	if err != nil {
		return nil, err
	}
	if e.Info().ImageSize != g.Size {
		return nil, fmt.Errorf("the gallery's tiles are %d px, the model reads %d px", g.Size, e.Info().ImageSize)
	}
	// One view an image (the shipped galleries are the mean of the
	// model's GalleryViews augmented views, computed at export): a
	// visitor's gallery is embedded in the page, where 16 views of 2,000
	// images would take minutes.
	e.Model().Config.GalleryViews = 1
	if err := e.EncodeGallery("user", g.Images(), progress); err != nil {
		return nil, err
	}
	if err := e.SetTexts(sentences, nil); err != nil {
		return nil, err
	}
	return e, nil
}

// Options are the page's adaptation settings for a model of
// configuration cfg: AEIR (L_con + λ·L_adv + μ·L_str) from the shipped
// weights, with the structural term at full weight from the first step
// (the start model is trained), and a budget of Epochs passes over the
// source pairs: with 1,000 source pairs, 64 steps of 32 pairs and 32
// target images and sentences, so that a 2,000-image gallery adapts in
// about a minute in headless Chromium on a 2-core machine. The learning
// rate (1e-4, 20× lower than training from scratch) and the batch were
// chosen on the validation concepts of the Noto gallery, where every
// setting tried lowered the rsum a little and this one least
// (docs/demo.md, "Adapt in the page").
func Options(cfg model.Config) train.Options {
	o := train.Defaults()
	o.Method = "aeir"
	o.Model = cfg
	o.Data = train.Data{Dataset: "page", Source: "source pairs", Target: "your gallery", Protocol: "adapt"}
	o.Epochs = 2
	o.Batch = 32
	o.TargetBatch = 32
	o.LR = 1e-4
	o.WarmupSteps = 5
	o.StrWarmup, o.StrRamp = 0, 0
	return o
}

// Request overrides the page's budget (tests, `aeir adapt`).
type Request struct {
	Steps int     `json:"steps,omitempty"` // stop after this many steps (0: the whole budget)
	Seed  uint64  `json:"seed,omitempty"`  // 0: Options' seed
	LR    float32 `json:"lr,omitempty"`    // 0: Options' learning rate
	Batch int     `json:"batch,omitempty"` // source pairs, and target images and sentences, a step (0: Options')
}

// New prepares adapting model (whose file is modelFile) to a
// user's gallery and sentences, with the source pairs src.
func New(modelFile []byte, src *SourcePairs, g *Gallery, sentences []string, req Request) (*train.Adapter, train.Options, error) {
	m, _, _, err := model.Read(bytes.NewReader(modelFile))
	if err != nil {
		return nil, train.Options{}, fmt.Errorf("the model cannot be read: %w", err)
	}
	opt := Options(m.Config)
	if req.Seed != 0 {
		opt.Seed = req.Seed
	}
	if req.LR != 0 {
		opt.LR = req.LR
	}
	if req.Batch != 0 {
		opt.Batch, opt.TargetBatch = req.Batch, req.Batch
	}
	if err := opt.Validate(); err != nil {
		return nil, opt, inputErr("adapt: %v", err)
	}
	if req.Steps < 0 || req.Steps > 100000 {
		return nil, opt, inputErr("adapt: %d steps; want 0 (the page's budget) to 100000", req.Steps)
	}
	if req.Steps > 0 { // enough epochs for the steps; the adapter stops at req.Steps
		spe := (len(src.Pairs.Texts) + opt.Batch - 1) / opt.Batch
		opt.Epochs = (req.Steps + spe - 1) / spe
	}
	if src.Pairs.Images.W != m.Config.ImageSize {
		return nil, opt, fmt.Errorf("the source pairs are %d px, the model reads %d px", src.Pairs.Images.W, m.Config.ImageSize)
	}
	if len(g.Names) < 2 || len(sentences) < 2 {
		return nil, opt, inputErr("Adapting needs at least 2 images and 2 sentences; the gallery has %d and %d.", len(g.Names), len(sentences))
	}
	task := &data.Task{Name: "adapt", Train: &data.TrainSet{
		Source: src.Pairs, TargetImages: g.Images(), TargetTexts: sentences, TargetDomain: "your gallery",
	}}
	a, err := train.NewAdapter(task, opt, m, req.Steps)
	return a, opt, err
}

// ModelFile is the model file of an adapted model: float32, its
// metadata naming the method and "source→your gallery".
func ModelFile(m *model.Model, source string) ([]byte, error) {
	var b bytes.Buffer
	err := m.Write(&b, model.Meta{Method: "aeir", Scenario: source + "→your gallery", Dataset: "adapted in the page"})
	return b.Bytes(), err
}

// imageName is what the page takes for an image file (site/app.js
// IMAGE_NAME).
var imageName = regexp.MustCompile(`(?i)\.(png|jpe?g|gif|webp|bmp)$`)

// ReadDir adds the image files under dir (recursively, in the order of
// their paths relative to dir, as the page orders a dropped folder) to g.
// Files that are not usable images are skipped, each with the reason, as
// the page skips them; images larger than web.DecodeSide a side are
// decoded here and scaled by area averaging where the page has the
// browser scale them (so their tiles differ slightly from the page's).
func ReadDir(dir string, g *Gallery) (skipped []string, err error) {
	var paths []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rel := func(p string) string { r, _ := filepath.Rel(dir, p); return filepath.ToSlash(r) }
	// As the page: image files by their extension, in the order of their
	// names' UTF-16 code units (JavaScript's string order).
	var images []string
	for _, p := range paths {
		if imageName.MatchString(p) {
			images = append(images, p)
		} else {
			skipped = append(skipped, rel(p)+" is not an image")
		}
	}
	slices.SortFunc(images, func(a, b string) int {
		return slices.Compare(utf16.Encode([]rune(rel(a))), utf16.Encode([]rune(rel(b))))
	})
	if len(images) > MaxImages {
		return nil, inputErr("%s holds %d images; a gallery holds at most %d.", dir, len(images), MaxImages)
	}
	for _, p := range images {
		name := rel(p)
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if st.Size() > web.MaxFileBytes {
			skipped = append(skipped, fmt.Sprintf("%s: %d MB, over the %d MB limit", name, st.Size()>>20, web.MaxFileBytes>>20))
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		_, err = g.AddFile(name, b)
		if errors.Is(err, ErrBrowserDecode) {
			img, _, derr := image.Decode(bytes.NewReader(b))
			if derr != nil {
				err = inputErr("“%s” could not be decoded as an image: %v", name, derr)
			} else {
				err = g.AddImage(name, img)
			}
		}
		if err != nil {
			if !web.IsInput(err) {
				return nil, err
			}
			skipped = append(skipped, err.Error())
		}
	}
	return skipped, nil
}

// Finish is the model file (ModelFile) of an adaptation's result, its
// source domain named as the source pairs name it.
func Finish(a *train.Adapter, source string) ([]byte, error) {
	m, err := a.Result()
	if err != nil {
		return nil, err
	}
	return ModelFile(m, source)
}
