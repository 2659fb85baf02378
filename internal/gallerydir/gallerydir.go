// Package gallerydir writes a VendorMoji vendor's tiles as a folder of a
// visitor's own (one PNG file an image, a sentences file, and which image
// each sentence describes) — what the page's "Your gallery" panel and
// `aeir adapt` read — for the browser tests of adapting in the page
// (web/e2e), its benchmark (bench/adapt) and `aeir data folder`.
package gallerydir

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"aeir/data/vendormoji"
)

// Folder is a written gallery.
type Folder struct {
	Images    []string // the image files, in name order (as the page sorts them)
	Sentences string   // sentences.txt: one sentence a line, concept order
	Truth     string   // truth.txt: line j names the image file sentence j describes
	TextImage []int    // sentence j describes Images[TextImage[j]]
}

// Write writes the images of vendor at ds's tile size for the concepts
// ids (nil: all) into dir/img, with their sentences of the text style
// (e.g. "en", "fr").
func Write(ds *vendormoji.Dataset, vendor, style string, ids []int, dir string) (*Folder, error) {
	im, ok := ds.Images[vendor]
	if !ok {
		return nil, fmt.Errorf("gallerydir: no vendor %q", vendor)
	}
	if len(ds.Concepts) > 0 {
		if _, ok := ds.Concepts[0].Texts[style]; !ok {
			return nil, fmt.Errorf("gallerydir: no text style %q", style)
		}
	}
	if ids == nil {
		for i := range ds.Concepts {
			ids = append(ids, i)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "img"), 0o755); err != nil {
		return nil, err
	}
	f := &Folder{Sentences: filepath.Join(dir, "sentences.txt"), Truth: filepath.Join(dir, "truth.txt")}
	var sent, truth strings.Builder
	sz := im.W * im.H * 4
	for k, i := range ids {
		name := fmt.Sprintf("%04d.png", k)
		p := image.NewNRGBA(image.Rect(0, 0, im.W, im.H))
		copy(p.Pix, im.Pix[i*sz:(i+1)*sz])
		var b bytes.Buffer
		if err := png.Encode(&b, p); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "img", name)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return nil, err
		}
		f.Images = append(f.Images, path)
		f.TextImage = append(f.TextImage, k)
		fmt.Fprintln(&sent, strings.ReplaceAll(ds.Concepts[i].Texts[style], "\n", " "))
		fmt.Fprintln(&truth, name)
	}
	if err := os.WriteFile(f.Sentences, []byte(sent.String()), 0o644); err != nil {
		return nil, err
	}
	return f, os.WriteFile(f.Truth, []byte(truth.String()), 0o644)
}
