package results

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCSVRoundTripAndMarkdown(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "image.csv")
	var want []Row
	for seed := uint64(1); seed <= 2; seed++ {
		for _, m := range []string{"oracle", "source-only"} {
			r := Row{Family: "image", Protocol: "shared", Source: "twemoji/en", Target: "noto/en", Method: m, Seed: seed,
				Epochs: 3, I2T: [3]float64{1, 2, 3}, T2I: [3]float64{4, 5, 6}, RSum: 21 + float64(seed), ValRSum: 9,
				Seconds: 1.5, NbrImgAcc: math.NaN(), NbrTxtAcc: 50}
			if err := AppendCSV(p, r); err != nil {
				t.Fatal(err)
			}
			want = append(want, r)
		}
	}
	got, err := ReadCSV(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || got[3].Key() != want[3].Key() || got[3].RSum != 23 || !math.IsNaN(got[0].NbrImgAcc) {
		t.Fatalf("round trip: %+v", got)
	}
	fam := Family{Name: "image", Title: "T", Protocol: "shared", Scenarios: [][2]string{{"twemoji/en", "noto/en"}}}
	var b bytes.Buffer
	Markdown(&b, fam, got)
	md := b.String()
	// source-only before the oracle, mean 22.5 ± 0.7 over seeds 1 and 2
	if i, j := strings.Index(md, "| source-only"), strings.Index(md, "| oracle (upper bound)"); i < 0 || j < i {
		t.Fatalf("method order wrong:\n%s", md)
	}
	if !strings.Contains(md, "22.5 ± 0.7") {
		t.Fatalf("mean ± std missing:\n%s", md)
	}
	doc := "a\n<!-- bench:image:begin -->\nold\n<!-- bench:image:end -->\nb\n"
	nd, err := Inject(doc, "image", "new\n")
	if err != nil || !strings.Contains(nd, "new\n<!-- bench:image:end -->") || strings.Contains(nd, "old") {
		t.Fatalf("inject: %q %v", nd, err)
	}
	if _, err := Inject("no markers", "image", "x"); err == nil {
		t.Fatal("missing markers accepted")
	}
	os.WriteFile(p, []byte("wrong,header\n"), 0o644)
	if _, err := ReadCSV(p); err == nil {
		t.Fatal("bad header accepted")
	}
}

func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four small models")
	}
	var log bytes.Buffer
	if err := Quick(&log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Log(log.String())
}
