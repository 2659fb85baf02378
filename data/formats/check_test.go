package formats

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

// utf16le encodes s as UTF-16 little-endian, with a byte-order mark when
// bom is true, as Excel's "Unicode text" and PowerShell write.
func utf16le(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = []byte{0xff, 0xfe}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// Encodings, line ends, NUL bytes and image paths that leave the image
// folder each get an error that names the problem, in every format.
func TestEncodingAndPaths(t *testing.T) {
	good := npy32(t, [][]float32{{1, 2}, {3, 4}, {5, 6}})
	const csv = "image,text,domain\nimg/a.png,x,d\n"
	const jsonl = `{"image": "img/a.png", "text": "x", "domain": "d"}` + "\n"
	table := func(name string, b []byte) map[string][]byte {
		m := tableImages(t)
		m[name] = b
		return m
	}
	precomp := func(capsTxt []byte) map[string][]byte {
		return map[string][]byte{"test_ims.npy": good, "test_caps.txt": capsTxt}
	}
	kp := func(images ...string) map[string][]byte {
		m := karpathyImages(t)
		m["dataset_t.json"] = []byte("{\"images\": [\n" + strings.Join(images, ",\n") + "\n]}\n")
		return m
	}
	kpRaw := func(b []byte) map[string][]byte {
		m := karpathyImages(t)
		m["dataset_t.json"] = b
		return m
	}
	const imgA = `{"filename": "a.png", "split": "train", "sentences": [{"raw": "a"}]}`
	utf16Fix := "save it as UTF-8"
	cr := "CR alone"
	checkErrors(t, []errorCase{
		{"csv UTF-16", table("p.csv", utf16le(csv, true)), "p.csv", Options{}, "p.csv", 0, []string{"file is UTF-16", utf16Fix}},
		{"csv UTF-16 without BOM", table("p.csv", utf16le(csv, false)), "p.csv", Options{}, "p.csv", 0, []string{"UTF-16 or UTF-32 without a byte-order mark", utf16Fix}},
		{"tsv UTF-32", table("p.tsv", []byte{0xff, 0xfe, 0, 0, 'i', 0, 0, 0}), "p.tsv", Options{}, "p.tsv", 0, []string{"file is UTF-32"}},
		{"jsonl UTF-16", table("p.jsonl", utf16le(jsonl, true)), "p.jsonl", Options{}, "p.jsonl", 0, []string{"file is UTF-16"}},
		{"caps UTF-16", precomp(utf16le("a\nb\nc\n", true)), ".", Options{}, "test_caps.txt", 0, []string{"file is UTF-16"}},
		{"karpathy UTF-16", kpRaw(utf16le(`{"images": [`+imgA+`]}`, true)), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 0, []string{"file is UTF-16"}},
		{"csv CR line ends", table("p.csv", []byte(strings.ReplaceAll(csv, "\n", "\r"))), "p.csv", Options{}, "p.csv", 1, []string{cr, "LF or CRLF"}},
		{"jsonl CR line ends", table("p.jsonl", []byte(strings.ReplaceAll(jsonl+strings.Replace(jsonl, `"x"`, `"y"`, 1), "\n", "\r"))), "p.jsonl", Options{}, "p.jsonl", 1, []string{cr}},
		{"caps CR line ends", precomp([]byte("a\rb\rc\r")), ".", Options{}, "test_caps.txt", 1, []string{cr}},
		{"csv NUL in text", table("p.csv", []byte("image,text,domain\nimg/a.png,x\x00y,d\n")), "p.csv", Options{}, "p.csv", 2, []string{"row 1: text holds a NUL byte"}},
		{"csv NUL in domain", table("p.csv", []byte("image,text,domain\nimg/a.png,x,d\x00\n")), "p.csv", Options{}, "p.csv", 2, []string{"row 1: domain holds a NUL byte"}},
		{"csv NUL in short", table("p.csv", []byte("image,text,domain,short\nimg/a.png,x,d,s\x00\n")), "p.csv", Options{}, "p.csv", 2, []string{"row 1: short form holds a NUL byte"}},
		{"jsonl NUL in text", table("p.jsonl", []byte(`{"image": "img/a.png", "text": "x\u0000", "domain": "d"}`+"\n")), "p.jsonl", Options{}, "p.jsonl", 1, []string{"text holds a NUL byte"}},
		{"caps NUL", precomp([]byte("a\nb\x00\nc\n")), ".", Options{}, "test_caps.txt", 2, []string{"caption holds a NUL byte"}},
		{"karpathy NUL in sentence", kp(`{"filename": "a.png", "split": "train", "sentences": [{"raw": "a\u0000b"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 2, []string{"sentence holds a NUL byte"}},
		{"csv absolute image", table("p.csv", []byte("image,text,domain\n/etc/a.png,x,d\n")), "p.csv", Options{}, "p.csv", 2, []string{`image path "/etc/a.png" is absolute`, "stay inside it"}},
		{"csv image out of the folder", table("p.csv", []byte("image,text,domain\nimg/../../a.png,x,d\n")), "p.csv", Options{}, "p.csv", 2, []string{`image path "img/../../a.png" leaves the image folder`, "stay inside it"}},
		{"karpathy absolute image", kp(`{"filename": "/a.png", "split": "train", "sentences": [{"raw": "a"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 2, []string{`image path "/a.png" is absolute`, "stay inside it"}},
		{"karpathy absolute filepath", kp(`{"filepath": "/imgs", "filename": "a.png", "split": "train", "sentences": [{"raw": "a"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 2, []string{`image path "/imgs" is absolute`}},
		{"karpathy image out of the folder", kp(`{"filepath": "..", "filename": "a.png", "split": "train", "sentences": [{"raw": "a"}]}`), "dataset_t.json", Options{ImageDir: "imgs"}, "dataset_t.json", 2, []string{`leaves the image folder`, "stay inside it"}},
	})
}

// An error quotes at most a short prefix of the input it echoes: a 10 MB
// path or a 60,000-digit number gives a short message.
func TestErrorsBounded(t *testing.T) {
	long := strings.Repeat("a", 10<<20)
	digits := strings.Repeat("9", 60000)
	const maxMsg = 2000
	cases := []errorCase{
		{"csv long image path", map[string][]byte{"p.csv": []byte("image,text,domain\n" + long + ".png,x,d\n")}, "p.csv", Options{}, "p.csv", 2, []string{"(10485764 bytes)"}},
		{"karpathy long file name", map[string][]byte{"dataset_t.json": []byte(`{"images": [{"filename": "` + long + `", "split": "train", "sentences": [{"raw": "a"}]}]}`)}, "dataset_t.json", Options{}, "dataset_t.json", 1, []string{"(10485760 bytes)"}},
		{"npy long dimension", map[string][]byte{"test_ims.npy": rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': ("+digits+", 2), }", nil), "test_caps.txt": []byte("a\n")}, ".", Options{}, "test_ims.npy", 0, []string{"is out of range", "(60000 bytes)"}},
	}
	for i := range cases {
		for k, v := range tableImages(t) {
			cases[i].files[k] = v
		}
	}
	checkErrors(t, cases)
	for _, c := range cases {
		dir := t.TempDir()
		writeFiles(t, dir, c.files)
		_, err := Load(dir+"/"+c.path, c.opts)
		if err == nil || len(err.Error()) > maxMsg {
			t.Errorf("%s: a %d-byte error message, want at most %d", c.name, len(err.Error()), maxMsg)
		}
	}
}
