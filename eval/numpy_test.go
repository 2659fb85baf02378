package eval

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const python = "/usr/bin/python3"

// numpyRef is the output of testdata/ref_metrics.py.
type numpyRef struct {
	Metrics
	I2TRanks []int     `json:"i2t_ranks"`
	T2IRanks []int     `json:"t2i_ranks"`
	I2TCurve []float64 `json:"i2t_curve"`
	T2ICurve []float64 `json:"t2i_curve"`
}

// TestAgainstNumpy compares Evaluate, Ranks and RecallCurve with the
// independent numpy implementation in testdata/ref_metrics.py on random
// matrices with many ties. It needs python3 with numpy (Debian:
// apt-get install python3-numpy) and is skipped otherwise.
func TestAgainstNumpy(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping numpy cross-check in -short mode")
	}
	if err := exec.Command(python, "-c", "import numpy").Run(); err != nil {
		t.Skipf("skipping numpy cross-check: %s -c \"import numpy\" failed (%v); install python3-numpy to run it", python, err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "ref_metrics.py"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	dir := t.TempDir()
	const kmax = 20
	cases := []struct{ nImg, k, levels int }{
		{1, 1, 3}, {1, 5, 2}, {7, 1, 2}, {7, 5, 3}, {30, 1, 4}, {30, 5, 2},
		{25, 0, 3}, {40, 0, 0}, {60, 5, 0}, {10, 12, 2}, {9, 10, 0},
	}
	for ci, c := range cases {
		sim, nTxt, labels := randomCase(rng, c.nImg, c.k, c.levels)
		simPath := filepath.Join(dir, "sim"+strconv.Itoa(ci)+".csv")
		labPath := filepath.Join(dir, "labels"+strconv.Itoa(ci)+".csv")
		writeMatrixCSV(t, simPath, sim, c.nImg, nTxt)
		labs := make([]string, len(labels))
		for j, g := range labels {
			labs[j] = strconv.Itoa(g)
		}
		if err := os.WriteFile(labPath, []byte(strings.Join(labs, ",")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(python, script, simPath, labPath, strconv.Itoa(kmax))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("case %d: %s: %v\n%s", ci, script, err, stderr.String())
		}
		var ref numpyRef
		if err := json.Unmarshal(out, &ref); err != nil {
			t.Fatalf("case %d: bad JSON from numpy: %v\n%s", ci, err, out)
		}

		got, err := Evaluate(sim, c.nImg, nTxt, labels)
		if err != nil {
			t.Fatal(err)
		}
		checkMetrics(t, got, ref.Metrics)
		ri, rt, err := Ranks(sim, c.nImg, nTxt, labels)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ri, ref.I2TRanks) || !slices.Equal(rt, ref.T2IRanks) {
			t.Errorf("case %d: ranks differ from numpy\n go %v %v\n np %v %v", ci, ri, rt, ref.I2TRanks, ref.T2IRanks)
		}
		cvi, cvt, err := RecallCurve(sim, c.nImg, nTxt, labels, kmax)
		if err != nil {
			t.Fatal(err)
		}
		for k := range kmax {
			if !near(cvi[k], ref.I2TCurve[k]) || !near(cvt[k], ref.T2ICurve[k]) {
				t.Errorf("case %d: curve at K=%d: go %g %g, numpy %g %g", ci, k+1, cvi[k], cvt[k], ref.I2TCurve[k], ref.T2ICurve[k])
			}
		}
		if t.Failed() {
			t.Fatalf("case %d (%+v) disagrees with numpy", ci, c)
		}
	}
}

// writeMatrixCSV writes sim as nImg lines of nTxt numbers. Each float32 is
// printed as the shortest decimal that parses back to the same float64,
// so numpy sees exactly the values (and ties) Go sees.
func writeMatrixCSV(t *testing.T, path string, sim []float32, nImg, nTxt int) {
	t.Helper()
	var b bytes.Buffer
	for i := range nImg {
		for j := range nTxt {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(float64(sim[i*nTxt+j]), 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
