package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// npyBytes encodes a .npy file (format 1.0) of the given descr and shape
// (a Python tuple, e.g. "(4, 3)") holding body.
func npyBytes(descr, shape string, fortran bool, body []byte) []byte {
	fo := "False"
	if fortran {
		fo = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, fo, shape)
	for (10+len(dict)+1)%64 != 0 {
		dict += " "
	}
	dict += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	b = append(b, dict...)
	return append(b, body...)
}

func f32Body(v []float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func f64Body(v []float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// embFixture is the input of one plotTSNEFromFiles call: E.npy, M.csv and
// any other files (thumbnails), written to a fresh directory.
type embFixture struct {
	n, d  int
	vecs  []float32
	npy   []byte // if set, E.npy's bytes instead of vecs
	csv   []string
	files map[string][]byte
	prep  func(t *testing.T, dir string) // after writing
	opt   plotEmbOptions
}

// newEmbFixture makes 2 domains × 2 modalities × k concepts in d = 16
// dimensions: a concept's image and sentence lie near each other, each
// domain and modality shifted a little; image rows of the first domain
// carry thumbnails (PNG, JPEG or GIF).
func newEmbFixture(k int) *embFixture {
	const d = 16
	rng := rand.New(rand.NewPCG(7, 7))
	concept := make([][]float64, k)
	for c := range concept {
		concept[c] = make([]float64, d)
		for j := range d {
			concept[c][j] = rng.NormFloat64()
		}
	}
	f := &embFixture{d: d, files: map[string][]byte{}, opt: defaultPlotEmbOptions()}
	f.opt.Iters = 300
	f.csv = []string{"domain,modality,label,image,extra"}
	for di, dom := range []string{"source twemoji/en", "target openmoji/en"} {
		for mi, mod := range []string{"image", "text"} {
			for c := range k {
				for j := range d {
					shift := 0.0
					if j == di {
						shift += 1.2
					}
					if j == 2+mi {
						shift += 0.8
					}
					f.vecs = append(f.vecs, float32(concept[c][j]+shift+0.3*rng.NormFloat64()))
				}
				img := ""
				if mod == "image" && di == 0 {
					img = fmt.Sprintf("img/c%d.%s", c, []string{"png", "jpg", "gif"}[c%3])
					f.files[img] = thumbBytes(c)
				}
				f.csv = append(f.csv, fmt.Sprintf("%s,%s,concept %d,%s,x", dom, mod, c, img))
				f.n++
			}
		}
	}
	return f
}

// thumbBytes encodes a 20×20 picture: a disc of concept c's colour, in
// PNG (on transparent), JPEG or GIF (on white) by c mod 3.
func thumbBytes(c int) []byte {
	m := image.NewNRGBA(image.Rect(0, 0, 20, 20))
	col := color.NRGBA{uint8(40 * c), uint8(255 - 30*c), uint8(90 + 50*c), 255}
	for y := range 20 {
		for x := range 20 {
			if (x-10)*(x-10)+(y-10)*(y-10) < 81 {
				m.Set(x, y, col)
			} else if c%3 != 0 {
				m.Set(x, y, color.White)
			}
		}
	}
	var b bytes.Buffer
	switch c % 3 {
	case 0:
		png.Encode(&b, m)
	case 1:
		jpeg.Encode(&b, m, nil)
	default:
		gif.Encode(&b, m, nil)
	}
	return b.Bytes()
}

// write puts the fixture's files into dir and returns E.npy's and
// M.csv's paths.
func (f *embFixture) write(t *testing.T, dir string) (string, string) {
	t.Helper()
	emb, meta := filepath.Join(dir, "E.npy"), filepath.Join(dir, "M.csv")
	b := f.npy
	if b == nil {
		b = npyBytes("<f4", fmt.Sprintf("(%d, %d)", f.n, f.d), false, f32Body(f.vecs))
	}
	must(t, os.WriteFile(emb, b, 0o644))
	must(t, os.WriteFile(meta, []byte(strings.Join(f.csv, "\n")+"\n"), 0o644))
	for name, b := range f.files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, b, 0o644))
	}
	if f.prep != nil {
		f.prep(t, dir)
	}
	return emb, meta
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func embPNG(t *testing.T, f *embFixture) []byte {
	t.Helper()
	emb, meta := f.write(t, t.TempDir())
	fig, err := plotTSNEFromFiles(emb, meta, f.opt)
	if err != nil {
		t.Fatal(err)
	}
	fig.DPI = 150
	out := filepath.Join(t.TempDir(), "fig.png")
	must(t, fig.Save(out))
	b, err := os.ReadFile(out)
	must(t, err)
	return b
}

func TestEmbFigure(t *testing.T) {
	f := newEmbFixture(12)
	b := embPNG(t, f)
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("figure is not a PNG: %v", err)
	}
	// 3.5 in × 3.9 in at 150 dpi
	if r := m.Bounds(); r.Dx() != 525 || r.Dy() != 585 {
		t.Errorf("figure is %v, want 525×585", r)
	}
	// not blank: some pixels in the source domain's blue
	blue := 0
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			r, g, bl, _ := m.At(x, y).RGBA()
			if bl>>8 > 150 && r>>8 < 90 && g>>8 < 150 {
				blue++
			}
		}
	}
	if blue < 50 {
		t.Errorf("%d blue pixels: are the points drawn?", blue)
	}
	if os.Getenv("AEIR_EMB_SAMPLE") != "" {
		must(t, os.WriteFile(os.Getenv("AEIR_EMB_SAMPLE"), b, 0o644))
	}
}

func TestEmbDeterministic(t *testing.T) {
	f := newEmbFixture(10)
	f.opt.Seed = 3
	a, b := embPNG(t, f), embPNG(t, f)
	if !bytes.Equal(a, b) {
		t.Fatal("the same inputs and seed gave different PNG bytes")
	}
	// with fewer thumbnails than candidates, the seed picks them
	f.opt.Thumbs = 3
	a = embPNG(t, f)
	f.opt.Seed = 4
	if c := embPNG(t, f); bytes.Equal(a, c) {
		t.Error("another seed gave the same PNG bytes (drawing order and thumbnails should differ)")
	}
}

// TestEmbVariants: float64, Fortran order, no image column, no
// thumbnails, sampling and a tiny map all draw.
func TestEmbVariants(t *testing.T) {
	base := newEmbFixture(6)
	v64 := make([]float64, len(base.vecs))
	for i, v := range base.vecs {
		v64[i] = float64(v)
	}
	fort := make([]float32, len(base.vecs))
	for i := range base.n {
		for j := range base.d {
			fort[j*base.n+i] = base.vecs[i*base.d+j]
		}
	}
	for name, mut := range map[string]func(f *embFixture){
		"float64": func(f *embFixture) {
			f.npy = npyBytes("<f8", fmt.Sprintf("(%d, %d)", f.n, f.d), false, f64Body(v64))
		},
		"fortran": func(f *embFixture) {
			f.npy = npyBytes("<f4", fmt.Sprintf("(%d, %d)", f.n, f.d), true, f32Body(fort))
		},
		"no image column": func(f *embFixture) {
			for i, l := range f.csv {
				p := strings.Split(l, ",")
				f.csv[i] = strings.Join(append(p[:3:3], p[4]), ",")
			}
		},
		"no thumbnails": func(f *embFixture) {
			f.opt.Thumbs = 0
			f.files = nil // not read at all
		},
		"sample": func(f *embFixture) { f.opt.MaxPoints = 10 },
		"raw":    func(f *embFixture) { f.opt.Raw = true },
		"sentence": func(f *embFixture) {
			f.csv[len(f.csv)-1] = strings.Replace(f.csv[len(f.csv)-1], ",text,", ", Sentence ,", 1)
		},
		"two points": func(f *embFixture) { f.n, f.vecs, f.csv = 2, f.vecs[:2*f.d], f.csv[:3] },
		"zero rows":  func(f *embFixture) { clear(f.vecs[:3*f.d]) },
		"crlf and bom": func(f *embFixture) {
			f.csv[0] = "\ufeff" + strings.ToUpper(f.csv[0])
			for i := range f.csv {
				f.csv[i] += "\r"
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newEmbFixture(6)
			mut(f)
			emb, meta := f.write(t, t.TempDir())
			fig, err := plotTSNEFromFiles(emb, meta, f.opt)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := fig.Encode(&buf, "png"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEmbBadInputs(t *testing.T) {
	row := func(f *embFixture, i int, field int, v string) { // data row i (0-based), CSV field
		p := strings.Split(f.csv[i+1], ",")
		p[field] = v
		f.csv[i+1] = strings.Join(p, ",")
	}
	withNaN := func(f *embFixture) {
		f.vecs[3*f.d+2] = float32(math.NaN())
	}
	for _, tc := range []struct {
		name string
		mut  func(f *embFixture)
		want string
	}{
		{"npy missing", func(f *embFixture) {
			f.prep = func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "E.npy"))) }
		}, "E.npy: file does not exist"},
		{"npy directory", func(f *embFixture) {
			f.prep = func(t *testing.T, dir string) {
				p := filepath.Join(dir, "E.npy")
				must(t, os.Remove(p))
				must(t, os.Mkdir(p, 0o755))
			}
		}, "E.npy: cannot read file: it is a directory, not a regular file"},
		{"npy fifo", func(f *embFixture) {
			f.prep = func(t *testing.T, dir string) {
				p := filepath.Join(dir, "E.npy")
				must(t, os.Remove(p))
				if err := syscall.Mkfifo(p, 0o644); err != nil {
					t.Skip("no FIFOs here:", err)
				}
			}
		}, "E.npy: cannot read file: it is a named pipe, not a regular file"},
		{"npy empty file", func(f *embFixture) { f.npy = []byte{} }, "E.npy: not a .npy file"},
		{"npy magic", func(f *embFixture) { f.npy = []byte("domain,modality\nfoo,bar\n") }, "E.npy: not a .npy file"},
		{"npy version", func(f *embFixture) { f.npy = []byte("\x93NUMPY\x09\x00\x00\x00") }, "unsupported .npy format version 9.0"},
		{"npy int", func(f *embFixture) {
			f.npy = npyBytes("<i4", fmt.Sprintf("(%d, %d)", f.n, f.d), false, f32Body(f.vecs))
		}, `E.npy: dtype "<i4" is not supported`},
		{"npy 1-D", func(f *embFixture) { f.npy = npyBytes("<f4", fmt.Sprintf("(%d,)", f.n*f.d), false, f32Body(f.vecs)) }, "array is 1-D"},
		{"npy 3-D", func(f *embFixture) {
			f.npy = npyBytes("<f4", fmt.Sprintf("(%d, %d, 1)", f.n, f.d), false, f32Body(f.vecs))
		}, "array is 3-D"},
		{"npy zero columns", func(f *embFixture) { f.npy = npyBytes("<f4", fmt.Sprintf("(%d, 0)", f.n), false, nil) }, "has empty rows"},
		{"npy huge shape", func(f *embFixture) { f.npy = npyBytes("<f4", "(4000000, 60000)", false, nil) }, "more values than the limit"},
		{"npy shape overflow", func(f *embFixture) { f.npy = npyBytes("<f4", "(99999999999999999999, 2)", false, nil) }, "out of range"},
		{"npy truncated", func(f *embFixture) {
			f.npy = npyBytes("<f4", fmt.Sprintf("(%d, %d)", f.n, f.d), false, f32Body(f.vecs[:len(f.vecs)-1]))
		}, "file is truncated"},
		{"npy trailing", func(f *embFixture) {
			f.npy = npyBytes("<f4", fmt.Sprintf("(%d, %d)", f.n, f.d), false, f32Body(append(f.vecs, 1)))
		}, "file has trailing bytes"},
		{"npy header", func(f *embFixture) {
			f.npy = npyBytes("<f4", fmt.Sprintf("(%d, %d)", f.n, f.d), false, f32Body(f.vecs))
			copy(f.npy[10:], "{'descr' '<f4'")
		}, "malformed header"},
		{"npy NaN", withNaN, "E.npy: row 3, column 2: value is NaN"},
		{"npy Inf float64", func(f *embFixture) {
			v := make([]float64, len(f.vecs))
			v[5*f.d+1] = math.Inf(-1)
			f.npy = npyBytes("<f8", fmt.Sprintf("(%d, %d)", f.n, f.d), false, f64Body(v))
		}, "E.npy: row 5, column 1: value is -Inf"},
		{"npy overflow", func(f *embFixture) {
			v := make([]float64, len(f.vecs))
			v[len(v)-1] = 1e300
			f.npy = npyBytes("<f8", fmt.Sprintf("(%d, %d)", f.n, f.d), false, f64Body(v))
		}, fmt.Sprintf("row %d, column 15: value 1e+300 overflows float32", 4*6-1)},
		{"all equal", func(f *embFixture) {
			for i := range f.vecs {
				f.vecs[i] = float32(i % f.d)
			}
		}, "E.npy: the 24 rows mapped are all the same vector"},
		{"all equal after normalising", func(f *embFixture) {
			for i := range f.vecs {
				f.vecs[i] = float32((i%f.d + 1) * (1 + i/f.d))
			}
		}, "all the same vector"},
		{"one point", func(f *embFixture) { f.n, f.vecs, f.csv = 1, f.vecs[:f.d], f.csv[:2] }, "E.npy: 1 row: a map needs at least 2 points"},
		{"fewer csv rows", func(f *embFixture) { f.csv = f.csv[:len(f.csv)-1] }, "E.npy has 24 rows, "},
		{"fewer csv rows 2", func(f *embFixture) { f.csv = f.csv[:len(f.csv)-1] }, "M.csv has 23 data rows; write one line per row of E.npy"},
		{"more csv rows", func(f *embFixture) { f.csv = append(f.csv, f.csv[1], f.csv[2]) }, "M.csv has 26 data rows"},
		{"csv missing", func(f *embFixture) {
			f.prep = func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "M.csv"))) }
		}, "M.csv: file does not exist"},
		{"csv fifo", func(f *embFixture) {
			f.prep = func(t *testing.T, dir string) {
				p := filepath.Join(dir, "M.csv")
				must(t, os.Remove(p))
				if err := syscall.Mkfifo(p, 0o644); err != nil {
					t.Skip("no FIFOs here:", err)
				}
			}
		}, "M.csv: cannot read file: it is a named pipe, not a regular file"},
		{"csv empty", func(f *embFixture) { f.csv = []string{} }, "M.csv: file is empty"},
		{"modality", func(f *embFixture) { row(f, 5, 1, "photo") }, `M.csv:7: modality "photo": want image or text`},
		{"no label column", func(f *embFixture) { f.csv[0] = "domain,modality,name,image,extra" }, `M.csv:1: no "label" column`},
		{"no modality column", func(f *embFixture) { f.csv[0] = "domain,kind,label,image,extra" }, `M.csv:1: no "modality" column`},
		{"twice", func(f *embFixture) { f.csv[0] = "domain,modality,label,image,Domain" }, `M.csv:1: column "domain" appears twice`},
		{"field count", func(f *embFixture) { f.csv[4] += ",more" }, "M.csv:5: wrong number of fields; every line needs as many fields as the header"},
		{"bare quote", func(f *embFixture) { row(f, 2, 2, `a "b" c`) }, `M.csv:4: bare " in non-quoted-field`},
		{"empty domain", func(f *embFixture) { row(f, 0, 0, " ") }, "M.csv:2: domain is empty"},
		{"nine domains", func(f *embFixture) {
			for i := range 9 {
				row(f, i, 0, fmt.Sprintf("d%d", i))
			}
		}, `M.csv:10: domain "d8" is the 9th: at most 8 domains`},
		{"thumb missing", func(f *embFixture) { row(f, 4, 3, "img/nope.png") }, `M.csv:6: image "img/nope.png": file `},
		{"thumb missing 2", func(f *embFixture) { row(f, 4, 3, "img/nope.png") }, `nope.png does not exist; image paths are relative to the CSV's folder`},
		{"thumb garbage", func(f *embFixture) { f.files["img/c1.jpg"] = []byte("not a picture") }, `M.csv:3: image "img/c1.jpg": `},
		{"thumb garbage 2", func(f *embFixture) { f.files["img/c1.jpg"] = []byte("not a picture") }, `is not a PNG, JPEG or GIF image`},
		{"thumb directory", func(f *embFixture) { row(f, 0, 3, "img") }, "img: it is a directory, not a regular file"},
		{"thumb truncated", func(f *embFixture) {
			b := f.files["img/c0.png"]
			f.files["img/c0.png"] = b[:len(b)/2]
		}, "c0.png cannot be decoded"},
		{"perplexity", func(f *embFixture) { f.opt.Perplexity = 24 }, "perplexity 24 is not below the 24 points mapped"},
		{"bad option", func(f *embFixture) { f.opt.Thumbs = -1 }, "-1 thumbnails"},
		{"NaN option", func(f *embFixture) { f.opt.Perplexity = math.NaN() }, "perplexity NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newEmbFixture(6)
			tc.mut(f)
			emb, meta := f.write(t, t.TempDir())
			fig, err := plotTSNEFromFiles(emb, meta, f.opt)
			if err == nil {
				t.Fatalf("no error (figure %v), want %q", fig != nil, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error\n  %v\nwant it to contain\n  %s", err, tc.want)
			}
		})
	}
}

// FuzzEmbMeta: no M.csv panics the reader, and one it accepts has one
// row per embedding, each with a domain.
func FuzzEmbMeta(f *testing.F) {
	f.Add("domain,modality,label\na,image,x\nb,text,y\n")
	f.Add("\ufeffLabel,Modality,Domain,image\nx,Sentence,a,p.png\n\"y\",image,\"b,c\",\n")
	f.Add("domain,modality,label\na,image\n")
	f.Add("domain,modality,label\n\"a,image,x\n")
	dir := f.TempDir()
	p := filepath.Join(dir, "M.csv")
	f.Fuzz(func(t *testing.T, s string) {
		must(t, os.WriteFile(p, []byte(s), 0o644))
		rows, err := readEmbMeta(p, "E.npy", 2)
		if err != nil {
			if !strings.HasPrefix(err.Error(), p) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(rows) != 2 {
			t.Fatalf("%d rows accepted for 2 embeddings", len(rows))
		}
		for _, r := range rows {
			if r.domain == "" || r.line < 2 {
				t.Fatalf("row %+v", r)
			}
		}
	})
}
