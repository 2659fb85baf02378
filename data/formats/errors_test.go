package formats

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrors checks that every kind of bad input fails with an *Error
// naming the file, the line (when there is one) and the problem.
func TestErrors(t *testing.T) {
	le := binary.LittleEndian
	good := npy32(t, [][]float32{{1, 2}, {3, 4}, {5, 6}})
	fiveEach := lines(caps("x", 15)...)
	precomp := func(ims, capsTxt []byte) map[string][]byte {
		return map[string][]byte{"test_ims.npy": ims, "test_caps.txt": capsTxt}
	}
	withImages := func(name, text string) map[string][]byte {
		m := tableImages(t)
		m["img/bad.png"] = []byte("\x89PNG\r\n\x1a\nthis is not a png")
		m["img/big.png"] = pngBytes(t, solid(300, 10, red))
		m[name] = []byte(text)
		return m
	}
	kp := func(images ...string) map[string][]byte {
		m := karpathyImages(t)
		m["imgs/bad.png"] = []byte("\x89PNG\r\n\x1a\nthis is not a png")
		m["dataset_t.json"] = []byte("{\"images\": [\n" + strings.Join(images, ",\n") + "\n]}\n")
		return m
	}
	const imgA = `{"filename": "a.png", "imgid": 0, "split": "train", "sentences": [{"raw": "a", "sentid": 0}]}`
	small := &Limits{MaxImageSide: 256, MaxLineBytes: 64}

	cases := []errorCase{
		// precomp
		{"caps missing", map[string][]byte{"test_ims.npy": good}, ".", Options{}, "test_caps.txt", 0, []string{"file does not exist", "test_caps.txt"}},
		{"ims missing", precomp(good, fiveEach), ".", Options{Splits: []string{"testall"}}, "testall_ims.npy", 0, []string{"file does not exist"}},
		{"no splits", map[string][]byte{"readme.txt": []byte("x")}, "readme.txt", Options{}, "readme.txt", 0, []string{"cannot tell the format"}},
		{"unknown split", precomp(good, fiveEach), ".", Options{Splits: []string{"holdout"}}, ".", 0, []string{`unknown split "holdout"`}},
		{"npy 1-D", precomp(npyAny(t, []float32{1, 2, 3}), fiveEach), ".", Options{}, "test_ims.npy", 0, []string{"1-D", "(3,)", "must be 2-D"}},
		{"npy 3-D", precomp(npyAny(t, [][2][2]float32{{{1, 2}, {3, 4}}}), fiveEach), ".", Options{}, "test_ims.npy", 0, []string{"3-D", "(1, 2, 2)", "x.mean(axis=1)"}},
		{"npy int", precomp(npyAny(t, [][2]int64{{1, 2}}), fiveEach), ".", Options{}, "test_ims.npy", 0, []string{`dtype "<i8" is not supported`, "astype(numpy.float32)"}},
		{"npy magic", precomp([]byte("PK\x03\x04 a zip, maybe an npz"), fiveEach), ".", Options{}, "test_ims.npy", 0, []string{"not a .npy file"}},
		{"npy truncated", precomp(good[:len(good)-3], fiveEach), ".", Options{}, "test_ims.npy", 0, []string{"truncated", "(3, 2)"}},
		{"npy trailing", precomp(append(append([]byte{}, good...), 0, 0, 0, 0), fiveEach), ".", Options{}, "test_ims.npy", 0, []string{"trailing bytes"}},
		{"npy huge", precomp(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 4), }", nil), fiveEach), ".", Options{}, "test_ims.npy", 0, []string{"1000000000000 rows", "limit"}},
		{"npy bad header", precomp(rawNpy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3, 2), }", nil), fiveEach), ".", Options{}, "test_ims.npy", 0, []string{"malformed header", "fortran_order"}},
		{"npy NaN", precomp(npy32(t, [][]float32{{1, 2}, {3, float32(math.NaN())}, {5, 6}}), fiveEach), ".", Options{}, "test_ims.npy", 0, []string{"row 1, column 1: value is NaN", "finite"}},
		{"npy Inf fortran", precomp(rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }", f32bytes(le, 1, 2, 3, 4, float32(math.Inf(1)), 6)), fiveEach), ".", Options{}, "test_ims.npy", 0, []string{"row 1, column 1: value is +Inf"}},
		{"npy f64 overflow", precomp(npy64(t, [][]float64{{1, 2}, {3, 4}, {5, 1e300}}), fiveEach), ".", Options{}, "test_ims.npy", 0, []string{"row 2, column 1", "1e+300 overflows float32"}},
		{"caps count", precomp(good, lines(caps("x", 7)...)), ".", Options{}, "test_caps.txt", 0, []string{"7 captions for 3 images", "test_ims.npy", "k×3 lines"}},
		{"caps fewer than images", precomp(good, lines("a", "b")), ".", Options{}, "test_caps.txt", 0, []string{"2 captions for 3 images"}},
		{"caps none", precomp(good, nil), ".", Options{}, "test_caps.txt", 0, []string{"no captions"}},
		{"caps empty line", precomp(good, lines("a", "b", "  ", "d", "e", "f")), ".", Options{}, "test_caps.txt", 3, []string{"caption is empty"}},
		{"caps trailing blank line", precomp(good, lines("a", "b", "c", "")), ".", Options{}, "test_caps.txt", 4, []string{"caption is empty"}},
		{"caps not UTF-8", precomp(good, lines("a", "caf\xe9", "c")), ".", Options{}, "test_caps.txt", 2, []string{"caption is not valid UTF-8", "save the file as UTF-8"}},
		{"caps long line", precomp(good, lines("a", strings.Repeat("x", 100), "c")), ".", Options{Limits: small}, "test_caps.txt", 2, []string{"longer than the limit of 64 bytes"}},
		{"load missing", nil, "nowhere.csv", Options{}, "nowhere.csv", 0, []string{"file does not exist"}},

		// Karpathy
		{"kp missing image", kp(imgA, `{"filename": "zz.png", "imgid": 1, "split": "test", "sentences": [{"raw": "b"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 3, []string{`images[1] ("zz.png")`, "zz.png does not exist"}},
		{"kp bad image", kp(imgA, `{"filename": "bad.png", "imgid": 1, "split": "test", "sentences": [{"raw": "b"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 3, []string{`images[1] ("bad.png")`, "bad.png", "cannot decode", "PNG, JPEG or GIF"}},
		{"kp dup imgid", kp(imgA, `{"filename": "d.png", "imgid": 0, "split": "test", "sentences": [{"raw": "b"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 3, []string{"imgid 0 already used by images[0]", "line 2"}},
		{"kp dup sentid", kp(imgA, `{"filename": "d.png", "imgid": 1, "split": "test", "sentences": [{"raw": "b", "sentid": 0}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 3, []string{"sentences[0]: sentid 0 already used by images[0]"}},
		{"kp dup file", kp(imgA, `{"filename": "a.png", "imgid": 1, "split": "test", "sentences": [{"raw": "b"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 3, []string{"same file as images[0]"}},
		{"kp sentids", kp(`{"filename": "a.png", "split": "val", "sentids": [5, 6], "sentences": [{"raw": "b", "sentid": 5}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 2, []string{"sentids lists 2 ids for 1 sentences"}},
		{"kp unknown split", kp(imgA, `{"filename": "d.png", "split": "holdout", "sentences": [{"raw": "b"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 3, []string{`unknown split "holdout"`, "train, restval, val or test"}},
		{"kp no split", kp(`{"filename": "d.png", "sentences": [{"raw": "b"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 2, []string{`no "split"`}},
		{"kp empty sentence", kp(imgA, `{"filename": "d.png", "split": "test", "sentences": [{"raw": "b"}, {"raw": " ", "tokens": []}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 3, []string{"sentences[1]: sentence has no text in raw or tokens"}},
		{"kp no sentences", kp(`{"filename": "d.png", "split": "test", "sentences": []}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 2, []string{"no sentences"}},
		{"kp no filename", kp(imgA, `{"split": "test", "sentences": [{"raw": "b"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 3, []string{`no "filename"`}},
		{"kp type", kp(imgA, `{"filename": "d.png", "imgid": "one", "split": "test", "sentences": [{"raw": "b"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 3, []string{`field "imgid" holds a JSON string where an integer is expected`}},
		{"kp syntax", kp(imgA, `{"filename": "d.png", "split": "test" "sentences": []}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 3, []string{"invalid JSON", "images[1]"}},
		{"kp not UTF-8", kp(imgA, "{\"filename\": \"d.png\", \"split\": \"test\", \"sentences\": [{\"raw\": \"caf\xe9\"}]}"), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 3, []string{"not valid UTF-8"}},
		{"kp no images", map[string][]byte{"dataset_t.json": []byte(`{"dataset": "x"}`)}, "dataset_t.json", Options{}, "dataset_t.json", 0, []string{`no "images" array`}},
		{"kp truncated", map[string][]byte{"dataset_t.json": []byte("{\"images\": [\n" + imgA)}, "dataset_t.json", Options{}, "dataset_t.json", 2, []string{"invalid JSON"}},
		{"kp image too large", func() map[string][]byte {
			m := kp(imgA, `{"filename": "big.png", "split": "test", "sentences": [{"raw": "b"}]}`)
			m["imgs/big.png"] = pngBytes(t, solid(300, 10, red))
			return m
		}(), "dataset_t.json", Options{ImageDir: "imgs", Limits: small}, "dataset_t.json", 3, []string{"image is 300×10, larger than the limit", "Limits.MaxImageSide"}},
		{"kp splits option", kp(imgA), "dataset_t.json", Options{Splits: []string{"train"}}, "dataset_t.json", 0, []string{"Options.Splits does not apply"}},

		// tables
		{"csv no domain column", withImages("p.csv", "image,text\nimg/a.png,x\n"), "p.csv", Options{}, "p.csv", 1, []string{`header has no "domain" column`, "image, text and domain"}},
		{"csv empty", withImages("p.csv", ""), "p.csv", Options{}, "p.csv", 0, []string{"file is empty"}},
		{"csv header only", withImages("p.csv", "image,text,domain\n"), "p.csv", Options{}, "p.csv", 0, []string{"no rows"}},
		{"csv dup column", withImages("p.csv", "image,text,domain,Text\n"), "p.csv", Options{}, "p.csv", 1, []string{`column "text" appears twice`}},
		{"csv empty text", withImages("p.csv", "image,text,domain\nimg/a.png,x,d\nimg/b.png, ,d\n"), "p.csv", Options{}, "p.csv", 3, []string{"row 2: text is empty"}},
		{"csv not UTF-8", withImages("p.csv", "image,text,domain\nimg/a.png,x,d\nimg/b.png,caf\xe9,d\n"), "p.csv", Options{}, "p.csv", 3, []string{"row 2: text is not valid UTF-8"}},
		{"csv field count", withImages("p.csv", "image,text,domain\nimg/a.png,x,d\nimg/b.png,y\n"), "p.csv", Options{}, "p.csv", 3, []string{"wrong number of fields", "as many fields as the header"}},
		{"csv quote", withImages("p.csv", "image,text,domain\nimg/a.png,x,d\nimg/b.png,a \"b\" c,d\n"), "p.csv", Options{}, "p.csv", 3, []string{`bare " in non-quoted-field`}},
		{"csv duplicate row", withImages("p.csv", "image,text,domain\nimg/a.png,x,d\nimg/b.png,y,d\n./img/a.png,x ,d\n"), "p.csv", Options{}, "p.csv", 4, []string{"row 3: same image, text and domain as row 1 on line 2"}},
		{"csv unknown split", withImages("p.csv", "image,text,domain,split\nimg/a.png,x,d,train\nimg/b.png,y,d,holdout\n"), "p.csv", Options{}, "p.csv", 3, []string{`unknown split "holdout"`}},
		{"csv split conflict", withImages("p.csv", "image,text,domain,split\nimg/a.png,x,d,train\nimg/a.png,y,d,test\n"), "p.csv", Options{}, "p.csv", 3, []string{`image "img/a.png" is in split "train" on line 2 and in split "test" here`}},
		{"csv empty image", withImages("p.csv", "image,text,domain\nimg/a.png,x,d\n,y,d\n"), "p.csv", Options{}, "p.csv", 3, []string{"row 2: image is empty"}},
		{"csv missing image", withImages("p.csv", "image,text,domain\nimg/a.png,x,d\nimg/nope.png,y,d\n"), "p.csv", Options{}, "p.csv", 3, []string{`row 2: image "img/nope.png"`, "nope.png does not exist", "relative to"}},
		{"csv bad image", withImages("p.csv", "image,text,domain\nimg/a.png,x,d\nimg/bad.png,y,d\nimg/bad.png,z,d\n"), "p.csv", Options{}, "p.csv", 3, []string{`row 2: image "img/bad.png"`, "cannot decode"}},
		{"csv image dir", withImages("p.csv", "image,text,domain\nimg/a.png,x,d\n"), "p.csv", Options{ImageDir: "elsewhere"}, "p.csv", 2, []string{"elsewhere/img/a.png does not exist", "relative to"}},
		{"csv domain option", withImages("p.csv", "image,text,domain\nimg/a.png,x,d\n"), "p.csv", Options{Domain: "d"}, "p.csv", 0, []string{"Options.Domain does not apply"}},
		{"tsv empty domain", withImages("p.tsv", "image\ttext\tdomain\nimg/a.png\tx\td\nimg/b.png\ty\t \n"), "p.tsv", Options{}, "p.tsv", 3, []string{"row 2: domain is empty"}},
		{"tsv quoted newline", withImages("p.tsv", "image\ttext\tdomain\nimg/a.png\t\"x\ny\"\td\nimg/b.png\t\td\n"), "p.tsv", Options{}, "p.tsv", 4, []string{"row 2: text is empty"}},
		{"jsonl missing key", withImages("p.jsonl", "{\"image\": \"img/a.png\", \"text\": \"x\", \"domain\": \"d\"}\n{\"image\": \"img/b.png\", \"domain\": \"d\"}\n"), "p.jsonl", Options{}, "p.jsonl", 2, []string{`row 2: no "text" key`}},
		{"jsonl not object", withImages("p.jsonl", "\n[\"img/a.png\", \"x\", \"d\"]\n"), "p.jsonl", Options{}, "p.jsonl", 2, []string{"row 1: line is not a JSON object"}},
		{"jsonl syntax", withImages("p.jsonl", "{\"image\": \"img/a.png\", \"text\": \"x\", \"domain\": \"d\"}\n{\"image\": \"img/b.png\",}\n"), "p.jsonl", Options{}, "p.jsonl", 2, []string{"row 2: invalid JSON"}},
		{"jsonl type", withImages("p.jsonl", "{\"image\": \"img/a.png\", \"text\": \"x\", \"domain\": 3}\n"), "p.jsonl", Options{}, "p.jsonl", 1, []string{`"domain" is not a string`}},
		{"jsonl not UTF-8", withImages("p.jsonl", "{\"image\": \"img/a.png\", \"text\": \"x\", \"domain\": \"d\"}\n{\"image\": \"img/b.png\", \"text\": \"caf\xe9\", \"domain\": \"d\"}\n"), "p.jsonl", Options{}, "p.jsonl", 2, []string{"not valid UTF-8"}},
		{"jsonl empty text", withImages("p.jsonl", "{\"image\": \"img/a.png\", \"text\": \"\", \"domain\": \"d\"}\n"), "p.jsonl", Options{}, "p.jsonl", 1, []string{"row 1: text is empty"}},
		{"jsonl long line", withImages("p.jsonl", "{\"image\": \"img/a.png\", \"text\": \""+strings.Repeat("x", 100)+"\", \"domain\": \"d\"}\n"), "p.jsonl", Options{Limits: small}, "p.jsonl", 1, []string{"longer than the limit of 64 bytes"}},
		{"jsonl image too large", withImages("p.jsonl", "{\"image\": \"img/big.png\", \"text\": \"x\", \"domain\": \"d\"}\n"), "p.jsonl", Options{Limits: small}, "p.jsonl", 1, []string{"image is 300×10, larger than the limit"}},
		{"table too many pixels", withImages("p.csv", "image,text,domain\nimg/a.png,x,d\nimg/b.png,y,d\n"), "p.csv", Options{Size: 64, Limits: &Limits{MaxPixelBytes: 20000}}, "p.csv", 0, []string{"2 images of 64×64 need 32768 bytes, more than the limit of 20000"}},
	}
	checkErrors(t, cases)
}

// errorCase is a bad input and the error Load must give for it.
type errorCase struct {
	name  string
	files map[string][]byte
	path  string // given to Load, relative to the temp dir
	opts  Options
	file  string // base name of the file the error names
	line  int    // line the error names; 0 for none
	want  []string
}

// checkErrors writes each case's files to a temporary folder, loads its
// path and checks the error: an *Error naming the file and the line, its
// message holding every wanted part.
func checkErrors(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, c.files)
			if c.opts.ImageDir != "" {
				c.opts.ImageDir = filepath.Join(dir, c.opts.ImageDir)
			}
			_, err := Load(filepath.Join(dir, c.path), c.opts)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Log(strings.ReplaceAll(msg, dir+string(filepath.Separator), ""))
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("%T is not an *Error", err)
			}
			if filepath.Base(fe.File) != filepath.Base(filepath.Join(dir, c.file)) {
				t.Errorf("error names file %s, want %s", fe.File, c.file)
			}
			if fe.Line != c.line {
				t.Errorf("error names line %d, want %d", fe.Line, c.line)
			}
			prefix := fe.File
			if c.line > 0 {
				prefix += fmt.Sprintf(":%d: ", c.line)
			}
			if !strings.HasPrefix(msg, prefix) {
				t.Errorf("message does not start with %q", prefix)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q", w)
				}
			}
		})
	}
}

// The loaders refuse bad sizes as programmer errors, with plain errors.
func TestBadSize(t *testing.T) {
	for _, size := range []int{-1, 0, 100000} {
		if _, err := LoadTable("x.csv", "", size); err == nil || !strings.Contains(err.Error(), "image size") {
			t.Errorf("size %d: %v", size, err)
		}
	}
}
