package formats

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPrecomp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "f30k_precomp")
	train := [][]float32{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}}
	writeFiles(t, dir, map[string][]byte{
		"train_ims.npy":   npy32(t, train),
		"train_caps.txt":  lines(caps("train", 15)...),
		"dev_ims.npy":     npy32(t, [][]float32{{-1, 0, 0, 1}, {0.5, 0.25, 0, 0}}),
		"dev_caps.txt":    []byte("a\r\nb\r\nc\r\nd"), // CRLF, no final newline
		"test_ims.npy":    npy64(t, [][]float64{{1e-3, 2}, {3, -4}}),
		"test_caps.txt":   lines("  one  ", "two"),
		"unrelated.txt":   []byte("ignored"),
		"testall_ims.txt": []byte("not an npy, not a split"),
	})
	cs, err := LoadPrecomp(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 {
		t.Fatalf("got %d collections, want 3", len(cs))
	}
	for i, want := range []struct {
		split      string
		n, dim, nt int
	}{{"train", 3, 4, 15}, {"val", 2, 4, 4}, {"test", 2, 2, 2}} {
		c := cs[i]
		if c.Domain != "f30k" || c.Split != want.split || c.Images.N != want.n || c.Images.Dim != want.dim || len(c.Texts) != want.nt || c.Images.IsPixels() {
			t.Errorf("collection %d: domain %q split %q N %d dim %d texts %d, want f30k %s %d %d %d",
				i, c.Domain, c.Split, c.Images.N, c.Images.Dim, len(c.Texts), want.split, want.n, want.dim, want.nt)
		}
		if err := c.Validate(); err != nil {
			t.Error(err)
		}
	}
	tr := cs[0]
	if !reflect.DeepEqual(tr.Images.Feat, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}) {
		t.Errorf("train features %v", tr.Images.Feat)
	}
	if tr.TextImage[0] != 0 || tr.TextImage[4] != 0 || tr.TextImage[5] != 1 || tr.TextImage[14] != 2 {
		t.Errorf("train alignment %v, want five captions per image in order", tr.TextImage)
	}
	if tr.Texts[7] != "train caption 7" {
		t.Errorf("train text 7 = %q", tr.Texts[7])
	}
	if got := cs[1].ImageIDs; !reflect.DeepEqual(got, []string{"val/0", "val/1"}) {
		t.Errorf("val ids %v", got)
	}
	if got := cs[1].Texts; !reflect.DeepEqual(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("CRLF captions %q", got)
	}
	if got := cs[1].TextImage; !reflect.DeepEqual(got, []int{0, 0, 1, 1}) {
		t.Errorf("val alignment %v", got)
	}
	te := cs[2]
	if !reflect.DeepEqual(te.Images.Feat, []float32{1e-3, 2, 3, -4}) || !reflect.DeepEqual(te.Texts, []string{"one", "two"}) || !reflect.DeepEqual(te.TextImage, []int{0, 1}) {
		t.Errorf("float64 test split: %v %q %v", te.Images.Feat, te.Texts, te.TextImage)
	}

	// Explicit splits, by either name of dev, in the order asked.
	cs, err = LoadPrecomp(dir, "test", "val")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Split != "test" || cs[1].Split != "val" || cs[1].Images.N != 2 {
		t.Errorf("LoadPrecomp(test, val) gave %d collections", len(cs))
	}
	// Load on the directory and on one file.
	cs, err = Load(dir, Options{Domain: "flickr"})
	if err != nil || len(cs) != 3 || cs[0].Domain != "flickr" {
		t.Errorf("Load(dir): %v", err)
	}
	cs, err = Load(filepath.Join(dir, "dev_caps.txt"), Options{})
	if err != nil || len(cs) != 1 || cs[0].Split != "val" {
		t.Errorf("Load(dev_caps.txt): %v", err)
	}
}

func TestNpyVariants(t *testing.T) {
	want := []float32{1, 2, 3, 4, 5, 6} // 2×3, row order
	le, be := binary.LittleEndian, binary.BigEndian
	cases := []struct {
		name string
		b    []byte
	}{
		{"npyio", npy32(t, [][]float32{{1, 2, 3}, {4, 5, 6}})},
		{"big-endian", rawNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", f32bytes(be, 1, 2, 3, 4, 5, 6))},
		{"fortran", rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", f32bytes(le, 1, 4, 2, 5, 3, 6))},
		{"python2 longs, double quotes, no trailing comma", rawNpy(`{"descr": "<f4", "shape": (2L, 3L), "fortran_order": False}   `, f32bytes(le, 1, 2, 3, 4, 5, 6))},
		{"float64", npy64(t, [][]float64{{1, 2, 3}, {4, 5, 6}})},
	}
	for _, c := range cases {
		feat, n, d, err := parseNpy("x.npy", bytes.NewReader(c.b), int64(len(c.b)), DefaultLimits())
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if n != 2 || d != 3 || !reflect.DeepEqual(feat, want) {
			t.Errorf("%s: got %d×%d %v, want 2×3 %v", c.name, n, d, feat, want)
		}
	}
}

// A header claiming an absurd shape is refused before anything is
// allocated for it.
func TestNpyHugeHeader(t *testing.T) {
	b := rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 2048), }", f32bytes(binary.LittleEndian, 1, 2))
	allocs := testing.AllocsPerRun(5, func() {
		_, _, _, err := parseNpy("huge.npy", bytes.NewReader(b), int64(len(b)), DefaultLimits())
		if err == nil || !strings.Contains(err.Error(), "limit") {
			t.Fatalf("err = %v, want a limit error", err)
		}
	})
	if allocs > 100 {
		t.Errorf("%v allocations for a refused header", allocs)
	}
	// Within the limits but not in the file.
	b = rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000), }", f32bytes(binary.LittleEndian, 1, 2))
	_, _, _, err := parseNpy("short.npy", bytes.NewReader(b), int64(len(b)), DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("err = %v, want truncated", err)
	}
}

// karpathyJSON is a Karpathy file with one image per line: line 3 is
// images[0].
const karpathyJSON = `{"dataset": "flickr8k",
"images": [
{"filename": "a.png", "imgid": 0, "split": "train", "sentids": [0, 1], "sentences": [{"raw": "A red and green square.", "tokens": ["a", "red"], "imgid": 0, "sentid": 0}, {"raw": "", "tokens": ["two", "colours"], "imgid": 0, "sentid": 1}]},
{"filename": "b.jpg", "imgid": 1, "split": "restval", "sentids": [2], "sentences": [{"raw": "A green photo.", "imgid": 1, "sentid": 2}], "cocoid": 7},
{"filepath": "sub", "filename": "c.gif", "imgid": 2, "split": "test", "sentids": [3, 4], "sentences": [{"raw": "Blue.", "imgid": 2, "sentid": 3}, {"raw": "All blue.", "imgid": 2, "sentid": 4}]},
{"filename": "d.png", "imgid": 3, "split": "val", "sentences": [{"raw": "White."}]}
]}
`

func karpathyImages(t testing.TB) map[string][]byte {
	return map[string][]byte{
		// 8×4: the centred 4×4 square is red | green; the blue edges go.
		"imgs/a.png":     pngBytes(t, stripes(8, 4, blue, red, green, blue)),
		"imgs/b.jpg":     jpegBytes(t, solid(16, 16, green)),
		"imgs/sub/c.gif": gifBytes(t, solid(3, 5, blue)),
		"imgs/d.png":     pngBytes(t, solid(2, 2, white)),
	}
}

func TestKarpathy(t *testing.T) {
	dir := t.TempDir()
	files := karpathyImages(t)
	files["dataset_flickr8k.json"] = []byte(karpathyJSON)
	writeFiles(t, dir, files)
	cs, err := LoadKarpathy(filepath.Join(dir, "dataset_flickr8k.json"), filepath.Join(dir, "imgs"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 {
		t.Fatalf("got %d collections, want 3", len(cs))
	}
	tr, va, te := cs[0], cs[1], cs[2]
	for _, c := range cs {
		if c.Domain != "flickr8k" || c.Images.W != 2 || c.Images.H != 2 || !c.Images.IsPixels() {
			t.Errorf("%s: domain %q, %d×%d", c.Split, c.Domain, c.Images.W, c.Images.H)
		}
	}
	if tr.Split != "train" || va.Split != "val" || te.Split != "test" {
		t.Fatalf("splits %s %s %s", tr.Split, va.Split, te.Split)
	}
	if !reflect.DeepEqual(tr.ImageIDs, []string{"a.png", "b.jpg"}) || !reflect.DeepEqual(te.ImageIDs, []string{"sub/c.gif"}) {
		t.Errorf("ids %v %v", tr.ImageIDs, te.ImageIDs)
	}
	if want := []string{"A red and green square.", "two colours", "A green photo."}; !reflect.DeepEqual(tr.Texts, want) {
		t.Errorf("train texts %q, want %q", tr.Texts, want)
	}
	if !reflect.DeepEqual(tr.TextImage, []int{0, 0, 1}) || !reflect.DeepEqual(te.TextImage, []int{0, 0}) {
		t.Errorf("alignment %v %v", tr.TextImage, te.TextImage)
	}
	// Centre crop, then resize: red | green, top and bottom.
	for y := 0; y < 2; y++ {
		if got := pixel(tr.Images, 0, 0, y); got != red {
			t.Errorf("a.png (0,%d) = %v, want red", y, got)
		}
		if got := pixel(tr.Images, 0, 1, y); got != green {
			t.Errorf("a.png (1,%d) = %v, want green", y, got)
		}
	}
	if got := pixel(tr.Images, 1, 1, 1); got.G < 200 || got.R > 60 || got.B > 60 {
		t.Errorf("b.jpg = %v, want about green", got)
	}
	if got := pixel(te.Images, 0, 0, 0); got != blue {
		t.Errorf("c.gif = %v, want blue", got)
	}
	if got := pixel(va.Images, 0, 1, 0); got != white {
		t.Errorf("d.png = %v, want white", got)
	}

	// Load: imageDir from Options, default size.
	cs, err = Load(filepath.Join(dir, "dataset_flickr8k.json"), Options{ImageDir: filepath.Join(dir, "imgs")})
	if err != nil || cs[0].Images.W != DefaultSize {
		t.Errorf("Load: %v", err)
	}
}

// tableImages are the images of the table tests, in img/.
func tableImages(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"img/a.png": pngBytes(t, stripes(4, 8, red)),
		"img/b.png": pngBytes(t, stripes(6, 6, red, green, blue)),
		"img/c.jpg": jpegBytes(t, solid(8, 8, white)),
	}
}

func TestTables(t *testing.T) {
	csvText := "image,domain,text,split,notes\n" +
		"img/a.png,photos,a red thing,train,x\n" +
		"./img/a.png,photos,\"a red thing, again\",train,\n" +
		"img/b.png,photos,\"stripes: \"\"rgb\"\"\",test,\n" +
		"img/b.png,icons,\"multi\nline\",,\n" +
		"img/c.jpg,icons,white,restval,\n"
	tsvText := "image\tdomain\ttext\tsplit\tnotes\n" +
		"img/a.png\tphotos\ta red thing\ttrain\tx\n" +
		"./img/a.png\tphotos\ta red thing, again\ttrain\t\n" +
		"img/b.png\tphotos\t\"stripes: \"\"rgb\"\"\"\ttest\t\n" +
		"img/b.png\ticons\t\"multi\nline\"\t\t\n" +
		"img/c.jpg\ticons\twhite\tRESTVAL\t\n"
	jsonlText := `{"image": "img/a.png", "domain": "photos", "text": "a red thing", "split": "train", "notes": 1}
{"image": "./img/a.png", "domain": "photos", "text": "a red thing, again", "split": "train"}

{"image": "img/b.png", "domain": "photos", "text": "stripes: \"rgb\"", "split": "test"}
{"image": "img/b.png", "domain": "icons", "text": "multi\nline", "split": null}
{"image": "img/c.jpg", "domain": "icons", "text": "white", "split": "restval"}
`
	for _, tc := range []struct{ name, text string }{{"pairs.csv", csvText}, {"pairs.tsv", tsvText}, {"pairs.jsonl", jsonlText}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := tableImages(t)
			files[tc.name] = []byte(tc.text)
			writeFiles(t, dir, files)
			cs, err := LoadTable(filepath.Join(dir, tc.name), "", 3)
			if err != nil {
				t.Fatal(err)
			}
			type summary struct {
				Domain, Split string
				IDs, Texts    []string
				Align         []int
			}
			var got []summary
			for _, c := range cs {
				if err := c.Validate(); err != nil {
					t.Error(err)
				}
				got = append(got, summary{c.Domain, c.Split, c.ImageIDs, c.Texts, c.TextImage})
			}
			want := []summary{
				{"icons", "train", []string{"img/c.jpg"}, []string{"white"}, []int{0}},
				{"icons", "", []string{"img/b.png"}, []string{"multi\nline"}, []int{0}},
				{"photos", "train", []string{"img/a.png"}, []string{"a red thing", "a red thing, again"}, []int{0, 0}},
				{"photos", "test", []string{"img/b.png"}, []string{`stripes: "rgb"`}, []int{0}},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got\n%+v\nwant\n%+v", got, want)
			}
			// img/b.png, shared by two domains: three 2-px stripes → 3 px.
			for _, c := range []int{1, 3} {
				for x, want := range []color.NRGBA{red, green, blue} {
					if p := pixel(cs[c].Images, 0, x, 2); p != want {
						t.Errorf("collection %d b.png (%d,2) = %v, want %v", c, x, p, want)
					}
				}
			}
			// img/a.png is 4×8 red: centre crop is red.
			if p := pixel(cs[2].Images, 0, 1, 1); p != red {
				t.Errorf("a.png = %v", p)
			}
			// Through Load, with an explicit imageDir.
			cs2, err := Load(filepath.Join(dir, tc.name), Options{ImageDir: dir, Size: 3})
			if err != nil || !reflect.DeepEqual(cs2, cs) {
				t.Errorf("Load differs from LoadTable: %v", err)
			}
		})
	}
}

func TestLimitsDefaults(t *testing.T) {
	l := (&Limits{MaxImages: 7}).withDefaults()
	d := DefaultLimits()
	if l.MaxImages != 7 || l.MaxTexts != d.MaxTexts || l.MaxPixelBytes != d.MaxPixelBytes {
		t.Errorf("withDefaults: %+v", l)
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "a.csv", Line: 3, Where: "row 2", Problem: "text is empty", Fix: "write it"}
	if got, want := e.Error(), "a.csv:3: row 2: text is empty; write it"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	e = &Error{File: "x.npy", Where: "row 1, column 2", Problem: "value is NaN"}
	if got, want := e.Error(), "x.npy: row 1, column 2: value is NaN"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// decodeAll reports the first failing image in job order, however the
// workers are scheduled.
func TestDecodeAllFirstError(t *testing.T) {
	for round := 0; round < 20; round++ {
		var jobs []imgJob
		for i := 0; i < 40; i++ {
			name := "a.png"
			if i == 7 || i == 8 || i == 30 {
				name = "bad.png"
			}
			i := i
			jobs = append(jobs, imgJob{path: name, dst: [][]uint8{make([]uint8, 4)},
				fail: func(problem, fix string, err error) *Error { return &Error{File: "t", Line: i, Problem: problem} }})
		}
		err := decodeAll(jobs, readMem, 1, fuzzLimits)
		if e, ok := err.(*Error); !ok || e.Line != 7 {
			t.Fatalf("round %d: %v, want the error of job 7", round, err)
		}
	}
}
