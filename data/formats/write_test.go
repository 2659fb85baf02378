package formats

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"aeir/data"
	"github.com/sbinet/npyio/npy"
)

// pixImages makes n size×size images of pseudo-random colours whose
// alpha cycles through 0, 0, 1, 128, 254, 255 and a random value, so that
// fully transparent pixels have colours that must survive; opaque makes
// every alpha 255.
func pixImages(n, size int, seed uint32, opaque bool) *data.Images {
	im := &data.Images{N: n, W: size, H: size, Pix: make([]uint8, n*size*size*4)}
	x := seed*2654435761 + 1
	for p := 0; p < len(im.Pix); p += 4 {
		x = x*1664525 + 1013904223
		im.Pix[p], im.Pix[p+1], im.Pix[p+2] = uint8(x>>24), uint8(x>>16), uint8(x>>8)|1
		a := uint8(255)
		if !opaque {
			a = []uint8{0, 0, 1, 128, 254, 255, uint8(x)}[(p/4)%7]
		}
		im.Pix[p+3] = a
	}
	return im
}

// pixColl is a pixel collection with one text per entry of textImage and,
// when short, a short form of each.
func pixColl(domain, split string, size int, seed uint32, opaque bool, ids []string, textImage []int, short bool) *data.Collection {
	c := &data.Collection{Domain: domain, Split: split, Images: pixImages(len(ids), size, seed, opaque), ImageIDs: ids, TextImage: textImage}
	for j, i := range textImage {
		c.Texts = append(c.Texts, fmt.Sprintf("%s %s: text %d of image %d", domain, split, j, i))
		if short {
			c.Short = append(c.Short, fmt.Sprintf("short %d/%d", j, i))
		}
	}
	return c
}

// featColl is a feature collection of n images of dimension d with k texts
// each, listed by image.
func featColl(domain, split string, n, d, k int, short bool, seed float32) *data.Collection {
	c := &data.Collection{Domain: domain, Split: split, Images: &data.Images{N: n, Dim: d}}
	specials := []float32{float32(math.Copysign(0, -1)), 1e-45, -3.4e38, 0.1, 1}
	for i := range n * d {
		v := seed*float32(i) - 7.25
		if i < len(specials) {
			v = specials[i]
		}
		c.Images.Feat = append(c.Images.Feat, v)
	}
	for i := range n {
		c.ImageIDs = append(c.ImageIDs, fmt.Sprintf("img%d", i))
		for q := range k {
			c.Texts = append(c.Texts, fmt.Sprintf("%s caption %d of image %d, \"quoted\" café", split, q, i))
			c.TextImage = append(c.TextImage, i)
			if short {
				c.Short = append(c.Short, fmt.Sprintf("short %d.%d", i, q))
			}
		}
	}
	return c
}

// regroup returns a copy of c with its texts (and short forms) grouped by
// image, in image order, each image's texts in their order.
func regroup(c *data.Collection) *data.Collection {
	out := *c
	out.Texts, out.TextImage, out.Short = nil, nil, nil
	for i := range c.Images.N {
		for j, ti := range c.TextImage {
			if ti != i {
				continue
			}
			out.Texts = append(out.Texts, c.Texts[j])
			out.TextImage = append(out.TextImage, i)
			if c.Short != nil {
				out.Short = append(out.Short, c.Short[j])
			}
		}
	}
	return &out
}

// checkSame asserts that got equals want in everything but the image ids,
// pixels and feature bits included.
func checkSame(t *testing.T, got, want *data.Collection) {
	t.Helper()
	name := want.Domain + "/" + want.Split
	if got.Domain != want.Domain || got.Split != want.Split {
		t.Errorf("%s: got domain %q split %q", name, got.Domain, got.Split)
	}
	g, w := got.Images, want.Images
	if g.N != w.N || g.W != w.W || g.H != w.H || g.Dim != w.Dim {
		t.Errorf("%s: images N %d %d×%d dim %d, want N %d %d×%d dim %d", name, g.N, g.W, g.H, g.Dim, w.N, w.W, w.H, w.Dim)
	}
	if !bytes.Equal(g.Pix, w.Pix) {
		for i := range min(len(g.Pix), len(w.Pix)) {
			if g.Pix[i] != w.Pix[i] {
				t.Errorf("%s: pixel bytes differ first at %d (image %d, pixel %d, channel %d): %d, want %d", name, i, i/(w.W*w.H*4), i/4%(w.W*w.H), i%4, g.Pix[i], w.Pix[i])
				break
			}
		}
		if len(g.Pix) != len(w.Pix) {
			t.Errorf("%s: %d pixel bytes, want %d", name, len(g.Pix), len(w.Pix))
		}
	}
	if len(g.Feat) != len(w.Feat) {
		t.Errorf("%s: %d features, want %d", name, len(g.Feat), len(w.Feat))
	} else {
		for i := range g.Feat {
			if math.Float32bits(g.Feat[i]) != math.Float32bits(w.Feat[i]) {
				t.Errorf("%s: feature %d is %v, want %v", name, i, g.Feat[i], w.Feat[i])
				break
			}
		}
	}
	if !reflect.DeepEqual(got.Texts, want.Texts) {
		t.Errorf("%s: texts\n%q\nwant\n%q", name, got.Texts, want.Texts)
	}
	if !reflect.DeepEqual(got.TextImage, want.TextImage) {
		t.Errorf("%s: alignment %v, want %v", name, got.TextImage, want.TextImage)
	}
	if !reflect.DeepEqual(got.Short, want.Short) {
		t.Errorf("%s: short forms %q, want %q", name, got.Short, want.Short)
	}
	if err := got.Validate(); err != nil {
		t.Error(err)
	}
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// Go's PNG encoder keeps the colour of fully transparent pixels of an
// *image.NRGBA, and the loader keeps it when the image needs no resizing;
// data.Resize at the same size would clear it.
func TestSameSizeKeepsTransparentColour(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 3, 3))
	for i := range m.Pix {
		m.Pix[i] = uint8(37 * (i + 1))
	}
	m.Pix[3], m.Pix[7] = 0, 1 // pixel 0 fully transparent, pixel 1 nearly
	b := pngBytes(t, m)
	dec, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := dec.(*image.NRGBA); !ok || !bytes.Equal(n.Pix, m.Pix) {
		t.Fatalf("png round trip: %T, not the same NRGBA bytes", dec)
	}
	if got := data.Resize(m, 3, 3).Pix[:4]; !bytes.Equal(got, []uint8{0, 0, 0, 0}) {
		t.Errorf("data.Resize at the same size kept a transparent pixel's colour %v; the loader's shortcut would no longer be needed", got)
	}
	pix, err := decodeImage(b, 3, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pix, m.Pix) {
		t.Errorf("decodeImage at the same size: %v, want %v", pix, m.Pix)
	}
	// An opaque image is stored as RGB and decoded as *image.RGBA.
	o := stripes(4, 4, red, green, blue, white)
	if pix, err := decodeImage(pngBytes(t, o), 4, DefaultLimits()); err != nil || !bytes.Equal(pix, o.Pix) {
		t.Errorf("opaque image at the same size: %v %v", pix, err)
	}
	// Any other size still crops and resizes.
	if pix, err := decodeImage(pngBytes(t, stripes(8, 4, blue, red, green, blue)), 2, DefaultLimits()); err != nil ||
		!bytes.Equal(pix, []uint8{255, 0, 0, 255, 0, 255, 0, 255, 255, 0, 0, 255, 0, 255, 0, 255}) {
		t.Errorf("crop and resize: %v %v", pix, err)
	}
}

func TestWriteTableRoundTrip(t *testing.T) {
	const size = 5
	tricky := []string{`a, "quoted" text`, "tab\there", "multi\nline", "café ☕ <b>&amp;</b>", `\.`, "lone\rreturn", "line\u2028separator"}
	set := func(short bool) []*data.Collection {
		// Texts meet the images in order: written in text order.
		ptrain := pixColl("photos", "train", size, 1, false, []string{"a.png", "b/c", "B_c", "😀"}, []int{0, 1, 0, 1, 2, 3, 3}, short)
		for j, s := range tricky[:4] {
			ptrain.Texts[j] = s
		}
		// Same id as in train, another split: another file.
		ptest := pixColl("photos", "test", size, 2, false, []string{"a.png"}, []int{0, 0}, short)
		punsplit := pixColl("photos", "", size, 3, true, []string{"x", "y"}, []int{0, 1}, short)
		// Texts not in image order: written, and read back, by image.
		ival := pixColl("icons, odd/name", "val", size, 4, false, []string{"p", "q"}, []int{1, 0, 1}, false)
		copy(ival.Texts, tricky[4:])
		itrain := pixColl("icons, odd/name", "train", size, 5, true, []string{"p2"}, []int{0}, false)
		return []*data.Collection{ptrain, ptest, punsplit, ival, itrain}
	}
	for _, ext := range []string{"csv", "tsv", "jsonl"} {
		for _, short := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/short=%v", ext, short), func(t *testing.T) {
				dir := t.TempDir()
				cs := set(short)
				p := filepath.Join(dir, "pairs."+ext)
				if err := WriteTable(p, cs, ""); err != nil {
					t.Fatal(err)
				}
				if got := entries(t, dir); !reflect.DeepEqual(got, []string{"images", "pairs." + ext}) {
					t.Errorf("folder holds %q", got)
				}
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if ext != "jsonl" {
					head, _, _ := strings.Cut(string(b), "\n")
					want := strings.Join([]string{"image", "text", "domain", "split"}, map[string]string{"csv": ",", "tsv": "\t"}[ext])
					if short {
						want += map[string]string{"csv": ",", "tsv": "\t"}[ext] + "short"
					}
					if head != want {
						t.Errorf("header %q, want %q", head, want)
					}
				}
				got, err := LoadTable(p, "", size)
				if err != nil {
					t.Fatal(err)
				}
				// The loader's order: by domain, then train, val, test, unsplit.
				want := []*data.Collection{cs[4], regroup(cs[3]), cs[0], cs[1], cs[2]}
				wantIDs := [][]string{
					{"images/icons__odd_name/p2.png"},
					{"images/icons__odd_name/p.png", "images/icons__odd_name/q.png"},
					{"images/photos/a.png", "images/photos/b_c.png", "images/photos/B_c~2.png", "images/photos/u1f600.png"},
					{"images/photos/a~2.png"},
					{"images/photos/x.png", "images/photos/y.png"},
				}
				if len(got) != len(want) {
					t.Fatalf("%d collections, want %d", len(got), len(want))
				}
				for i := range want {
					checkSame(t, got[i], want[i])
					if !reflect.DeepEqual(got[i].ImageIDs, wantIDs[i]) {
						t.Errorf("%s/%s: ids %q, want %q", want[i].Domain, want[i].Split, got[i].ImageIDs, wantIDs[i])
					}
					for _, id := range got[i].ImageIDs {
						if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(id))); err != nil {
							t.Error(err)
						}
					}
				}
				// Through Load too.
				again, err := Load(p, Options{Size: size})
				if err != nil || !reflect.DeepEqual(again, got) {
					t.Errorf("Load differs from LoadTable: %v", err)
				}
			})
		}
	}
}

// The table names images by their path from the table's folder; an
// image folder outside it is refused, since the loader would refuse the
// paths.
func TestWriteTableImageDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tables", "pics"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := pixColl("d", "test", 2, 9, false, []string{"one", "two"}, []int{0, 1, 1}, true)
	p := filepath.Join(dir, "tables", "t.csv")
	err := WriteTable(p, []*data.Collection{c}, filepath.Join(dir, "pics"))
	if err == nil || !strings.Contains(err.Error(), "not inside the table's folder") {
		t.Fatalf("an image folder beside the table's folder: got %v, want a refusal", err)
	}
	if _, err := os.Stat(p); err == nil {
		t.Fatal("the refused table was written")
	}
	if err := WriteTable(p, []*data.Collection{c}, filepath.Join(dir, "tables", "pics", "v1")); err != nil {
		t.Fatal(err)
	}
	got, err := LoadTable(p, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, got[0], c)
	if want := []string{"pics/v1/d/one.png", "pics/v1/d/two.png"}; !reflect.DeepEqual(got[0].ImageIDs, want) {
		t.Errorf("ids %q, want %q", got[0].ImageIDs, want)
	}
}

func TestWriteKarpathyRoundTrip(t *testing.T) {
	const size = 4
	set := func(short bool) []*data.Collection {
		// Given out of order: the loader returns train, val, test.
		return []*data.Collection{
			pixColl("flickr", "test", size, 11, false, []string{"t1.jpg", "t2"}, []int{0, 0, 1}, short),
			pixColl("flickr", "train", size, 12, false, []string{"a", "A", "sub/b.png", "ünï"}, []int{0, 0, 0, 1, 2, 3, 3}, short),
			pixColl("flickr", "val", size, 13, true, []string{"a"}, []int{0}, short),
		}
	}
	cases := []struct {
		name    string
		dataset string
		short   bool
	}{{"short", "", true}, {"no short", "", false}, {"dataset named", "flickr", true}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cs := set(tc.short)
			cs[1].Texts[3] = "A \"quoted\"\nTwo-line sentence, café ☕"
			jp := filepath.Join(dir, "dataset_flickr.json")
			if err := WriteKarpathy(jp, tc.dataset, cs, ""); err != nil {
				t.Fatal(err)
			}
			got, err := LoadKarpathy(jp, "", size)
			if err != nil {
				t.Fatal(err)
			}
			want := []*data.Collection{cs[1], cs[2], cs[0]}
			wantIDs := [][]string{
				{"images/a.png", "images/A~2.png", "images/sub_b.png", "images/ufcnuef.png"},
				{"images/a~3.png"},
				{"images/t1.png", "images/t2.png"},
			}
			if len(got) != 3 {
				t.Fatalf("%d collections, want 3", len(got))
			}
			for i := range want {
				checkSame(t, got[i], want[i])
				if !reflect.DeepEqual(got[i].ImageIDs, wantIDs[i]) {
					t.Errorf("%s: ids %q, want %q", want[i].Split, got[i].ImageIDs, wantIDs[i])
				}
			}
			// Tokens, ids and short forms as written.
			b, _ := os.ReadFile(jp)
			for _, s := range []string{`"dataset": "flickr"`, `"tokens":["a","\"quoted\"","two-line","sentence,","café","☕"]`, `"imgid":3,"sentid":6`, `"filepath":"images"`} {
				if !strings.Contains(string(b), s) {
					t.Errorf("JSON lacks %s", s)
				}
			}
			if strings.Contains(string(b), `"short"`) != tc.short {
				t.Errorf("JSON has short forms: %v, want %v", !tc.short, tc.short)
			}
			// Through Load, on the folder.
			again, err := Load(dir, Options{Size: size})
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("Load differs from LoadKarpathy: %v", err)
			}
		})
	}
	// Texts not grouped by image come back grouped.
	t.Run("regrouped", func(t *testing.T) {
		dir := t.TempDir()
		c := pixColl("d", "val", 2, 5, false, []string{"x", "y"}, []int{1, 0, 1, 0}, true)
		jp := filepath.Join(dir, "dataset_d.json")
		if err := WriteKarpathy(jp, "", []*data.Collection{c}, filepath.Join(dir, "imgs")); err != nil {
			t.Fatal(err)
		}
		got, err := LoadKarpathy(jp, "", 2)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, got[0], regroup(c))
		if want := []string{"imgs/x.png", "imgs/y.png"}; !reflect.DeepEqual(got[0].ImageIDs, want) {
			t.Errorf("ids %q", got[0].ImageIDs)
		}
	})
}

func TestWritePrecompRoundTrip(t *testing.T) {
	for _, short := range []bool{true, false} {
		t.Run(fmt.Sprintf("short=%v", short), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "f30k_precomp")
			cs := []*data.Collection{
				featColl("f30k", "test", 2, 3, 3, short, 0.5),
				featColl("f30k", "train", 3, 4, 2, short, 1.5),
				featColl("f30k", "val", 2, 4, 1, false, -2),
				featColl("f30k", "testall", 1, 2, 5, short, 3),
			}
			if err := WritePrecomp(dir, cs); err != nil {
				t.Fatal(err)
			}
			files := []string{"dev_caps.txt", "dev_ims.npy", "test_caps.txt", "test_ims.npy", "testall_caps.txt", "testall_ims.npy", "train_caps.txt", "train_ims.npy"}
			if short {
				files = append(files, "test_short.txt", "testall_short.txt", "train_short.txt")
				slices.Sort(files)
			}
			if got := entries(t, dir); !reflect.DeepEqual(got, files) {
				t.Errorf("files %q, want %q", got, files)
			}
			got, err := LoadPrecomp(dir)
			if err != nil {
				t.Fatal(err)
			}
			want := []*data.Collection{cs[1], cs[2], cs[0], cs[3]}
			if len(got) != len(want) {
				t.Fatalf("%d collections, want %d", len(got), len(want))
			}
			for i := range want {
				checkSame(t, got[i], want[i])
				for r, id := range got[i].ImageIDs {
					if wantID := fmt.Sprintf("%s/%d", want[i].Split, r); id != wantID {
						t.Errorf("id %q, want %q", id, wantID)
					}
				}
			}
			// A standard .npy: npyio reads the header.
			f, err := os.Open(filepath.Join(dir, "train_ims.npy"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := npy.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			if r.Header.Descr.Type != "<f4" || r.Header.Descr.Fortran || !reflect.DeepEqual(r.Header.Descr.Shape, []int{3, 4}) {
				t.Errorf("npy header %+v", r.Header.Descr)
			}
		})
	}
	t.Run("regrouped", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "x_precomp")
		c := featColl("x", "test", 2, 2, 2, true, 1)
		// texts 0..3 of images 0,0,1,1 listed as 1,0,1,0
		c.Texts = []string{c.Texts[2], c.Texts[0], c.Texts[3], c.Texts[1]}
		c.Short = []string{c.Short[2], c.Short[0], c.Short[3], c.Short[1]}
		c.TextImage = []int{1, 0, 1, 0}
		if err := WritePrecomp(dir, []*data.Collection{c}); err != nil {
			t.Fatal(err)
		}
		got, err := LoadPrecomp(dir)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, got[0], regroup(c))
	})
}

// Writers refuse what would not come back unchanged, and write nothing.
func TestWriteRefusals(t *testing.T) {
	px := func(domain, split string) *data.Collection {
		return pixColl(domain, split, 2, 1, false, []string{"a", "b"}, []int{0, 1}, false)
	}
	ft := func(domain, split string) *data.Collection { return featColl(domain, split, 2, 3, 1, false, 1) }
	edit := func(c *data.Collection, f func(c *data.Collection)) *data.Collection { f(c); return c }
	table := func(name string) func(dir string, cs []*data.Collection) error {
		return func(dir string, cs []*data.Collection) error { return WriteTable(filepath.Join(dir, name), cs, "") }
	}
	karpathy := func(dir string, cs []*data.Collection) error {
		return WriteKarpathy(filepath.Join(dir, "dataset_x.json"), "", cs, "")
	}
	precomp := func(dir string, cs []*data.Collection) error {
		return WritePrecomp(filepath.Join(dir, "x_precomp"), cs)
	}
	cases := []struct {
		name  string
		write func(dir string, cs []*data.Collection) error
		cs    []*data.Collection
		want  string
	}{
		{"table extension", table("t.txt"), []*data.Collection{px("d", "")}, "name the file .csv, .tsv or .jsonl"},
		{"table nothing", table("t.csv"), nil, "no collections"},
		{"table features", table("t.csv"), []*data.Collection{ft("d", "")}, "feature vectors, and this format holds image files"},
		{"table invalid", table("t.csv"), []*data.Collection{edit(px("d", ""), func(c *data.Collection) { c.TextImage[0] = 5 })}, "points at image 5"},
		{"table not square", table("t.csv"), []*data.Collection{{Domain: "d", Images: &data.Images{N: 1, W: 2, H: 1, Pix: make([]uint8, 8)}, ImageIDs: []string{"a"}, Texts: []string{"x"}, TextImage: []int{0}}}, "2×1 images"},
		{"table sizes", table("t.csv"), []*data.Collection{px("d", "train"), pixColl("d", "test", 3, 1, false, []string{"c"}, []int{0}, false)}, "one size"},
		{"table split", table("t.csv"), []*data.Collection{px("d", "testall")}, `split "testall" cannot be written to a table`},
		{"table twice", table("t.csv"), []*data.Collection{px("d", "val"), px("d", "val")}, "two collections of domain"},
		{"table short mixed", table("t.jsonl"), []*data.Collection{px("d", "val"), pixColl("d", "test", 2, 1, false, []string{"c"}, []int{0}, true)}, `collection "d/test" has short forms and collection "d/val" has none`},
		{"table domain empty", table("t.csv"), []*data.Collection{px(" ", "")}, "empty domain"},
		{"table domain spaces", table("t.csv"), []*data.Collection{px(" d", "")}, "leading or trailing white space"},
		{"table text spaces", table("t.csv"), []*data.Collection{edit(px("d", ""), func(c *data.Collection) { c.Texts[1] = "x " })}, `text 1 ("x ") has leading or trailing white space`},
		{"table text empty", table("t.csv"), []*data.Collection{edit(px("d", ""), func(c *data.Collection) { c.Texts[1] = "" })}, "text 1 (\"\") is empty"},
		{"table text UTF-8", table("t.jsonl"), []*data.Collection{edit(px("d", ""), func(c *data.Collection) { c.Texts[0] = "caf\xe9" })}, "not valid UTF-8"},
		{"table text CRLF", table("t.tsv"), []*data.Collection{edit(px("d", ""), func(c *data.Collection) { c.Texts[0] = "a\r\nb" })}, `holds "\r\n"`},
		{"table short empty", table("t.csv"), []*data.Collection{edit(px("d", ""), func(c *data.Collection) { c.Short = []string{"s", " "} })}, "short form 1"},
		{"table duplicate", table("t.csv"), []*data.Collection{edit(px("d", ""), func(c *data.Collection) {
			c.Texts = append(c.Texts, c.Texts[0])
			c.TextImage = append(c.TextImage, 0)
		})}, "texts 0 and 2 are the same text of the same image"},
		{"table empty collection", table("t.csv"), []*data.Collection{{Domain: "d", Images: &data.Images{W: 2, H: 2}}}, "has no images"},
		{"karpathy features", karpathy, []*data.Collection{ft("d", "test")}, "write feature collections with WritePrecomp"},
		{"karpathy domains", karpathy, []*data.Collection{px("d", "test"), px("e", "train")}, `domains "d" and "e"`},
		{"karpathy unsplit", karpathy, []*data.Collection{px("d", "")}, "Karpathy files have no unsplit images; give every collection a split"},
		{"karpathy split", karpathy, []*data.Collection{px("d", "testall")}, `split "testall" cannot be written to a Karpathy file`},
		{"karpathy twice", karpathy, []*data.Collection{px("d", "test"), px("d", "test")}, `two collections of split "test"`},
		{"karpathy short mixed", karpathy, []*data.Collection{px("d", "test"), pixColl("d", "train", 2, 1, false, []string{"c"}, []int{0}, true)}, "every sentence or to none"},
		{"karpathy no name", karpathy, []*data.Collection{px("", "test")}, "give the dataset's name"},
		{"precomp pixels", precomp, []*data.Collection{px("d", "test")}, "holds pixel images, and precomp holds feature vectors: compute features first"},
		{"precomp counts", precomp, []*data.Collection{edit(ft("d", "test"), func(c *data.Collection) {
			c.Texts = append(c.Texts, "again")
			c.TextImage = append(c.TextImage, 1)
		})}, `image 1 ("img1") has 2 texts and image 0 ("img0") has 1; precomp needs the same number of captions for every image`},
		{"precomp unsplit", precomp, []*data.Collection{ft("d", "")}, "precomp data is per split"},
		{"precomp twice", precomp, []*data.Collection{ft("d", "val"), ft("d", "val")}, `two collections of split "val"`},
		{"precomp domains", precomp, []*data.Collection{ft("d", "val"), ft("e", "test")}, "a precomp directory holds one domain"},
		{"precomp line break", precomp, []*data.Collection{edit(ft("d", "val"), func(c *data.Collection) { c.Texts[1] = "a\nb" })}, "holds a line break"},
		{"precomp short line break", precomp, []*data.Collection{edit(ft("d", "val"), func(c *data.Collection) { c.Short = []string{"a", "b\rc"} })}, "short form 1"},
		{"precomp BOM", precomp, []*data.Collection{edit(ft("d", "val"), func(c *data.Collection) { c.Texts[0] = "\ufeffa" })}, "byte order mark"},
		{"precomp empty collection", precomp, []*data.Collection{{Domain: "d", Split: "test", Images: &data.Images{}}}, "has no images"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			err := tc.write(dir, tc.cs)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error lacks %q", tc.want)
			}
			if got := entries(t, dir); len(got) != 0 {
				t.Errorf("left %q behind", got)
			}
		})
	}
}

// The writers refuse to replace an existing output, file or folder (even
// an empty one), and leave it and its folder as they were.
func TestWriteRefusesOverwrite(t *testing.T) {
	pix := []*data.Collection{pixColl("d", "test", 2, 1, false, []string{"a"}, []int{0}, false)}
	feat := []*data.Collection{featColl("d", "test", 2, 3, 1, false, 1)}
	cases := []struct {
		name     string
		existing string // created before the write: a file, or a folder when it ends in "/"
		write    func(dir string) error
	}{
		{"table file", "t.csv", func(dir string) error { return WriteTable(filepath.Join(dir, "t.csv"), pix, "") }},
		{"table image folder", "images/", func(dir string) error { return WriteTable(filepath.Join(dir, "t.jsonl"), pix, "") }},
		{"table custom image folder", "pics/", func(dir string) error {
			return WriteTable(filepath.Join(dir, "t.tsv"), pix, filepath.Join(dir, "pics"))
		}},
		{"karpathy file", "dataset_d.json", func(dir string) error { return WriteKarpathy(filepath.Join(dir, "dataset_d.json"), "", pix, "") }},
		{"karpathy image folder", "images/", func(dir string) error { return WriteKarpathy(filepath.Join(dir, "dataset_d.json"), "", pix, "") }},
		{"precomp folder", "d_precomp/", func(dir string) error { return WritePrecomp(filepath.Join(dir, "d_precomp"), feat) }},
		{"precomp file", "d_precomp", func(dir string) error { return WritePrecomp(filepath.Join(dir, "d_precomp"), feat) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name, isDir := strings.CutSuffix(tc.existing, "/")
			p := filepath.Join(dir, name)
			if isDir {
				if err := os.Mkdir(p, 0o755); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(p, []byte("keep me"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := tc.write(dir)
			if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "already exists; remove it first") {
				t.Fatalf("err = %v, want an fs.ErrExist", err)
			}
			if got := entries(t, dir); !reflect.DeepEqual(got, []string{name}) {
				t.Errorf("folder holds %q, want only %q", got, name)
			}
			if isDir {
				if got := entries(t, p); len(got) != 0 {
					t.Errorf("existing folder now holds %q", got)
				}
			} else if b, _ := os.ReadFile(p); string(b) != "keep me" {
				t.Errorf("existing file now holds %q", b)
			}
			// Once the caller removes it, the write succeeds.
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := tc.write(dir); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A failure just before the outputs are renamed into place, or between
// the two renames, leaves nothing behind.
func TestWriteLeavesNothingOnError(t *testing.T) {
	pix := []*data.Collection{pixColl("d", "test", 2, 1, false, []string{"a", "b"}, []int{0, 1}, true)}
	feat := []*data.Collection{featColl("d", "test", 2, 3, 1, true, 1)}
	writers := map[string]func(dir string) error{
		"table":    func(dir string) error { return WriteTable(filepath.Join(dir, "t.csv"), pix, "") },
		"karpathy": func(dir string) error { return WriteKarpathy(filepath.Join(dir, "dataset_d.json"), "", pix, "") },
		"precomp":  func(dir string) error { return WritePrecomp(filepath.Join(dir, "d_precomp"), feat) },
	}
	for name, write := range writers {
		for _, stage := range []string{"publish", "publish-main"} {
			if name == "precomp" && stage == "publish-main" {
				continue // one output, one rename
			}
			t.Run(name+"/"+stage, func(t *testing.T) {
				dir := t.TempDir()
				boom := errors.New("boom")
				writeHook = func(s string) error {
					if s == stage {
						return boom
					}
					return nil
				}
				defer func() { writeHook = nil }()
				if err := write(dir); !errors.Is(err, boom) {
					t.Fatalf("err = %v, want boom", err)
				}
				if got := entries(t, dir); len(got) != 0 {
					t.Errorf("left %q behind", got)
				}
			})
		}
	}
}

func TestSafeNames(t *testing.T) {
	n := newNamer()
	for _, c := range []struct{ id, want string }{
		{"a.png", "a"},
		{"a", "a~2"},
		{"A", "A~3"},
		{"b/c d.JPG", "b_c_d"},
		{"😀", "u1f600"},
		{".hidden", "_.hidden"},
		{"", "_"},
		{"con", "_con"},
		{"a~2", "a_2"},
		{strings.Repeat("x", 300), strings.Repeat("x", 100)},
	} {
		if got := n.name(c.id); got != c.want {
			t.Errorf("name(%q) = %q, want %q", c.id, got, c.want)
		}
	}
}

// Short forms as people write them: a column or key for some domains,
// the "short" field of Karpathy sentences, {split}_short.txt.
func TestShortFormsLoad(t *testing.T) {
	dir := t.TempDir()
	files := tableImages(t)
	files["p.csv"] = []byte("image,text,domain,short\nimg/a.png,a red thing,d,red thing\nimg/b.png,stripes,d, stripes \nimg/a.png,red,e,\nimg/b.png,rgb,e,\n")
	files["p.jsonl"] = []byte(`{"image": "img/a.png", "text": "a red thing", "domain": "d", "short": "red thing"}` + "\n" +
		`{"image": "img/b.png", "text": "stripes", "domain": "d", "short": "stripes"}` + "\n" +
		`{"image": "img/a.png", "text": "red", "domain": "e", "short": null}` + "\n" +
		`{"image": "img/b.png", "text": "rgb", "domain": "e"}` + "\n")
	writeFiles(t, dir, files)
	for _, name := range []string{"p.csv", "p.jsonl"} {
		cs, err := LoadTable(filepath.Join(dir, name), "", 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 2 || !reflect.DeepEqual(cs[0].Short, []string{"red thing", "stripes"}) || cs[1].Short != nil {
			t.Errorf("%s: short forms %q and %q, want [red thing stripes] and nil", name, cs[0].Short, cs[1].Short)
		}
	}

	kdir := t.TempDir()
	files = karpathyImages(t)
	files["dataset_k.json"] = []byte(`{"images": [
{"filename": "a.png", "split": "test", "sentences": [{"raw": "A red square.", "short": "red square"}, {"raw": "Red.", "short": "red"}]},
{"filename": "d.png", "split": "test", "sentences": [{"raw": "White.", "short": " white "}]}
]}`)
	writeFiles(t, kdir, files)
	cs, err := LoadKarpathy(filepath.Join(kdir, "dataset_k.json"), filepath.Join(kdir, "imgs"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cs[0].Short, []string{"red square", "red", "white"}) {
		t.Errorf("Karpathy short forms %q", cs[0].Short)
	}

	pdir := filepath.Join(t.TempDir(), "p_precomp")
	writeFiles(t, pdir, map[string][]byte{
		"test_ims.npy":   npy32(t, [][]float32{{1, 2}, {3, 4}}),
		"test_caps.txt":  lines("one", "two"),
		"test_short.txt": lines("1", "2"),
		"dev_ims.npy":    npy32(t, [][]float32{{1, 2}}),
		"dev_caps.txt":   lines("one"),
	})
	cs, err = LoadPrecomp(pdir)
	if err != nil {
		t.Fatal(err)
	}
	if cs[0].Split != "val" || cs[0].Short != nil || !reflect.DeepEqual(cs[1].Short, []string{"1", "2"}) {
		t.Errorf("precomp short forms %q, %q", cs[0].Short, cs[1].Short)
	}
}

// The short-form rules fail with located *Errors.
func TestShortFormErrors(t *testing.T) {
	table := func(name, text string) map[string][]byte {
		m := tableImages(t)
		m[name] = []byte(text)
		return m
	}
	kp := func(images ...string) map[string][]byte {
		m := karpathyImages(t)
		m["dataset_t.json"] = []byte("{\"images\": [\n" + strings.Join(images, ",\n") + "\n]}\n")
		return m
	}
	precomp := func(short []byte) map[string][]byte {
		return map[string][]byte{
			"test_ims.npy":   npy32(t, [][]float32{{1, 2}, {3, 4}, {5, 6}}),
			"test_caps.txt":  lines(caps("x", 6)...),
			"test_short.txt": short,
		}
	}
	cases := []struct {
		name  string
		files map[string][]byte
		path  string
		file  string
		line  int
		want  []string
	}{
		{"csv missing", table("p.csv", "image,text,domain,short\nimg/a.png,x,d,s\nimg/b.png,y,e,\nimg/b.png,y,d,\n"), "p.csv", "p.csv", 4,
			[]string{`row 3: no short form, but row 1 on line 2 of domain "d" has one`, "give every row of a domain a short form, or none"}},
		{"csv missing first", table("p.csv", "image,text,domain,short\nimg/a.png,x,d,\nimg/b.png,y,d,s\n"), "p.csv", "p.csv", 2,
			[]string{`row 1: no short form, but row 2 on line 3 of domain "d" has one`}},
		{"csv blank", table("p.csv", "image,text,domain,short\nimg/a.png,x,d,s\nimg/b.png,y,d,  \n"), "p.csv", "p.csv", 3, []string{"row 2: no short form"}},
		{"csv not UTF-8", table("p.csv", "image,text,domain,short\nimg/a.png,x,d,caf\xe9\n"), "p.csv", "p.csv", 2, []string{"row 1: short form is not valid UTF-8"}},
		{"tsv missing", table("p.tsv", "image\ttext\tshort\tdomain\nimg/a.png\tx\ts\td\nimg/b.png\ty\t\td\n"), "p.tsv", "p.tsv", 3, []string{"row 2: no short form"}},
		{"jsonl missing key", table("p.jsonl", `{"image": "img/a.png", "text": "x", "domain": "d", "short": "s"}`+"\n\n"+`{"image": "img/b.png", "text": "y", "domain": "d"}`+"\n"), "p.jsonl", "p.jsonl", 3, []string{"row 2: no short form, but row 1 on line 1"}},
		{"jsonl null", table("p.jsonl", `{"image": "img/a.png", "text": "x", "domain": "d", "short": null}`+"\n"+`{"image": "img/b.png", "text": "y", "domain": "d", "short": "s"}`+"\n"), "p.jsonl", "p.jsonl", 1, []string{"row 1: no short form"}},
		{"jsonl type", table("p.jsonl", `{"image": "img/a.png", "text": "x", "domain": "d", "short": ["s"]}`+"\n"), "p.jsonl", "p.jsonl", 1, []string{`row 1: "short" is not a string`}},
		{"kp missing", kp(`{"filename": "a.png", "split": "train", "sentences": [{"raw": "a", "short": "s"}]}`, `{"filename": "d.png", "split": "test", "sentences": [{"raw": "b", "short": "t"}, {"raw": "c"}]}`), "dataset_t.json", "dataset_t.json", 3,
			[]string{`images[1] ("d.png"): sentences[1]: no "short" form, but images[0] ("a.png") on line 2 has one`, "give every sentence of the file a short form, or none"}},
		{"kp empty", kp(`{"filename": "a.png", "split": "train", "sentences": [{"raw": "a", "short": " "}]}`, `{"filename": "d.png", "split": "test", "sentences": [{"raw": "b", "short": "t"}]}`), "dataset_t.json", "dataset_t.json", 2,
			[]string{`images[0] ("a.png"): sentences[0]: no "short" form, but images[1] ("d.png") on line 3 has one`}},
		{"kp type", kp(`{"filename": "a.png", "split": "train", "sentences": [{"raw": "a", "short": 3}]}`), "dataset_t.json", "dataset_t.json", 2, []string{"wrong JSON type", `field "sentences.short" holds a JSON number where a string is expected`}},
		{"precomp count", precomp(lines("a", "b")), ".", "test_short.txt", 0, []string{"2 short forms for 6 captions (the lines of test_caps.txt)", "write one short form per line of test_caps.txt"}},
		{"precomp more", precomp(lines(caps("s", 7)...)), ".", "test_short.txt", 0, []string{"7 short forms for 6 captions"}},
		{"precomp empty line", precomp(lines("a", "", "c", "d", "e", "f")), ".", "test_short.txt", 2, []string{"short form is empty"}},
		{"precomp not UTF-8", precomp(lines("a", "b", "caf\xe9", "d", "e", "f")), ".", "test_short.txt", 3, []string{"short form is not valid UTF-8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, c.files)
			_, err := Load(filepath.Join(dir, c.path), Options{ImageDir: map[bool]string{true: filepath.Join(dir, "imgs")}[strings.HasPrefix(c.name, "kp")]})
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("%T is not an *Error", err)
			}
			if filepath.Base(fe.File) != c.file || fe.Line != c.line {
				t.Errorf("error names %s:%d, want %s:%d", filepath.Base(fe.File), fe.Line, c.file, c.line)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message lacks %q", w)
				}
			}
		})
	}
}
