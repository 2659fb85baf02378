package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
	"unicode/utf8"

	"aeir/data"
	"aeir/eval"
	"aeir/model"
	"aeir/nn"
	"aeir/text"
)

// Limits on what the engine accepts. The page reads them from the engine,
// so there is one source of truth.
const (
	MaxQueryRunes = 1000        // characters of a sentence query
	MaxK          = 100         // results per query
	MaxFileBytes  = 20 << 20    // an image file the page will read
	MaxImageSide  = 4096        // width or height of an image file
	MaxPixels     = 4096 * 4096 // width × height of an image file
	// MaxEncodeSide bounds the pixels handed to SearchImage; the page
	// scales larger images down to fit DecodeSide first.
	MaxEncodeSide = 1024
	DecodeSide    = 256
	// A user's own gallery (package web/adapt): images and sentences.
	MaxUserImages    = 5000
	MaxUserSentences = 5000
)

// InputError is a problem with what the user typed, drew or dropped. Its
// message is meant to be shown as it is.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErr(format string, a ...any) error { return &InputError{fmt.Sprintf(format, a...)} }

// IsInput reports whether err is an *InputError.
func IsInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// HubK is the neighbourhood size of the hubness correction (CSLS, see
// eval.Hubness) the engine ranks with, chosen on the validation split
// (docs/DESIGN.md).
const HubK = 1

// Hit is one ranked result: an index into the gallery or the sentences,
// and its score. Text ↔ image scores are hubness-corrected cosines,
//
//	cos(q, x) − (h(x) − h(q)) / 2,
//
// h(·) being an item's HubK-nearest cosine on the other side (the gallery
// for sentences, the corpus for images): CSLS halved and shifted by the
// query's own term, so it orders exactly as CSLS and reads like a cosine.
// Image → image scores, and all scores before both a gallery and a
// corpus are loaded, are plain cosines.
type Hit struct {
	Index int     `json:"i"`
	Score float32 `json:"s"`
}

// ModelInfo describes the loaded model for the page.
type ModelInfo struct {
	Method    string `json:"method"`   // training method from the file, e.g. "source-only" or "aeir"
	Scenario  string `json:"scenario"` // e.g. "twemoji/en→openmoji/en (shared)"
	Dataset   string `json:"dataset"`
	Dim       int    `json:"dim"`
	ImageSize int    `json:"image_size"` // 0 for a model of precomputed features
	Fit       bool   `json:"fit"`        // images are cropped to their content first (data.FitTile)
	Params    int    `json:"params"`
	SHA256    string `json:"sha256"` // of the model file
}

// Engine answers queries with one model, one gallery of image embeddings
// and one sentence corpus. It is not safe for concurrent use.
type Engine struct {
	m    *model.Model
	info ModelInfo

	gal    []float32 // galN × D
	galN   int
	vendor string

	texts     []string
	textImage []int     // sentence j describes gallery image textImage[j] (−1: none)
	txt       []float32 // len(texts) × D; nil until computed or loaded

	// hubness terms of the gallery images against the corpus and of the
	// sentences against the gallery (both nil until both are loaded)
	hubGal, hubTxt []float32
	fileHub        *HubHeader // the loaded gallery file's precomputed terms, if any
	fileHubs       *Hubs
	corpusSHA      string // CorpusHash of texts

	scores []float32
	top    []int
}

// NewEngine loads a model file (float32 or float16). name is how the
// file is called in messages.
func NewEngine(name string, modelFile []byte) (*Engine, error) {
	return NewEngineSum(name, modelFile, "")
}

// NewEngineSum is NewEngine given the hex SHA-256 of modelFile, which
// names the model for the precomputed files made with it (galleries,
// sentences): the page has the browser compute it natively, many times
// faster than Go compiled to WebAssembly. "" (or anything but 64 hex
// digits) computes it here.
func NewEngineSum(name string, modelFile []byte, sum string) (*Engine, error) {
	if len(modelFile) == 0 {
		return nil, fmt.Errorf("%s is empty (0 bytes). Download it again or re-export it with `aeir export web`", name)
	}
	m, meta, _, err := model.Read(bytes.NewReader(modelFile))
	if err != nil {
		return nil, modelError(name, err)
	}
	if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
		s := sha256.Sum256(modelFile)
		sum = hex.EncodeToString(s[:])
	} else {
		sum = hex.EncodeToString(b) // lower case, as computed here
	}
	e := &Engine{m: m, info: ModelInfo{
		Method: meta.Method, Scenario: meta.Scenario, Dataset: meta.Dataset,
		Dim: m.Config.Dim, ImageSize: m.Config.ImageSize, Fit: m.Config.Fit, Params: m.Config.NumParams(),
		SHA256: sum,
	}}
	if m.Config.FeatureDim > 0 {
		e.info.ImageSize = 0
	}
	return e, nil
}

// modelError turns a model-file error into a sentence for a person.
func modelError(name string, err error) error {
	switch {
	case errors.Is(err, nn.ErrNotModel):
		return fmt.Errorf("%s is not an AEIR model file (it does not start with the AEIRMDL1 header). Export one with `aeir export web`", name)
	case errors.Is(err, nn.ErrChecksum):
		return fmt.Errorf("%s is corrupted: its SHA-256 checksum does not match its contents. Download it again or re-export it with `aeir export web`", name)
	case errors.Is(err, nn.ErrTruncated):
		return fmt.Errorf("%s is incomplete (%w). Download it again", name, err)
	}
	return fmt.Errorf("%s cannot be used: %w", name, err)
}

// Info describes the model.
func (e *Engine) Info() ModelInfo { return e.info }

// Model returns the model (shared, not a copy).
func (e *Engine) Model() *model.Model { return e.m }

// Tokenizer returns the model's tokeniser.
func (e *Engine) Tokenizer() text.Tokenizer { return e.m.Config.Tokenizer }

// GallerySize is the number of gallery images loaded.
func (e *Engine) GallerySize() int { return e.galN }

// Vendor is the loaded gallery's image domain.
func (e *Engine) Vendor() string { return e.vendor }

// SetGallery loads a gallery embeddings file, which must have been
// computed with this engine's model file.
func (e *Engine) SetGallery(name string, file []byte) error {
	meta, emb, hubs, err := DecodeGallery(file)
	if err != nil {
		if strings.Contains(err.Error(), "checksum") {
			return fmt.Errorf("%s is corrupted: its SHA-256 checksum does not match. Download it again or re-export with `aeir export web`", name)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	if meta.ModelSHA256 != e.info.SHA256 {
		return fmt.Errorf("%s was computed with another model file (model SHA-256 %.12s…, loaded %.12s…). Export model and galleries together with `aeir export web`", name, meta.ModelSHA256, e.info.SHA256)
	}
	if meta.Dim != e.info.Dim {
		return fmt.Errorf("%s holds %d-dimensional embeddings; the model's are %d-dimensional", name, meta.Dim, e.info.Dim)
	}
	e.fileHub, e.fileHubs = meta.Hub, hubs
	return e.setGallery(meta.Vendor, emb, meta.Count)
}

func (e *Engine) setGallery(vendor string, emb []float32, n int) error {
	if len(emb) != n*e.info.Dim {
		return fmt.Errorf("gallery: %d values for %d embeddings of width %d", len(emb), n, e.info.Dim)
	}
	for i, v := range emb {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("gallery: embedding %d holds %v", i/e.info.Dim, v)
		}
	}
	if e.textImage != nil && len(e.texts) > 0 {
		for j, i := range e.textImage {
			if i >= n {
				return fmt.Errorf("gallery has %d images but sentence %d describes image %d", n, j, i)
			}
		}
	}
	e.gal, e.galN, e.vendor = emb, n, vendor
	e.refreshHubs()
	return nil
}

// refreshHubs recomputes the hubness terms once a gallery and a corpus
// are both loaded (one gallery × corpus product, in blocks).
func (e *Engine) refreshHubs() {
	e.hubGal, e.hubTxt = nil, nil
	if e.galN < HubK || len(e.texts) < HubK {
		return
	}
	if h := e.fileHub; h != nil && h.K == HubK && h.CorpusSHA256 == e.corpusSHA && h.Sentences == len(e.texts) && len(e.fileHubs.Images) == e.galN {
		e.hubGal, e.hubTxt = e.fileHubs.Images, e.fileHubs.Sentences // precomputed by aeir export web
		return
	}
	if e.txt == nil {
		return // the sentences' embeddings are not loaded yet: plain cosines until they are
	}
	e.hubGal, e.hubTxt = eval.Hubness(e.gal, e.galN, e.txt, len(e.texts), e.info.Dim, HubK)
}

// GalleryWithHubs returns the gallery file of emb (meta.Count × meta.Dim,
// computed with this engine's model) carrying the hubness terms this
// engine computes for it against the loaded corpus, so a page loading the
// file with the same corpus need not compute them. The engine is left
// with that gallery loaded.
func (e *Engine) GalleryWithHubs(meta GalleryMeta, emb []float32) ([]byte, error) {
	if len(e.texts) == 0 || e.txt == nil {
		return nil, errors.New("gallery with hubness terms: load the corpus and its embeddings first")
	}
	meta.Hub = nil
	plain, err := EncodeGallery(meta, emb, nil)
	if err != nil {
		return nil, err
	}
	if err := e.SetGallery("gallery-"+meta.Vendor+".aeir", plain); err != nil {
		return nil, err
	}
	hubs, sum := e.Hubs()
	meta.Hub = &HubHeader{K: HubK, Sentences: len(e.texts), CorpusSHA256: sum}
	return EncodeGallery(meta, emb, hubs)
}

// Hubs returns the hubness terms the engine ranks with (nil until a
// gallery and a corpus are loaded) and the CorpusHash of the corpus.
func (e *Engine) Hubs() (*Hubs, string) {
	if e.hubGal == nil {
		return nil, e.corpusSHA
	}
	return &Hubs{Images: e.hubGal, Sentences: e.hubTxt}, e.corpusSHA
}

// EncodeGallery computes the gallery embeddings of pixel images with the
// engine's own model (for a model file without precomputed embeddings),
// calling progress after every chunk of images.
func (e *Engine) EncodeGallery(vendor string, im *data.Images, progress func(done, total int)) error {
	if e.info.ImageSize == 0 {
		return fmt.Errorf("this model reads precomputed image features, not pixels")
	}
	if err := im.Validate(); err != nil {
		return err
	}
	if !im.IsPixels() {
		return fmt.Errorf("gallery of %d-dimensional features; the model reads pixels", im.Dim)
	}
	if im.W != im.H {
		return fmt.Errorf("gallery tiles are %d × %d; the model reads square tiles", im.W, im.H)
	}
	if s := e.info.ImageSize; im.W != s {
		// e.g. the page's 32-px sprites for a model of 64-px input: scaled
		// by area averaging (data.Resize; the precomputed embeddings, made
		// from the 64-px build at export, are better)
		im = im.Scaled(s)
	}
	const chunk = 64
	emb := make([]float32, 0, im.N*e.info.Dim)
	idx := make([]int, 0, chunk)
	for lo := 0; lo < im.N; lo += chunk {
		idx = idx[:0]
		for i := lo; i < min(lo+chunk, im.N); i++ {
			idx = append(idx, i)
		}
		emb = append(emb, e.m.EncodeGallery(im, idx)...)
		if progress != nil {
			progress(lo+len(idx), im.N)
		}
	}
	e.fileHub, e.fileHubs = nil, nil
	return e.setGallery(vendor, emb, im.N)
}

// GalleryEmbeddings returns the loaded gallery embeddings (shared).
func (e *Engine) GalleryEmbeddings() []float32 { return e.gal }

// SetTexts sets the sentence corpus and encodes it. textImage[j] is the
// gallery image sentence j describes, or −1; nil means none are known.
func (e *Engine) SetTexts(texts []string, textImage []int) error {
	if err := e.SetCorpus(texts, textImage); err != nil {
		return err
	}
	e.txt = e.m.EncodeTexts(texts)
	e.refreshHubs()
	return nil
}

// SetCorpus sets the sentence corpus without its embeddings (see
// SetTexts for the arguments): sentence → image search ranks at once, with
// the loaded gallery file's hubness terms when they were computed for this
// corpus (as `aeir export web` computes them); image → sentence search
// waits for the embeddings, from LoadSentences or EmbedSentences.
func (e *Engine) SetCorpus(texts []string, textImage []int) error {
	if textImage != nil && len(textImage) != len(texts) {
		return fmt.Errorf("corpus: %d sentences but %d image links", len(texts), len(textImage))
	}
	for j, s := range texts {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("corpus: sentence %d is empty", j)
		}
		if textImage != nil && (textImage[j] < -1 || e.galN > 0 && textImage[j] >= e.galN) {
			return fmt.Errorf("corpus: sentence %d describes image %d of %d", j, textImage[j], e.galN)
		}
	}
	e.texts, e.textImage, e.txt = texts, textImage, nil
	e.corpusSHA = CorpusHash(texts)
	e.refreshHubs()
	return nil
}

// EmbedSentences computes the embeddings of the corpus set by SetCorpus.
func (e *Engine) EmbedSentences() error {
	if len(e.texts) == 0 {
		return errors.New("no sentences are set")
	}
	e.txt = e.m.EncodeTexts(e.texts)
	e.refreshHubs()
	return nil
}

// LoadSentences loads the precomputed embeddings of the corpus set by
// SetCorpus from a sentence embeddings file (EncodeSentences), which must
// have been computed with this engine's model file for exactly these
// sentences; otherwise it says why, and nothing changes (the caller can
// then EmbedSentences).
func (e *Engine) LoadSentences(name string, file []byte) error {
	if len(e.texts) == 0 {
		return errors.New("no sentences are set")
	}
	meta, emb, err := DecodeSentences(file)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case meta.ModelSHA256 != e.info.SHA256:
		return fmt.Errorf("%s was computed with another model file (model SHA-256 %.12s…, loaded %.12s…)", name, meta.ModelSHA256, e.info.SHA256)
	case meta.CorpusSHA256 != e.corpusSHA || meta.Count != len(e.texts):
		return fmt.Errorf("%s was computed for other sentences (%d, corpus SHA-256 %.12s…; loaded %d, %.12s…)", name, meta.Count, meta.CorpusSHA256, len(e.texts), e.corpusSHA)
	case meta.Dim != e.info.Dim:
		return fmt.Errorf("%s holds %d-dimensional embeddings; the model's are %d-dimensional", name, meta.Dim, e.info.Dim)
	}
	e.txt = emb
	e.refreshHubs()
	return nil
}

// SentencesFile returns the sentence embeddings file (EncodeSentences) of
// the loaded corpus, for a page with this engine's model file.
func (e *Engine) SentencesFile() ([]byte, error) {
	if e.txt == nil {
		return nil, errors.New("sentences file: no sentence embeddings are loaded")
	}
	return EncodeSentences(SentencesMeta{Count: len(e.texts), Dim: e.info.Dim, ModelSHA256: e.info.SHA256, CorpusSHA256: e.corpusSHA}, e.txt)
}

// SentencesReady reports whether the corpus's embeddings are loaded, so
// image → sentence search works.
func (e *Engine) SentencesReady() bool { return len(e.texts) > 0 && e.txt != nil }

// NumTexts is the number of sentences in the corpus.
func (e *Engine) NumTexts() int { return len(e.texts) }

// CheckQuery returns the words of a sentence query, or an *InputError
// that says why it cannot be searched.
func CheckQuery(q string) ([]string, error) {
	if strings.TrimSpace(q) == "" {
		return nil, inputErr("Type a few words to search, e.g. “red heart” or “dog”.")
	}
	if n := utf8.RuneCountInString(q); n > MaxQueryRunes {
		return nil, inputErr("The query is %s characters long; the limit is %s. Shorten it to a sentence or two.", thousands(n), thousands(MaxQueryRunes))
	}
	words := text.Words(q)
	if len(words) == 0 {
		return nil, inputErr("The query has no words: the sentence encoder reads words, not emoji or symbols. Describe the picture in words, e.g. “smiling face”.")
	}
	return words, nil
}

// EncodeText returns the embedding of a sentence query.
func (e *Engine) EncodeText(q string) ([]float32, error) {
	if _, err := CheckQuery(q); err != nil {
		return nil, err
	}
	return e.m.EncodeTexts([]string{q}), nil
}

// TokenIDs returns the tokeniser ids of s (for comparing implementations).
func (e *Engine) TokenIDs(s string) []int32 { return e.m.Config.Tokenizer.IDs(s, nil) }

// SearchText ranks the gallery for a sentence: the top k images, best
// first.
func (e *Engine) SearchText(q string, k int) ([]Hit, error) {
	if e.galN == 0 {
		return nil, errors.New("no gallery is loaded")
	}
	v, err := e.EncodeText(q)
	if err != nil {
		return nil, err
	}
	return e.rank(v, e.gal, e.galN, k, e.hubGal, nil), nil
}

// ImageTexts ranks the sentences for gallery image i: the top k, and the
// 1-based rank of the best-ranked sentence that describes i (0 if none is
// known).
func (e *Engine) ImageTexts(i, k int) ([]Hit, int, error) {
	if i < 0 || i >= e.galN {
		return nil, 0, fmt.Errorf("gallery image %d of %d", i, e.galN)
	}
	if !e.SentencesReady() {
		return nil, 0, errors.New("no sentences are loaded")
	}
	d := e.info.Dim
	var own *float32
	if e.hubGal != nil {
		own = &e.hubGal[i]
	}
	hits := e.rank(e.gal[i*d:(i+1)*d], e.txt, len(e.texts), k, e.hubTxt, own)
	return hits, e.bestRank(i), nil
}

// bestRank is the 1-based rank, in the scores of the last ranking, of the
// best sentence describing gallery image i.
func (e *Engine) bestRank(i int) int {
	if e.textImage == nil {
		return 0
	}
	best := float32(math.Inf(-1))
	found := -1
	for j, im := range e.textImage {
		if im == i && (found < 0 || e.scores[j] > best) {
			best, found = e.scores[j], j
		}
	}
	if found < 0 {
		return 0
	}
	r := 1
	for j, s := range e.scores {
		if s > best || s == best && j < found {
			r++
		}
	}
	return r
}

// EncodeImage returns the embedding of a w×h straight-alpha RGBA image:
// it is centred on a transparent square — for a model that fits its
// images (Config.Fit) and an image larger than its input, the square of
// data.FitSquare around the content, found at full resolution — scaled to
// the model's input size by area averaging (data.Resize, as the data set
// was built) and handed to the model like a data set tile (fitted by the
// model when Config.Fit, composited on white). See Tile.
func (e *Engine) EncodeImage(pix []uint8, w, h int) ([]float32, error) {
	if e.info.ImageSize == 0 {
		return nil, inputErr("This model reads precomputed image features, so it cannot search with a picture.")
	}
	if w < 1 || h < 1 || w > MaxEncodeSide || h > MaxEncodeSide {
		return nil, inputErr("The image is %d × %d pixels; scale it to at most %d × %d first.", w, h, MaxEncodeSide, MaxEncodeSide)
	}
	if len(pix) != w*h*4 {
		return nil, fmt.Errorf("image: %d bytes for %d × %d RGBA pixels (want %d)", len(pix), w, h, w*h*4)
	}
	opaque := false
	for p := 3; p < len(pix); p += 4 {
		if pix[p] != 0 {
			opaque = true
			break
		}
	}
	if !opaque {
		return nil, inputErr("The image is fully transparent: there is nothing to search for.")
	}
	size := e.info.ImageSize
	im := &data.Images{N: 1, W: size, H: size, Pix: Tile(pix, w, h, size, e.m.Config.Fit)}
	return e.m.EncodeImages(im), nil
}

// Tile is the size×size RGBA tile EncodeImage hands the model for a w×h
// RGBA image with some non-transparent pixel: the image centred on a
// transparent square, scaled by area averaging. With fit (for a model that
// fits its images) a larger image is first cropped to the data.FitSquare
// around its content at full resolution, so a small drawing keeps its
// detail; the model's own data.FitTile then finds it filling the tile. An
// image already size×size is handed over as it is, so it is encoded
// exactly as in training.
func Tile(pix []uint8, w, h, size int, fit bool) []uint8 {
	if w == size && h == size {
		return pix
	}
	s := max(w, h)
	box := image.Rect(0, 0, w, h).Add(image.Pt((w-s)/2, (h-s)/2)) // the centred square, in image coordinates
	if fit {
		if b, ok := data.ContentBounds(pix, w, h); ok {
			box = data.FitSquare(b)
			s = box.Dx()
		}
	}
	box.Max = box.Min.Add(image.Pt(s, s))
	sq := image.NewNRGBA(image.Rect(0, 0, s, s))
	in := box.Intersect(image.Rect(0, 0, w, h)) // the part of the square inside the image; the rest stays transparent
	for y := in.Min.Y; y < in.Max.Y; y++ {
		copy(sq.Pix[sq.PixOffset(in.Min.X-box.Min.X, y-box.Min.Y):], pix[(y*w+in.Min.X)*4:(y*w+in.Max.X)*4])
	}
	if s == size {
		return sq.Pix
	}
	return data.Resize(sq, size, size).Pix
}

// SearchImage ranks the sentences for an image query (see EncodeImage).
func (e *Engine) SearchImage(pix []uint8, w, h, k int) ([]Hit, error) {
	if !e.SentencesReady() {
		return nil, errors.New("no sentences are loaded")
	}
	v, err := e.EncodeImage(pix, w, h)
	if err != nil {
		return nil, err
	}
	return e.rank(v, e.txt, len(e.texts), k, e.hubTxt, nil), nil
}

// SimilarImages ranks the gallery for an image query (image → image).
func (e *Engine) SimilarImages(pix []uint8, w, h, k int) ([]Hit, error) {
	if e.galN == 0 {
		return nil, errors.New("no gallery is loaded")
	}
	v, err := e.EncodeImage(pix, w, h)
	if err != nil {
		return nil, err
	}
	return e.rank(v, e.gal, e.galN, k, nil, nil), nil
}

// rank scores the n rows of set against q and returns the top k. With
// hub (the rows' hubness terms) the scores are hubness-corrected (see
// Hit); own is q's term if known, else it is taken from the scores.
func (e *Engine) rank(q, set []float32, n, k int, hub []float32, own *float32) []Hit {
	k = max(1, min(k, MaxK))
	e.scores = similarity(e.scores, q, set, n, e.info.Dim)
	if hub != nil {
		hq := eval.TopMean(e.scores, HubK)
		if own != nil {
			hq = *own
		}
		for i, h := range hub {
			e.scores[i] -= (h - hq) / 2
		}
	}
	e.top = eval.TopK(e.scores, k, e.top)
	hits := make([]Hit, len(e.top))
	for r, i := range e.top {
		hits[r] = Hit{i, e.scores[i]}
	}
	return hits
}

// CheckImageFile checks an image file's size before it is decoded: the
// file's byte count and, when the header can be read (see Sniff), its
// dimensions. name is how the file is called in messages.
func CheckImageFile(name string, size int, head []byte) (ImageInfo, error) {
	if size == 0 {
		return ImageInfo{}, inputErr("“%s” is empty (0 bytes).", name)
	}
	if size > MaxFileBytes {
		return ImageInfo{}, inputErr("“%s” is %s; image files up to %s are accepted.", name, megabytes(size), megabytes(MaxFileBytes))
	}
	info, err := Sniff(head)
	if err != nil {
		return info, inputErr("“%s” is not an image this page can read (%v). Use a PNG, JPEG, GIF, WebP or BMP file.", name, err)
	}
	if info.Width == 0 && info.Height == 0 {
		return info, nil // dimensions unknown until decoded: call CheckDims then
	}
	if err := CheckDims(name, info.Width, info.Height); err != nil {
		return info, err
	}
	return info, nil
}

// CheckDims refuses images larger than MaxImageSide or MaxPixels.
func CheckDims(name string, w, h int) error {
	if w < 1 || h < 1 {
		return inputErr("“%s” has no pixels (%d × %d).", name, w, h)
	}
	if w > MaxImageSide || h > MaxImageSide || w*h > MaxPixels {
		return inputErr("“%s” is %s × %s pixels; images up to %s × %s are accepted. Scale it down and try again.",
			name, thousands(w), thousands(h), thousands(MaxImageSide), thousands(MaxImageSide))
	}
	return nil
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func megabytes(n int) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.0f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// Evaluate scores the loaded gallery against the loaded sentences as the
// engine ranks them (hubness-corrected, HubK), given the gallery image
// each sentence describes: recall at 1, 5, 10 both ways and their sum.
func (e *Engine) Evaluate(textImage []int) (eval.Metrics, error) {
	if !e.SentencesReady() || e.galN == 0 {
		return eval.Metrics{}, errors.New("evaluate: no gallery or no sentence embeddings")
	}
	if len(textImage) != len(e.texts) {
		return eval.Metrics{}, fmt.Errorf("evaluate: %d labels for %d sentences", len(textImage), len(e.texts))
	}
	d, n, m := e.info.Dim, e.galN, len(e.texts)
	sim := make([]float32, n*m)
	for i := range n {
		gi := e.gal[i*d : (i+1)*d]
		for j := range m {
			var s float32
			for k, x := range e.txt[j*d : (j+1)*d] {
				s += gi[k] * x
			}
			sim[i*m+j] = s
		}
	}
	return eval.Evaluate(eval.CSLS(sim, n, m, HubK), n, m, textImage)
}
