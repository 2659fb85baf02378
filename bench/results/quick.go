package results

import (
	"fmt"
	"io"
	"os"

	"aeir/data/vendormoji"
	"aeir/eval"
	"aeir/train"
)

// QuickOptions is a small, fast configuration for sanity runs.
func QuickOptions() train.Options {
	o := train.Defaults()
	o.Epochs, o.Batch, o.TargetBatch = 3, 64, 64
	o.Model.Channels, o.Model.Dim, o.Model.TextHidden = []int{8, 16}, 32, 64
	o.StrWarmup, o.StrRamp, o.WarmupSteps = 1, 1, 10
	return o
}

// Quick is the CI sanity run of the benchmark: the default scenario with
// source-only, CCA, AEIR and the oracle at a small budget. It checks that
// every trained method's L_con falls, that the oracle beats chance, and
// that a rerun of AEIR with the same seed gives identical results. It
// asserts nothing about which method wins: that is the full bench's job.
func Quick(log io.Writer) error {
	dir, err := os.MkdirTemp("", "aeir-quick-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fam := Family{Name: "quick", Title: "quick sanity run", Protocol: vendormoji.Shared,
		Scenarios: [][2]string{{vendormoji.Default.Source.String(), vendormoji.Default.Target.String()}}}
	g := &Grid{Family: fam, Methods: []string{"source-only", "cca", "aeir", "oracle"}, Seeds: []uint64{1},
		Base: QuickOptions(), Dir: dir, Log: log}
	rows, err := g.Run()
	if err != nil {
		return err
	}
	task, err := TaskFor(train.Data{Source: fam.Scenarios[0][0], Target: fam.Scenarios[0][1], Protocol: fam.Protocol, Seed: 1})
	if err != nil {
		return err
	}
	ch, err := eval.Chance(task.Test.Images.N, len(task.Test.Texts), task.Test.TextImage)
	if err != nil {
		return err
	}
	var fails []string
	for _, r := range rows {
		if r.Method == "cca" {
			continue
		}
		h, err := readHistory(dir, r)
		if err != nil {
			return err
		}
		if first, last := h[0].Loss["con"], h[len(h)-1].Loss["con"]; !(last < first) {
			fails = append(fails, fmt.Sprintf("%s: L_con did not fall (%.3f → %.3f)", r.Method, first, last))
		}
		if r.Method == "oracle" && !(r.RSum > 2*ch.RSum) {
			fails = append(fails, fmt.Sprintf("oracle rsum %.2f not above twice chance %.2f", r.RSum, ch.RSum))
		}
	}
	// reproducibility: the same AEIR run again, in a fresh grid
	g2 := &Grid{Family: fam, Methods: []string{"aeir"}, Seeds: []uint64{1}, Base: QuickOptions(), Dir: dir + "/again"}
	again, err := g2.Run()
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Method == "aeir" && (r.RSum != again[0].RSum || r.I2T != again[0].I2T || r.T2I != again[0].T2I) {
			fails = append(fails, fmt.Sprintf("aeir rerun differs: rsum %.2f vs %.2f", r.RSum, again[0].RSum))
		}
	}
	for _, r := range rows {
		fmt.Fprintf(log, "quick: %-11s rsum %6.2f (chance %.2f)\n", r.Method, r.RSum, ch.RSum)
	}
	if len(fails) > 0 {
		for _, f := range fails {
			fmt.Fprintln(log, "FAIL:", f)
		}
		return fmt.Errorf("%d sanity checks failed", len(fails))
	}
	fmt.Fprintln(log, "quick: ok (losses fall, oracle above chance, AEIR rerun identical)")
	return nil
}
