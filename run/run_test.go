package run

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aeir/train"
)

func TestParseSpec(t *testing.T) {
	for _, c := range []struct{ in, vendor, path, dom, err string }{
		{in: "twemoji/en", vendor: "twemoji/en"},
		{in: "openmoji/de", vendor: "openmoji/de"},
		{in: "twemoji/xx", err: "unknown text style"},
		{in: "pairs.csv", path: "pairs.csv"},
		{in: "data/pairs.csv#photo", path: "data/pairs.csv", dom: "photo"},
		{in: "a#b#c/d", path: "a#b", dom: "c/d"},
		{in: "./twemoji/en", path: "./twemoji/en"},
		{in: "twemoji/en/more", path: "twemoji/en/more"},
		{in: "pairs.csv#", err: "empty domain"},
		{in: "#photo", err: "no path"},
		{in: "", err: "empty data source"},
		{in: strings.Repeat("p", 10<<20) + "#", err: "longer than 4352 bytes"},
		{in: strings.Repeat("p", 5000), err: "(5000 bytes) is longer"},
	} {
		s, err := ParseSpec(c.in)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) || len(err.Error()) > 600 {
				t.Errorf("%.80q: error %.300v, want %q in at most 600 bytes", c.in, err, c.err)
			}
		case err != nil:
			t.Errorf("%q: %v", c.in, err)
		case c.vendor != "":
			if s.Vendor == nil || s.Vendor.String() != c.vendor {
				t.Errorf("%q: %+v, want VendorMoji %s", c.in, s, c.vendor)
			}
		case s.Vendor != nil || s.Path != c.path || s.Domain != c.dom:
			t.Errorf("%q: %+v, want path %q domain %q", c.in, s, c.path, c.dom)
		default:
			if s.String() != c.in {
				t.Errorf("%q prints as %q", c.in, s.String())
			}
		}
	}
}

// writeTable writes n concepts in two domains ("a": aligned source, "b":
// target) as a CSV with 8-px PNGs; split gives the target rows' split
// column (empty: unsplit).
func writeTable(t *testing.T, dir string, n int, split func(i int) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("image,text,domain,split\n")
	for i := range n {
		for d, dom := range []string{"a", "b"} {
			m := image.NewNRGBA(image.Rect(0, 0, 8, 8))
			for p := range 64 {
				m.Set(p%8, p/8, color.NRGBA{uint8(i * 37), uint8(p * 4), uint8(d * 100), 255})
			}
			name := fmt.Sprintf("%s%d.png", dom, i)
			f, err := os.Create(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			png.Encode(f, m)
			f.Close()
			sp := "train"
			if dom == "b" {
				sp = split(i)
			}
			fmt.Fprintf(&b, "%s,thing number %d in %s,%s,%s\n", name, i, dom, dom, sp)
		}
	}
	p := filepath.Join(dir, "pairs.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func smallOptions(table string) train.Options {
	opt := train.Defaults()
	opt.Method, opt.Epochs = "aeir", 1
	opt.Model.ImageSize, opt.Model.Channels, opt.Model.Dim = 8, []int{4}, 8
	opt.Model.TextEmbed, opt.Model.TextHidden, opt.Model.Tokenizer.Buckets = 8, 16, 256
	opt.StrWarmup = 0
	opt.Data = train.Data{Source: table + "#a", Target: table + "#b", Seed: 1, Size: 8}
	return opt
}

func TestFileTask(t *testing.T) {
	dir := t.TempDir()
	table := writeTable(t, dir, 30, func(int) string { return "" })

	// An unknown domain lists the file's domains.
	opt := smallOptions(table)
	opt.Data.Target = table + "#sketch"
	if _, err := Prepare(&opt, nil); err == nil || !strings.Contains(err.Error(), "holds a, b") {
		t.Errorf("unknown domain: %v; want the file's domains listed", err)
	}
	opt.Data.Target = table
	if _, err := Prepare(&opt, nil); err == nil || !strings.Contains(err.Error(), "pick one") {
		t.Errorf("no domain of a two-domain table: %v", err)
	}
	opt.Data.Target = "twemoji/en"
	if _, err := Prepare(&opt, nil); err == nil || !strings.Contains(err.Error(), "different kinds") {
		t.Errorf("a file and a VendorMoji domain: %v", err)
	}
	// The same data as source and target (another spelling of the path)
	// would hand the learner the target's pairs: refused.
	opt.Data.Target = filepath.Join(dir, ".", "..", filepath.Base(dir), "pairs.csv") + "#a"
	if _, err := Prepare(&opt, nil); err == nil || !strings.Contains(err.Error(), "the same data") {
		t.Errorf("source = target: %v", err)
	}
	// Options of a feature run (a -config) on pixel data train the CNN.
	opt = smallOptions(table)
	opt.Model.FeatureDim = 192
	if _, err := Prepare(&opt, nil); err != nil || opt.Model.FeatureDim != 0 {
		t.Errorf("feature dim %d on pixels: %v", opt.Model.FeatureDim, err)
	}
	opt = smallOptions(table)
	opt.Data.Holdout = &train.Holdout{Val: 1e-9, Test: 0.1}
	if _, err := Prepare(&opt, nil); err == nil || !strings.Contains(err.Error(), "rounds a part to no image") {
		t.Errorf("a holdout fraction that rounds to nothing: %v", err)
	}
	vm := train.Defaults()
	vm.Data = train.Data{Source: "twemoji/en", Target: "openmoji/en", Protocol: "shared", Holdout: &train.Holdout{Val: 0.1, Test: 0.1}}
	if _, err := Prepare(&vm, nil); err == nil || !strings.Contains(err.Error(), "-holdout applies to a file target") {
		t.Errorf("a holdout for VendorMoji: %v", err)
	}

	// An unsplit target gets the seeded holdout, recorded; the same seed
	// gives the same task, the target alignment stays hidden.
	opt = smallOptions(table)
	task, err := Prepare(&opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := opt.Data.Holdout; h == nil || h.Val != 0.1 || h.Test != 0.1 {
		t.Fatalf("holdout %+v, want the recorded default 0.1/0.1", h)
	}
	if task.Val.Images.N != 3 || task.Test.Images.N != 3 || task.Train.TargetImages.N != 24 {
		t.Fatalf("holdout split %d/%d/%d, want 24/3/3", task.Train.TargetImages.N, task.Val.Images.N, task.Test.Images.N)
	}
	if opt.Data.Protocol != FileProtocol || opt.Data.SourceSHA256 == "" || opt.Batch != 30 || opt.TargetBatch != 24 {
		t.Fatalf("prepared options %+v batch %d/%d", opt.Data, opt.Batch, opt.TargetBatch)
	}
	seen := map[string]bool{}
	for _, c := range [][]string{task.Val.ImageIDs, task.Test.ImageIDs} {
		for _, id := range c {
			if seen[id] {
				t.Fatalf("%s in val and test", id)
			}
			seen[id] = true
		}
	}
	for _, s := range task.Train.TargetTexts {
		for id := range seen {
			if strings.Contains(s, "number "+strings.TrimSuffix(strings.TrimPrefix(id, "b"), ".png")+" in") {
				t.Fatalf("held-out item %s is among the training sentences (%q)", id, s)
			}
		}
	}

	// Train, evaluate, then move the data: refused with the path.
	run := filepath.Join(dir, "run")
	tr, err := train.New(task, opt, run, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(run)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := r.Evaluate(EvalOptions{Split: "test", Gallery: "whole", ViewStyle: -1})
	if err != nil {
		t.Fatal(err)
	}
	if m := rows[0].Metrics; m.I2T.Queries != 3 || m.I2T.Gallery != 30 {
		t.Errorf("whole gallery: %d queries over %d, want 3 over 30", m.I2T.Queries, m.I2T.Gallery)
	}
	moved := filepath.Join(dir, "elsewhere.csv")
	if err := os.Rename(table, moved); err != nil {
		t.Fatal(err)
	}
	r, _ = Open(run)
	if _, err := r.Evaluate(EvalOptions{Split: "test", Gallery: "split", ViewStyle: -1}); err == nil || !strings.Contains(err.Error(), table) {
		t.Errorf("moved data: %v; want the expected path %s", err, table)
	}
	os.Rename(moved, table)

	// Holdout 0, 0: no evaluation data. It trains (the last epoch is the
	// model); evaluation says why it cannot score.
	opt = smallOptions(table)
	opt.Data.Holdout = &train.Holdout{}
	task, err = Prepare(&opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if task.Val != nil || task.Test != nil {
		t.Fatal("holdout 0,0 made evaluation splits")
	}
	run = filepath.Join(dir, "run-noeval")
	if tr, err = train.New(task, opt, run, false); err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(run, train.BestFile)); err != nil {
		t.Fatalf("no model saved without validation: %v", err)
	}
	r, _ = Open(run)
	if _, err := r.Evaluate(EvalOptions{Split: "test", Gallery: "split", ViewStyle: -1}); err == nil || !strings.Contains(err.Error(), "nothing can be scored") {
		t.Errorf("evaluating a target without alignment: %v", err)
	}
}

// TestFileSplits: a target with its own splits uses them; one with a
// train split but no test is refused with what to do.
func TestFileSplits(t *testing.T) {
	dir := t.TempDir()
	table := writeTable(t, dir, 12, func(i int) string { return []string{"train", "train", "val", "test"}[i%4] })
	opt := smallOptions(table)
	task, err := Prepare(&opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Data.Holdout != nil || task.Val.Images.N != 3 || task.Test.Images.N != 3 {
		t.Fatalf("own splits: holdout %v, val %d, test %d", opt.Data.Holdout, task.Val.Images.N, task.Test.Images.N)
	}
	table = writeTable(t, t.TempDir(), 12, func(i int) string { return []string{"train", "val"}[i%2] })
	opt = smallOptions(table)
	if _, err := Prepare(&opt, nil); err == nil || !strings.Contains(err.Error(), "no test split") {
		t.Errorf("a target without test rows: %v", err)
	}
}
