package nn

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var updateFuzz = flag.Bool("update-fuzz", false, "rewrite the FuzzLoad seed corpus in testdata/fuzz")

// testModel returns a small network's tensors (with odd values: NaN
// payload, −0, ±Inf, subnormal) and a config.
func testModel() ([]byte, []*Param) {
	rng := NewRand(1)
	net := NewSequential(NewConv2D(rng, 1, 2, 3, 1, 1), NewBatchNorm(2), NewGlobalAvgPool(), NewLinear(rng, 2, 3))
	ps := Prefix("enc.", Tensors(net))
	w := ps[0].W
	w[0] = math.Float32frombits(0x7fc00123) // NaN with payload
	w[1] = float32(math.Copysign(0, -1))
	w[2] = float32(math.Inf(1))
	w[3] = math.Float32frombits(1) // smallest subnormal
	ps = append(ps, &Param{Name: "scalar", Shape: []int{}, W: []float32{7}},
		&Param{Name: "empty", Shape: []int{0, 4}, W: []float32{}})
	return []byte(`{"arch":"test","dim":3}`), ps
}

func encode(t testing.TB, config []byte, ps []*Param) []byte {
	var buf bytes.Buffer
	if err := Save(&buf, config, ps); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSaveLoadRoundTrip(t *testing.T) {
	cfg, ps := testModel()
	data := encode(t, cfg, ps)
	cfg2, ps2, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cfg, cfg2) || len(ps) != len(ps2) {
		t.Fatalf("config %q, %d tensors", cfg2, len(ps2))
	}
	for i, p := range ps {
		q := ps2[i]
		if q.Name != p.Name || !slices.Equal(q.Shape, p.Shape) || len(q.W) != len(p.W) || q.G != nil {
			t.Fatalf("tensor %d: %q %v vs %q %v", i, q.Name, q.Shape, p.Name, p.Shape)
		}
		for j := range p.W {
			if math.Float32bits(p.W[j]) != math.Float32bits(q.W[j]) {
				t.Fatalf("%s[%d]: bits %x, want %x", p.Name, j, math.Float32bits(q.W[j]), math.Float32bits(p.W[j]))
			}
		}
	}
	// Writing the loaded tensors again gives the same bytes.
	if !bytes.Equal(encode(t, cfg2, ps2), data) {
		t.Fatal("re-encoding differs")
	}
	// CopyTensors fills a fresh model by name.
	rng := NewRand(9)
	fresh := Prefix("enc.", Tensors(NewSequential(NewConv2D(rng, 1, 2, 3, 1, 1), NewBatchNorm(2), NewGlobalAvgPool(), NewLinear(rng, 2, 3))))
	if err := CopyTensors(fresh, ps2); err != nil {
		t.Fatal(err)
	}
	if fresh[6].Name != "enc.1.running_mean" || !slices.Equal(fresh[3].W, ps[3].W) || !slices.Equal(fresh[6].W, ps[6].W) {
		t.Fatal("CopyTensors")
	}
	if err := CopyTensors([]*Param{NewParam("enc.0.w", 9)}, ps2); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("CopyTensors shape mismatch: %v", err)
	}
	if err := CopyTensors([]*Param{NewParam("nope", 1)}, ps2); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("CopyTensors missing: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	cfg, ps := testModel()
	data := encode(t, cfg, ps)
	flip := func(i int) []byte {
		d := slices.Clone(data)
		d[i] ^= 0x10
		return d
	}
	cases := []struct {
		name string
		data []byte
		is   error
		msg  string
	}{
		{"empty", nil, ErrTruncated, "shorter than the header"},
		{"foreign", []byte("\x89PNG\r\n\x1a\n0000000000000000"), ErrNotModel, "not an AEIR model (bad magic)"},
		{"short foreign", []byte("GIF"), ErrNotModel, "bad magic"},
		{"header only", data[:12], ErrTruncated, "truncated in header"},
		{"in config", data[:20], ErrTruncated, "truncated in config"},
		{"in first tensor", data[:len(data)/3], ErrTruncated, `truncated in tensor "enc.0.w"`},
		{"in checksum", data[:len(data)-5], ErrTruncated, "checksum"},
		{"data bit flip", flip(80), ErrChecksum, "checksum mismatch"}, // inside enc.0.w's values
		{"config bit flip", flip(25), ErrChecksum, "checksum mismatch"},
		{"checksum bit flip", flip(len(data) - 1), ErrChecksum, "checksum mismatch"},
		{"trailing", append(slices.Clone(data), 0), nil, "unexpected bytes"},
		{"version", func() []byte { d := slices.Clone(data); d[8] = 9; return d }(), nil, "version 9"},
		{"huge count", func() []byte {
			d := slices.Clone(data)
			i := 16 + len(cfg)
			d[i], d[i+1], d[i+2], d[i+3] = 0xff, 0xff, 0xff, 0x7f
			return d
		}(), ErrTruncated, "tensors"},
		{"huge dims", hugeDims(), ErrTruncated, `truncated in tensor "big"`},
	}
	for _, c := range cases {
		_, _, err := Load(bytes.NewReader(c.data))
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error %q is not %v", c.name, err, c.is)
		}
		if !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "model file: ") {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.msg)
		}
	}
	// Every prefix of a valid file fails cleanly.
	for n := range len(data) {
		if _, _, err := LoadBytes(data[:n]); err == nil {
			t.Fatalf("prefix of %d bytes loads", n)
		}
	}
}

// hugeDims is a file whose one tensor claims 2³²−1 × 2³²−1 values.
func hugeDims() []byte {
	var b bytes.Buffer
	b.WriteString(modelMagic)
	b.Write([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0})
	b.Write([]byte{3, 0, 'b', 'i', 'g', 2})
	b.Write([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	b.Write(make([]byte, 64))
	return b.Bytes()
}

func TestSaveErrors(t *testing.T) {
	bad := [][]*Param{
		{{Name: "", W: []float32{1}, Shape: []int{1}}},
		{{Name: "a", W: []float32{1}, Shape: []int{2}}},
		{{Name: "a", W: []float32{1}, Shape: []int{1}}, {Name: "a", W: []float32{1}, Shape: []int{1}}},
		{{Name: "a", W: []float32{1}, Shape: []int{1, 1, 1, 1, 1, 1, 1, 1, 1}}},
		{{Name: "\xff", W: []float32{1}, Shape: []int{1}}},
	}
	for i, ps := range bad {
		var buf bytes.Buffer
		if err := Save(&buf, nil, ps); err == nil || buf.Len() != 0 {
			t.Errorf("case %d: err %v, wrote %d bytes", i, err, buf.Len())
		}
	}
	if err := Save(new(bytes.Buffer), []byte("{not json"), nil); err == nil {
		t.Error("invalid JSON config accepted")
	}
}

func TestSaveFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.aeir")
	cfg, ps := testModel()
	if err := SaveFile(path, cfg, ps); err != nil {
		t.Fatal(err)
	}
	if _, got, err := LoadFile(path); err != nil || len(got) != len(ps) {
		t.Fatalf("LoadFile: %v", err)
	}
	// A failing save leaves the old file and no temporary behind.
	if err := SaveFile(path, cfg, []*Param{{Name: "", W: nil}}); err == nil {
		t.Fatal("bad save succeeded")
	}
	if err := SaveFile(filepath.Join(path, "m.aeir"), cfg, ps); err == nil {
		t.Fatal("save under a file (not a directory) succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want 1", len(entries))
	}
	if _, _, err := LoadFile(path); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("hello"), 0o644)
	if _, _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("LoadFile error does not name the file: %v", err)
	}
}

// FuzzLoad: Load never panics, and what it accepts re-encodes to the same
// bytes.
func FuzzLoad(f *testing.F) {
	cfg, ps := testModel()
	valid := encode(f, cfg, ps[:3])
	seeds := map[string][]byte{
		"valid":     valid,
		"truncated": valid[:len(valid)/2],
		"badmagic":  append([]byte("NOTAMODL"), valid[8:]...),
		"hugedims":  hugeDims(),
	}
	if *updateFuzz {
		dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
		os.MkdirAll(dir, 0o755)
		for name, data := range seeds {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				f.Fatal(err)
			}
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, ts, err := LoadBytes(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "model file: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if !bytes.Equal(encode(t, cfg, ts), data) {
			t.Fatal("accepted file does not re-encode to itself")
		}
	})
}
