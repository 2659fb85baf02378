package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"aeir/data"
	"aeir/internal/atomicfile"
	"aeir/model"
	"aeir/run"
	"aeir/web"
)

// The page's budget for the gallery of a run on a user's files.
const (
	// MaxGalleryImages is the most images such a gallery may hold: the
	// page ranks every one of them on each keystroke, and keeps their
	// thumbnails in one sprite sheet (at most 142 × 142 tiles of 32 px,
	// 4,544 px a side, 82 MB decoded).
	MaxGalleryImages = 20_000
	// DefaultGalleryBytes is the default budget of the gallery's files —
	// embeddings (images × (D + 1) × 2 bytes), thumbnails (a PNG of
	// images × 32 × 32 pixels) or labels, and the sentences; then, if they
	// fit in what is left, the sentences' embeddings (sentences × D × 4
	// bytes; else the page computes them) — uncompressed
	// (ExportOptions.MaxGalleryBytes, aeir export web -max-gallery-mb).
	// `aeir export site` then checks the whole first page load, engine
	// and model included, against its own budget (-budget, 5 MB gzip).
	DefaultGalleryBytes = 16 << 20
)

// ThumbSize is the side of the thumbnails of a user's gallery: 32 px, the
// size the data are loaded at unless a run says otherwise
// (formats.DefaultSize) — so for most runs a thumbnail is exactly the
// picture the model embedded, not a resampling of it — and the size of
// the VendorMoji sprite sheets, so the page lays out and draws both alike
// (as 64-CSS-px tiles); at 4 KB of pixels a thumbnail, 20,000 images
// stay within what a phone can decode. Larger data are scaled down by
// area averaging (data.Resize).
const ThumbSize = 32

// labelRunes is the longest label, in characters (longer first
// sentences are cut at a word and end in "…").
const labelRunes = 48

// exportFiles is Export for a run whose data are a user's files
// (run.ParseSpec names no VendorMoji domain): one gallery, the whole
// target domain (every split, run.Whole), with the embeddings of its
// images computed here by the float16 model as the browser will use it;
// the corpus of every target sentence with the image it describes; the
// images' thumbnails as a sprite sheet when the data have pixels (also
// for a run whose images went through a backbone: the pixels are loaded
// again without it) and a label per image (its first sentence, or that
// sentence's short form). It evaluates the float32 and float16 weights
// on the whole gallery, plainly and as the page ranks.
func exportFiles(o ExportOptions, logf func(string, ...any)) (_ *Manifest, err error) {
	r, err := run.Open(o.Run)
	if err != nil {
		return nil, err
	}
	if len(o.Vendors) > 0 {
		return nil, fmt.Errorf("run %s was trained on files, so its one gallery is its target domain (%s): -galleries names VendorMoji vendors", o.Run, r.Options.Data.Target)
	}
	maxBytes := o.MaxGalleryBytes
	if maxBytes == 0 {
		maxBytes = DefaultGalleryBytes
	}
	if maxBytes < 0 {
		return nil, fmt.Errorf("export: gallery budget %d bytes", maxBytes)
	}
	m32, meta, _, err := model.Load(o.Model)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%v (has the run %s finished an epoch?)", err, o.Run)
		}
		return nil, err
	}
	if err := setViews(m32, &o); err != nil {
		return nil, err
	}
	d := r.Options.Data
	logf("loading the target domain %s whole…\n", d.Target)
	whole, err := run.Whole(d, r.Limits)
	if err != nil {
		return nil, err
	}
	im := whole.Images
	n := im.N
	if n > MaxGalleryImages {
		return nil, fmt.Errorf("the target domain %s has %s images; the page's gallery holds at most %s (it ranks every image on each keystroke and keeps their %d-px thumbnails in one sprite sheet): export a run whose target is a part of it, e.g. its test split as a file of its own",
			d.Target, thousands(n), thousands(MaxGalleryImages), ThumbSize)
	}
	switch f := m32.Config.FeatureDim; {
	case f > 0 && (im.IsPixels() || im.Dim != f):
		return nil, fmt.Errorf("%s reads %d-dimensional image features, the run's target data %s are %s", o.Model, f, d.Target, describeImages(im))
	case f == 0 && (!im.IsPixels() || im.W != m32.Config.ImageSize):
		return nil, fmt.Errorf("%s reads %d-px images, the run's target data %s are %s", o.Model, m32.Config.ImageSize, d.Target, describeImages(im))
	}
	src, tgt := scenarioDomains(meta.Scenario, d.Source, d.Target, whole.Domain)

	// Thumbnails: the pixels, when there are any.
	pix := im
	if !im.IsPixels() && d.Backbone != nil {
		raw := d
		raw.Backbone = nil
		logf("loading the target's pixels again for thumbnails (the model reads them through the backbone %s)…\n", filepath.Base(d.Backbone.Path))
		w, err := run.Whole(raw, r.Limits)
		if err != nil {
			return nil, fmt.Errorf("thumbnails: %w", err)
		}
		pix = w.Images
		if pix.N != n || len(w.Texts) != len(whole.Texts) {
			return nil, fmt.Errorf("thumbnails: the target's pixels hold %d images and %d sentences, its features %d and %d", pix.N, len(w.Texts), n, len(whole.Texts))
		}
	}
	if _, serr := os.Stat(o.Out); os.IsNotExist(serr) { // a folder this call makes goes again on error
		defer func() {
			if err != nil {
				os.RemoveAll(o.Out)
			}
		}()
	}
	if err = os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}

	// The float16 model file, and the engine the browser will run on it.
	mb, eng, err := float16Model(m32, meta)
	if err != nil {
		return nil, err
	}
	m16 := eng.Model()
	attribution := o.Attribution
	if attribution == "" {
		attribution = fmt.Sprintf("The images and sentences are the data this model was trained on (%s, domain %s); their owners' licence and terms apply.", dataName(d.Target), tgt)
		logf("no attribution given: the page will say %q (set it with -attribution)\n", attribution)
	}
	man := &Manifest{
		Format: ManifestFormat, Kind: KindFiles, Dataset: dataName(d.Target),
		Model: ModelDesc{
			File: modelFile, SHA256: eng.Info().SHA256, Bytes: len(mb), Dtype: "float16",
			Params: m32.Config.NumParams(), Method: meta.Method, Scenario: meta.Scenario,
			Source: src, Target: tgt, Protocol: d.Protocol,
			ImageSize: eng.Info().ImageSize, FeatureDim: m32.Config.FeatureDim, GalleryViews: m32.Config.GalleryViews,
			TargetSHA256: d.TargetSHA256,
		},
		Corpus: "corpus.json", DefaultGallery: tgt, Attribution: attribution,
	}
	if man.Model.Method == "" {
		man.Model.Method = r.Options.Method
	}

	// Evaluate float32 against float16 on the whole gallery.
	logf("evaluating float32 and float16 weights on the whole gallery…\n")
	seen := ""
	if readsTarget(man.Model.Method) {
		seen = ", its training part seen unaligned in training"
		if man.Model.Method == "oracle" {
			seen = ", its training part seen aligned (an upper bound)"
		}
	}
	gallery := []*evalSet{{name: fmt.Sprintf("whole %s gallery: %s images × %s sentences, every split%s", tgt, thousands(n), thousands(len(whole.Texts)), seen), c: whole}}
	if short := whole.ShortForms(); short != nil {
		gallery = append(gallery, &evalSet{name: "the same with each sentence's short form as the sentence", c: short})
	}
	if man.Model.Eval, err = compareWeights(m32, m16, withPageRanking(gallery), o.MaxDrop, logf); err != nil {
		return nil, err
	}

	// Corpus, labels and gallery.
	corpus := Corpus{}
	for j, t := range whole.Texts {
		s := CorpusSentence{Text: t, Image: whole.TextImage[j]}
		if whole.Short != nil {
			s.Short = whole.Short[j]
		}
		corpus.Sentences = append(corpus.Sentences, s)
	}
	cb, err := json.Marshal(corpus)
	if err != nil {
		return nil, err
	}
	lb, err := json.Marshal(Labels{Labels: ImageLabels(whole)})
	if err != nil {
		return nil, err
	}
	if err := eng.SetTexts(whole.Texts, whole.TextImage); err != nil {
		return nil, err
	}
	emb := m16.EncodeGallery(im, nil)
	gb, err := eng.GalleryWithHubs(web.GalleryMeta{Vendor: tgt, Count: n, Dim: m16.Config.Dim, ModelSHA256: eng.Info().SHA256}, emb)
	if err != nil {
		return nil, err
	}
	g := Gallery{
		Vendor: tgt, Title: tgt, Role: "target", Count: n,
		Embeddings: "gallery.aeir", SHA256: sha(gb), Licence: attribution,
		Labels: "labels.json", LabelsSHA: sha(lb),
	}
	files := map[string][]byte{g.Embeddings: gb, g.Labels: lb, man.Corpus: cb}
	if pix.IsPixels() {
		sheet, cols, err := SpriteSheet(pix, ThumbSize)
		if err != nil {
			return nil, err
		}
		g.Sprite, g.SpriteSHA, g.Tile, g.Columns = "gallery.png", sha(sheet), ThumbSize, cols
		files[g.Sprite] = sheet
	}
	total := 0
	for _, b := range files {
		total += len(b)
	}
	if total > maxBytes {
		what := "labels"
		if g.Sprite != "" {
			what = "thumbnails"
		}
		return nil, fmt.Errorf("the gallery's files come to %s (%s images × %d-dimensional embeddings: %s; %s: %s; %s sentences: %s), over the page's budget of %s: export a run whose target is a part of the data, or raise the budget (-max-gallery-mb)",
			mbytes(total), thousands(n), m16.Config.Dim, mbytes(len(gb)), what, mbytes(len(files[g.Sprite])+len(lb)), thousands(len(whole.Texts)), mbytes(len(cb)), mbytes(maxBytes))
	}
	// The sentences' embeddings, so the page need not compute them, when
	// they fit in what the budget leaves (the page computes them if not).
	sb, err := eng.SentencesFile()
	if err != nil {
		return nil, err
	}
	if total+len(sb) <= maxBytes {
		files[sentencesFile] = sb
		man.Sentences, man.SentencesSHA256 = sentencesFile, sha(sb)
		total += len(sb)
	} else {
		logf("the sentences' embeddings (%s) do not fit in the gallery budget of %s: the page will compute them at load\n", mbytes(len(sb)), mbytes(maxBytes))
	}
	man.Galleries = []Gallery{g}
	man.CorpusSHA256 = sha(cb)
	files[modelFile] = mb
	for name, b := range files {
		if err := atomicfile.WriteFile(filepath.Join(o.Out, name), b); err != nil {
			return nil, err
		}
	}
	if err := writeManifest(o.Out, man); err != nil {
		return nil, err
	}
	thumbs := "labels (the images are feature vectors)"
	if g.Sprite != "" {
		thumbs = fmt.Sprintf("%d-px thumbnails", ThumbSize)
	}
	logf("wrote %s: %s model (%s, %d bytes float16), gallery %s of %s images with %s, corpus of %s sentences; %s of gallery files\n",
		o.Out, man.Model.Method, man.Model.Scenario, len(mb), tgt, thousands(n), thumbs, thousands(len(whole.Texts)), mbytes(total))
	return man, nil
}

// ImageLabels returns a short text for each image of c: the short form
// of its first sentence when c has short forms, else its first sentence,
// cut at a word to at most 48 characters.
func ImageLabels(c *data.Collection) []string {
	labels := make([]string, c.Images.N)
	done := make([]bool, c.Images.N)
	for j, i := range c.TextImage {
		if done[i] {
			continue
		}
		done[i] = true
		t := c.Texts[j]
		if c.Short != nil && strings.TrimSpace(c.Short[j]) != "" {
			t = c.Short[j]
		}
		labels[i] = shorten(strings.Join(strings.Fields(t), " "), labelRunes)
	}
	return labels
}

// shorten cuts s to at most max characters, at a space when there is one
// in its second half, ending in "…".
func shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)[:max-1]
	cut := len(r)
	for k := len(r) - 1; k > len(r)/2; k-- {
		if r[k] == ' ' {
			cut = k
			break
		}
	}
	return strings.TrimRight(string(r[:cut]), " ,;:.-") + "…"
}

// SpriteSheet draws pixel images as one PNG of size×size tiles (scaled by
// area averaging when they are of another size), Columns a row, in image
// order, the way the page cuts them out again; Columns is the ceiling of
// the square root of the count, so the sheet is about square.
func SpriteSheet(im *data.Images, size int) (sheet []byte, columns int, err error) {
	if !im.IsPixels() || im.N < 1 {
		return nil, 0, fmt.Errorf("sprite sheet: want pixel images, have %s", describeImages(im))
	}
	cols := int(math.Ceil(math.Sqrt(float64(im.N))))
	rows := (im.N + cols - 1) / cols
	m := image.NewNRGBA(image.Rect(0, 0, cols*size, rows*size))
	for i := range im.N {
		t := im.At(i)
		if im.W != size || im.H != size {
			t = data.Resize(t, size, size)
		}
		x0, y0 := (i%cols)*size, (i/cols)*size
		for y := range size {
			copy(m.Pix[m.PixOffset(x0, y0+y):m.PixOffset(x0+size, y0+y)], t.Pix[y*t.Stride:y*t.Stride+size*4])
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, m); err != nil {
		return nil, 0, err
	}
	return b.Bytes(), cols, nil
}

// scenarioDomains names the source and target domains: from the model
// file's scenario ("a→b", as aeir train writes it for files), else from
// the data sources.
func scenarioDomains(scenario, source, target, targetDomain string) (string, string) {
	if s, t, ok := strings.Cut(scenario, "→"); ok && s != "" && t != "" {
		return s, t
	}
	src := dataName(source)
	if sp, err := run.ParseSpec(source); err == nil && sp.Domain != "" {
		src = sp.Domain
	}
	return src, targetDomain
}

// dataName is a data source's file or folder name, without the folders
// above it (they are the exporter's, not the page's business) and the
// domain.
func dataName(spec string) string {
	s, err := run.ParseSpec(spec)
	if err != nil || s.Vendor != nil {
		return spec
	}
	return filepath.Base(s.Path)
}

func describeImages(im *data.Images) string {
	if im.IsPixels() {
		return fmt.Sprintf("%d × %d-px images", im.W, im.H)
	}
	return fmt.Sprintf("%d-dimensional feature vectors", im.Dim)
}

func mbytes(n int) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.0f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}
