package formats

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"aeir/data"
)

// The fuzz targets parse from memory, with small limits so that no input
// can make an iteration slow, and read images from fuzzFiles. Their seed
// corpora are in testdata/fuzz/<FuzzName>/; regenerate them with
//
//	go test -run TestWriteFuzzCorpus -corpus ./data/formats/

var fuzzLimits = &Limits{
	MaxFileBytes:   1 << 20,
	MaxLineBytes:   1 << 10,
	MaxImages:      1000,
	MaxTexts:       5000,
	MaxFeatures:    1 << 16,
	MaxDim:         1 << 12,
	MaxImageBytes:  1 << 16,
	MaxImageSide:   64,
	MaxImagePixels: 2048,
	MaxPixelBytes:  1 << 20,
}

var (
	fuzzFilesOnce sync.Once
	fuzzFilesMap  map[string][]byte
)

// fuzzFiles are the images fuzz inputs may name, by base name.
func fuzzFiles() map[string][]byte {
	fuzzFilesOnce.Do(func() {
		fuzzFilesMap = map[string][]byte{}
		for name, b := range karpathyImages(nil) {
			fuzzFilesMap[filepath.Base(name)] = b
		}
		for name, b := range tableImages(nil) {
			fuzzFilesMap[filepath.Base(name)] = b
		}
		fuzzFilesMap["bad.png"] = []byte("\x89PNG\r\n\x1a\nnot a png")
		fuzzFilesMap["wide.png"] = pngBytes(nil, solid(100, 1, red))
	})
	return fuzzFilesMap
}

func readMem(path string, max int64) ([]byte, error) {
	b, ok := fuzzFiles()[filepath.Base(path)]
	if !ok {
		return nil, fs.ErrNotExist
	}
	if int64(len(b)) > max {
		return nil, errTooBig
	}
	return b, nil
}

// checkCollections asserts what every successful load promises.
func checkCollections(t *testing.T, cs []*data.Collection, size int) {
	t.Helper()
	if len(cs) == 0 {
		t.Fatal("no collections and no error")
	}
	for _, c := range cs {
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if size > 0 && (c.Images.W != size || c.Images.H != size) {
			t.Fatalf("images are %d×%d, want %d×%d", c.Images.W, c.Images.H, size, size)
		}
	}
}

func FuzzNpy(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		feat, n, d, err := parseNpy("fuzz.npy", bytes.NewReader(b), int64(len(b)), fuzzLimits)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%T is not an *Error: %v", err, err)
			}
			return
		}
		if n <= 0 || d <= 0 || len(feat) != n*d {
			t.Fatalf("%d×%d with %d values", n, d, len(feat))
		}
		for _, v := range feat {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("non-finite value %v accepted", v)
			}
		}
	})
}

func FuzzPrecompCaps(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte, nIms int) {
		if nIms < 1 || nIms > 100 {
			nIms = 1 + int(uint(nIms)%100)
		}
		caps, err := parseCaps("fuzz_caps.txt", bytes.NewReader(b), fuzzLimits)
		if err != nil {
			return
		}
		align, err := alignCaps("fuzz_caps.txt", "fuzz_ims.npy", len(caps), nIms)
		if err != nil {
			return
		}
		c := &data.Collection{Domain: "fuzz", Images: &data.Images{N: nIms, Dim: 1, Feat: make([]float32, nIms)}, ImageIDs: make([]string, nIms), Texts: caps, TextImage: align}
		for i := range c.ImageIDs {
			c.ImageIDs[i] = fmt.Sprint(i)
		}
		checkCollections(t, []*data.Collection{c}, 0)
		for _, s := range caps {
			if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "\n") {
				t.Fatalf("caption %q accepted", s)
			}
		}
	})
}

func FuzzKarpathyJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		kf, err := parseKarpathy("dataset_fuzz.json", b, fuzzLimits)
		if err != nil {
			return
		}
		cs, err := buildKarpathy("dataset_fuzz.json", kf, "fuzz", "imgs", readMem, 3, fuzzLimits)
		if err != nil {
			return
		}
		checkCollections(t, cs, 3)
	})
}

func fuzzTable(t *testing.T, name string, b []byte) {
	kind, _ := tableKindOf(name)
	rows, err := parseTable(name, kind, bytes.NewReader(b), fuzzLimits)
	if err != nil {
		if _, ok := err.(*Error); !ok {
			t.Fatalf("%T is not an *Error: %v", err, err)
		}
		return
	}
	cs, err := buildTable(name, rows, "img", readMem, 3, fuzzLimits)
	if err != nil {
		return
	}
	checkCollections(t, cs, 3)
}

func FuzzCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) { fuzzTable(t, "fuzz.csv", b) })
}

func FuzzTSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) { fuzzTable(t, "fuzz.tsv", b) })
}

func FuzzJSONL(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) { fuzzTable(t, "fuzz.jsonl", b) })
}

func FuzzImage(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte, size int) {
		size = 1 + int(uint(size)%8)
		pix, err := decodeImage(b, size, fuzzLimits)
		if err != nil {
			return
		}
		if len(pix) != size*size*4 {
			t.Fatalf("%d bytes for %d×%d", len(pix), size, size)
		}
	})
}

var writeCorpus = flag.Bool("corpus", false, "rewrite the fuzz seed corpora in testdata/fuzz")

// TestWriteFuzzCorpus writes the seed corpora, valid and invalid samples
// of every format, when run with -corpus.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -corpus to rewrite testdata/fuzz")
	}
	seeds := fuzzSeeds(t)
	for target, inputs := range seeds {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, args := range inputs {
			var b strings.Builder
			b.WriteString("go test fuzz v1\n")
			for _, a := range args {
				switch a := a.(type) {
				case []byte:
					fmt.Fprintf(&b, "[]byte(%q)\n", a)
				case int:
					fmt.Fprintf(&b, "int(%d)\n", a)
				default:
					t.Fatalf("seed type %T", a)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func fuzzSeeds(t *testing.T) map[string]map[string][]any {
	le := func(vs ...float32) []byte { return f32bytes(leOrder, vs...) }
	one := func(b []byte) []any { return []any{b} }
	s := func(x string) []any { return []any{[]byte(x)} }
	good := npy32(t, [][]float32{{1, 2, 3}, {4, 5, 6}})
	return map[string]map[string][]any{
		"FuzzNpy": {
			"valid_f4":         one(good),
			"valid_f8":         one(npy64(t, [][]float64{{1, 2}, {3, 4}})),
			"valid_fortran":    one(rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", le(1, 4, 2, 5, 3, 6))),
			"valid_bigendian":  one(rawNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2), }", f32bytes(beOrder, 1, 2))),
			"valid_py2":        one(rawNpy(`{"descr": "<f4", "shape": (1L, 2L), "fortran_order": False}`, le(1, 2))),
			"bad_1d":           one(npyAny(t, []float32{1, 2, 3})),
			"bad_3d":           one(npyAny(t, [][2][2]float32{{{1, 2}, {3, 4}}})),
			"bad_int":          one(npyAny(t, [][2]int64{{1, 2}})),
			"bad_truncated":    one(good[:len(good)-2]),
			"bad_nan":          one(npy32(t, [][]float32{{1, float32(math.NaN())}})),
			"bad_huge":         one(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 4), }", nil)),
			"bad_magic":        s("PK\x03\x04"),
			"bad_header_bytes": s("\x93NUMPY\x01\x00\xff\xff{'descr"),
			"bad_structured":   one(rawNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 1), }", le(1))),
			"bad_empty":        s(""),
		},
		"FuzzPrecompCaps": {
			"valid_k2":      {[]byte("a\nb\nc\nd\n"), 2},
			"valid_crlf":    {[]byte("\ufeffa\r\nb\r\nc"), 3},
			"bad_count":     {lines(caps("x", 7)...), 3},
			"bad_empty":     {[]byte("a\n\nb\n"), 3},
			"bad_utf8":      {[]byte("caf\xe9\n"), 1},
			"bad_none":      {[]byte(""), 1},
			"bad_nims_zero": {[]byte("a\n"), 0},
		},
		"FuzzKarpathyJSON": {
			"valid":          s(karpathyJSON),
			"valid_minimal":  s(`{"images": [{"filename": "a.png", "split": "test", "sentences": [{"tokens": ["a", "b"]}]}]}`),
			"bad_dup_imgid":  s(`{"images": [{"filename": "a.png", "imgid": 1, "split": "test", "sentences": [{"raw": "a"}]}, {"filename": "d.png", "imgid": 1, "split": "test", "sentences": [{"raw": "b"}]}]}`),
			"bad_missing":    s(`{"images": [{"filename": "zz.png", "split": "val", "sentences": [{"raw": "a"}]}]}`),
			"bad_image":      s(`{"images": [{"filename": "bad.png", "split": "val", "sentences": [{"raw": "a"}]}]}`),
			"bad_wide_image": s(`{"images": [{"filename": "wide.png", "split": "val", "sentences": [{"raw": "a"}]}]}`),
			"bad_split":      s(`{"images": [{"filename": "a.png", "split": "x", "sentences": [{"raw": "a"}]}]}`),
			"bad_type":       s(`{"images": [{"filename": 3}]}`),
			"bad_syntax":     s(`{"images": [{"filename": "a.png",]}`),
			"bad_utf8":       s("{\"images\": [{\"filename\": \"\xff\"}]}"),
			"bad_no_images":  s(`{"dataset": "coco"}`),
			"bad_array":      s(`[1, 2]`),
			"valid_short":    s(`{"images": [{"filename": "a.png", "split": "test", "sentences": [{"raw": "a", "short": "s"}, {"raw": "b", "short": "t"}]}]}`),
			"bad_short":      s(`{"images": [{"filename": "a.png", "split": "test", "sentences": [{"raw": "a", "short": "s"}, {"raw": "b"}]}]}`),
		},
		"FuzzCSV": {
			"valid":          s("image,domain,text,split\na.png,photos,a red thing,train\n./a.png,photos,\"again, \"\"quoted\"\"\",train\nb.png,icons,\"multi\nline\",\nc.jpg,icons,white,restval\n"),
			"bad_header":     s("image,text\na.png,x\n"),
			"bad_fields":     s("image,text,domain\na.png,x\n"),
			"bad_quote":      s("image,text,domain\na.png,a \"b\" c,d\n"),
			"bad_duplicate":  s("image,text,domain\na.png,x,d\na.png,x,d\n"),
			"bad_split":      s("image,text,domain,split\na.png,x,d,train\na.png,y,d,test\n"),
			"bad_image":      s("image,text,domain\nbad.png,x,d\n"),
			"bad_missing":    s("image,text,domain\nnope.png,x,d\n"),
			"bad_empty_text": s("image,text,domain\na.png, ,d\n"),
			"bad_utf8":       s("image,text,domain\na.png,caf\xe9,d\n"),
			"valid_short":    s("image,text,domain,short\na.png,x,d,s\nb.png,y,d,t\nb.png,y,e,\n"),
			"bad_short":      s("image,text,domain,short\na.png,x,d,s\nb.png,y,d,\n"),
		},
		"FuzzTSV": {
			"valid":         s("image\tdomain\ttext\tsplit\na.png\tphotos\ta \"red\" thing\ttrain\n./a.png\tphotos\t\"again\"\ttrain\nb.png\ticons\twhite\tdev\n"),
			"bad_header":    s("image\ttext\na.png\tx\n"),
			"bad_fields":    s("image\ttext\tdomain\na.png\tx\n"),
			"bad_domain":    s("image\ttext\tdomain\na.png\tx\t\n"),
			"bad_split":     s("image\ttext\tdomain\tsplit\na.png\tx\td\tholdout\n"),
			"bad_wide":      s("image\ttext\tdomain\nwide.png\tx\td\n"),
			"bad_quote_eof": s("image\ttext\tdomain\na.png\t\"x\td\n"),
			"valid_short":   s("image\ttext\tdomain\tshort\na.png\tx\td\ts\nb.png\ty\te\t\n"),
			"bad_short":     s("image\ttext\tdomain\tshort\na.png\tx\td\t\nb.png\ty\td\tt\n"),
		},
		"FuzzJSONL": {
			"valid":       s(`{"image": "a.png", "domain": "photos", "text": "a red thing", "split": "train", "n": 1}` + "\n\n" + `{"image": "b.png", "domain": "icons", "text": "multi\nline", "split": null}` + "\n"),
			"bad_key":     s(`{"image": "a.png", "domain": "d"}` + "\n"),
			"bad_type":    s(`{"image": "a.png", "text": "x", "domain": 3}` + "\n"),
			"bad_array":   s(`["a.png", "x", "d"]` + "\n"),
			"bad_syntax":  s(`{"image": "a.png",}` + "\n"),
			"bad_utf8":    s("{\"image\": \"a.png\", \"text\": \"caf\xe9\", \"domain\": \"d\"}\n"),
			"bad_long":    s(`{"image": "a.png", "text": "` + strings.Repeat("x", 2000) + `", "domain": "d"}`),
			"bad_image":   s(`{"image": "bad.png", "text": "x", "domain": "d"}`),
			"bad_missing": s(`{"image": "zz.png", "text": "x", "domain": "d"}`),
			"valid_short": s(`{"image": "a.png", "text": "x", "domain": "d", "short": "s"}` + "\n" + `{"image": "b.png", "text": "y", "domain": "e", "short": null}` + "\n"),
			"bad_short":   s(`{"image": "a.png", "text": "x", "domain": "d", "short": "s"}` + "\n" + `{"image": "b.png", "text": "y", "domain": "d"}` + "\n"),
		},
		"FuzzImage": {
			"valid_png":      {pngBytes(t, stripes(4, 2, red, green)), 2},
			"valid_jpeg":     {jpegBytes(t, solid(8, 8, white)), 3},
			"valid_gif":      {gifBytes(t, solid(3, 5, blue)), 1},
			"valid_paletted": {pngBytes(t, image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{red, green})), 2},
			"bad_too_wide":   {pngBytes(t, solid(100, 1, red)), 2},
			"bad_truncated":  {pngBytes(t, solid(4, 4, red))[:40], 2},
			"bad_garbage":    {[]byte("GIF89a"), 2},
		},
	}
}

// TestFuzzSeeds checks that the seeds named valid* load and those named
// bad* fail, so that the corpora start the fuzzer on both sides.
func TestFuzzSeeds(t *testing.T) {
	load := map[string]func(args []any) error{
		"FuzzNpy": func(a []any) error {
			b := a[0].([]byte)
			_, _, _, err := parseNpy("fuzz.npy", bytes.NewReader(b), int64(len(b)), fuzzLimits)
			return err
		},
		"FuzzPrecompCaps": func(a []any) error {
			caps, err := parseCaps("fuzz_caps.txt", bytes.NewReader(a[0].([]byte)), fuzzLimits)
			if err != nil {
				return err
			}
			_, err = alignCaps("fuzz_caps.txt", "fuzz_ims.npy", len(caps), a[1].(int))
			return err
		},
		"FuzzKarpathyJSON": func(a []any) error {
			kf, err := parseKarpathy("dataset_fuzz.json", a[0].([]byte), fuzzLimits)
			if err != nil {
				return err
			}
			_, err = buildKarpathy("dataset_fuzz.json", kf, "fuzz", "imgs", readMem, 3, fuzzLimits)
			return err
		},
		"FuzzImage": func(a []any) error {
			_, err := decodeImage(a[0].([]byte), a[1].(int), fuzzLimits)
			return err
		},
	}
	for _, ext := range []string{"CSV", "TSV", "JSONL"} {
		name := "fuzz." + strings.ToLower(ext)
		load["Fuzz"+ext] = func(a []any) error {
			kind, _ := tableKindOf(name)
			rows, err := parseTable(name, kind, bytes.NewReader(a[0].([]byte)), fuzzLimits)
			if err != nil {
				return err
			}
			_, err = buildTable(name, rows, "img", readMem, 3, fuzzLimits)
			return err
		}
	}
	for target, inputs := range fuzzSeeds(t) {
		for name, args := range inputs {
			err := load[target](args)
			if strings.HasPrefix(name, "bad") && err == nil {
				t.Errorf("%s/%s: no error", target, name)
			}
			if !strings.HasPrefix(name, "bad") && err != nil {
				t.Errorf("%s/%s: %v", target, name, err)
			}
		}
	}
}
