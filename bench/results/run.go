package results

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"aeir/data"
	"aeir/data/formats"
	"aeir/run"
	"aeir/train"
)

// Grid is one benchmark invocation.
type Grid struct {
	Family  Family
	Methods []string
	Seeds   []uint64
	Base    train.Options // settings shared by every method (epochs, model, transfer weights)
	Dir     string        // results directory: <family>.csv and runs/
	Log     io.Writer
	Limits  *formats.Limits // for loading a user's data files (nil: defaults)
}

// TaskFor builds the task of a run's data options through the run
// package's registry of data sources (VendorMoji or a user's files).
func TaskFor(d train.Data) (*data.Task, error) {
	return run.Task(&d, nil)
}

// Run trains and evaluates every (scenario, method, seed) of the grid not
// already in <Dir>/<family>.csv, appending a row after each, so an
// interrupted bench resumes where it stopped. It returns all rows.
func (g *Grid) Run() ([]Row, error) {
	csvPath := filepath.Join(g.Dir, g.Family.Name+".csv")
	if err := os.MkdirAll(g.Dir, 0o755); err != nil {
		return nil, err
	}
	rows, err := ReadCSV(csvPath)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, r := range rows {
		done[r.Key()] = true
	}
	total := len(g.Family.Scenarios) * len(g.Methods) * len(g.Seeds)
	todo := 0 // runs not in the CSV yet: what the ETA counts
	for _, seed := range g.Seeds {
		for _, sc := range g.Family.Scenarios {
			for _, m := range g.Methods {
				r := Row{Family: g.Family.Name, Protocol: g.Family.Protocol, Source: sc[0], Target: sc[1], Method: m, Seed: seed}
				if !done[r.Key()] {
					todo++
				}
			}
		}
	}
	k := 0
	start := time.Now()
	ran := 0
	for _, seed := range g.Seeds {
		for _, sc := range g.Family.Scenarios {
			for _, m := range g.Methods {
				k++
				r := Row{Family: g.Family.Name, Protocol: g.Family.Protocol, Source: sc[0], Target: sc[1], Method: m, Seed: seed}
				if done[r.Key()] {
					continue
				}
				t0 := time.Now()
				r, err := g.one(r)
				if err != nil {
					return rows, fmt.Errorf("%s %s→%s seed %d: %w", m, sc[0], sc[1], seed, err)
				}
				ran++
				if err := AppendCSV(csvPath, r); err != nil {
					return rows, err
				}
				rows = append(rows, r)
				if g.Log != nil {
					left := todo - ran
					eta := time.Duration(float64(time.Since(start)) / float64(ran) * float64(left)).Round(time.Second)
					fmt.Fprintf(g.Log, "[%d/%d] %-11s %s → %s seed %d: rsum %6.2f (val %6.2f) in %.0fs, ETA %s\n",
						k, total, m, sc[0], sc[1], seed, r.RSum, r.ValRSum, time.Since(t0).Seconds(), eta)
				}
			}
		}
	}
	return rows, nil
}

func (g *Grid) one(r Row) (Row, error) {
	opt := g.Base
	opt.Method, opt.Seed = r.Method, r.Seed
	opt.Data = g.Base.Data
	opt.Data.Source, opt.Data.Target, opt.Data.Protocol, opt.Data.Seed = r.Source, r.Target, r.Protocol, r.Seed
	task, err := run.Prepare(&opt, g.Limits)
	if err != nil {
		return r, err
	}
	dir := runDir(g.Dir, r)
	os.RemoveAll(dir) // a half-finished run from an interrupted bench starts over
	t0 := time.Now()
	var enc train.Encoder
	r.NbrImgAcc, r.NbrTxtAcc = math.NaN(), math.NaN()
	if r.Method == "cca" {
		c, err := run.FitCCA(task, opt, dir)
		if err != nil {
			return r, err
		}
		enc = c
		m, err := train.Evaluate(c, task.Val)
		if err != nil {
			return r, err
		}
		r.ValRSum = m.RSum
	} else {
		tr, err := train.New(task, opt, dir, false)
		if err != nil {
			return r, err
		}
		if err := tr.Run(); err != nil {
			return r, err
		}
		h := tr.History()
		best := h[0]
		for _, e := range h {
			if e.ValRSum > best.ValRSum {
				best = e
			}
		}
		r.ValRSum = best.ValRSum
		last := h[len(h)-1]
		if v, ok := last.Diag["nbr_img_acc"]; ok {
			r.NbrImgAcc, r.NbrTxtAcc = 100*v, 100*last.Diag["nbr_txt_acc"]
		}
		rr, err := run.Open(dir)
		if err != nil {
			return r, err
		}
		m, err := rr.Model("")
		if err != nil {
			return r, err
		}
		enc = m
		r.Epochs = opt.Epochs
	}
	m, err := train.Evaluate(enc, task.Test)
	if err != nil {
		return r, err
	}
	r.I2T = [3]float64{m.I2T.R1, m.I2T.R5, m.I2T.R10}
	r.T2I = [3]float64{m.T2I.R1, m.T2I.R5, m.T2I.R10}
	r.RSum = m.RSum
	r.Seconds = time.Since(t0).Seconds()
	return r, nil
}

// runDir is where a grid row's run is kept.
func runDir(dir string, r Row) string {
	name := func(spec string) string { return strings.NewReplacer("/", ".", "#", ".", " ", "_").Replace(spec) }
	return filepath.Join(dir, "runs", r.Family, fmt.Sprintf("%s-%s-%s-s%d", r.Method, name(r.Source), name(r.Target), r.Seed))
}

func readHistory(dir string, r Row) ([]train.Epoch, error) {
	b, err := os.ReadFile(filepath.Join(runDir(dir, r), train.HistoryFile))
	if err != nil {
		return nil, err
	}
	var h []train.Epoch
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("empty history")
	}
	return h, nil
}
