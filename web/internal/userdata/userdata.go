// Package userdata makes a tiny data set of a user's own, and runs trained
// on it, for the tests of `aeir export web` on files (web/deploy) and of
// the page showing such an export (web/e2e).
//
// The data are 20 concepts — five colours × four shapes — in two domains:
// "a", each shape filled on a transparent background, and "b", its
// outline on white. Every image has two sentences naming its colour and
// shape. Each domain has the splits train (12 concepts), val (4) and
// test (4).
package userdata

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"aeir/data"
	"aeir/data/formats"
	"aeir/run"
	"aeir/train"
)

// Concepts is the number of concepts, and of images per domain.
const Concepts = 20

// Side is the side of the generated PNG files (they load at 32 px).
const Side = 48

var (
	colours = []struct {
		name string
		c    color.NRGBA
	}{
		{"red", color.NRGBA{220, 40, 40, 255}}, {"green", color.NRGBA{40, 170, 60, 255}}, {"blue", color.NRGBA{40, 80, 220, 255}},
		{"yellow", color.NRGBA{240, 200, 30, 255}}, {"purple", color.NRGBA{140, 50, 180, 255}},
	}
	shapes = []string{"square", "circle", "triangle", "cross"}
)

// Colour names concept k's colour.
func Colour(k int) string { return colours[k%len(colours)].name }

// Shape names concept k's shape.
func Shape(k int) string { return shapes[k/len(colours)] }

// Split is concept k's split.
func Split(k int) string {
	switch r := (k * 7) % Concepts; {
	case r < 12:
		return "train"
	case r < 16:
		return "val"
	}
	return "test"
}

// Sentences are the two sentences of concept k in domain ("a" or "b").
func Sentences(domain string, k int) []string {
	c, s := Colour(k), Shape(k)
	if domain == "a" {
		return []string{fmt.Sprintf("a %s %s", c, s), fmt.Sprintf("%s in %s", s, c)}
	}
	return []string{fmt.Sprintf("a %s %s outline", c, s), fmt.Sprintf("the outline of a %s, %s", s, c)}
}

// Image draws concept k in domain's style at side×side pixels.
func Image(domain string, k, side int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, side, side))
	col := colours[k%len(colours)].c
	if domain == "b" {
		for i := 0; i < len(m.Pix); i += 4 {
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = 255, 255, 255, 255
		}
	}
	s := float64(side)
	inside := func(x, y float64) bool { // the shape, in [0, 1]² coordinates
		switch Shape(k) {
		case "square":
			return x > 0.2 && x < 0.8 && y > 0.2 && y < 0.8
		case "circle":
			return (x-0.5)*(x-0.5)+(y-0.5)*(y-0.5) < 0.33*0.33
		case "triangle":
			return y > 0.2 && y < 0.8 && math.Abs(x-0.5) < (y-0.2)*0.55
		}
		return (math.Abs(x-0.5) < 0.12 && y > 0.15 && y < 0.85) || (math.Abs(y-0.5) < 0.12 && x > 0.15 && x < 0.85)
	}
	edge := 3 / s
	for py := range side {
		for px := range side {
			x, y := (float64(px)+0.5)/s, (float64(py)+0.5)/s
			if !inside(x, y) {
				continue
			}
			if domain == "b" && inside(x-edge, y) && inside(x+edge, y) && inside(x, y-edge) && inside(x, y+edge) {
				continue // the outline only
			}
			m.SetNRGBA(px, py, col)
		}
	}
	return m
}

// WriteTable writes pairs.csv (image,text,domain,split) and its PNG files
// into dir and returns the table's path.
func WriteTable(dir string) (string, error) {
	var b strings.Builder
	b.WriteString("image,text,domain,split\n")
	for _, d := range []string{"a", "b"} {
		if err := os.MkdirAll(filepath.Join(dir, "img", d), 0o755); err != nil {
			return "", err
		}
		for k := range Concepts {
			name := fmt.Sprintf("img/%s/%02d-%s-%s.png", d, k, Colour(k), Shape(k))
			var buf bytes.Buffer
			if err := png.Encode(&buf, Image(d, k, Side)); err != nil {
				return "", err
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), buf.Bytes(), 0o644); err != nil {
				return "", err
			}
			for _, s := range Sentences(d, k) {
				fmt.Fprintf(&b, "%s,%q,%s,%s\n", name, s, d, Split(k))
			}
		}
	}
	p := filepath.Join(dir, "pairs.csv")
	return p, os.WriteFile(p, []byte(b.String()), 0o644)
}

// FeatureDim is the width of the precomp features.
const FeatureDim = 12

// WritePrecomp writes the two domains as VSE++ precomp folders of feature
// vectors (one-hot colour and shape, plus seeded noise, and for domain b
// a constant offset) in dir/a_precomp and dir/b_precomp, and returns
// their paths. Each short form is the concept's colour and shape.
func WritePrecomp(dir string) (a, b string, err error) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, d := range []string{"a", "b"} {
		var cs []*data.Collection
		for _, sp := range []string{"train", "val", "test"} {
			c := &data.Collection{Domain: d, Split: sp, Images: &data.Images{Dim: FeatureDim}}
			for k := range Concepts {
				if Split(k) != sp {
					continue
				}
				f := make([]float32, FeatureDim)
				f[k%len(colours)] = 1
				f[len(colours)+k/len(colours)] = 1
				for i := range f {
					f[i] += float32(rng.NormFloat64() * 0.1)
					if d == "b" {
						f[i] += 0.3
					}
				}
				c.Images.Feat = append(c.Images.Feat, f...)
				c.ImageIDs = append(c.ImageIDs, fmt.Sprintf("%02d", k))
				for _, s := range Sentences(d, k) {
					c.Texts = append(c.Texts, s)
					c.TextImage = append(c.TextImage, c.Images.N)
					c.Short = append(c.Short, Colour(k)+" "+Shape(k))
				}
				c.Images.N++
			}
			cs = append(cs, c)
		}
		p := filepath.Join(dir, d+"_precomp")
		if err := formats.WritePrecomp(p, cs); err != nil {
			return "", "", err
		}
		if d == "a" {
			a = p
		} else {
			b = p
		}
	}
	return a, b, nil
}

// Options are the options of a small source-only run from source to
// target (data source specs, see run.ParseSpec) for epochs epochs, as
// `aeir train -method source-only` would set them: the defaults with 4
// and 8 channels and a 16-dimensional common space.
func Options(source, target string, epochs int) train.Options {
	opt := train.Defaults()
	opt.Method = "source-only"
	opt.Epochs = epochs
	opt.Model.Channels = []int{4, 8}
	opt.Model.Dim = 16
	opt.Data.Source, opt.Data.Target = source, target
	return opt
}

// Train prepares opt for its data (run.Prepare) and trains it into dir.
func Train(dir string, opt train.Options) error {
	task, err := run.Prepare(&opt, nil)
	if err != nil {
		return err
	}
	tr, err := train.New(task, opt, dir, false)
	if err != nil {
		return err
	}
	return tr.Run()
}
