package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"aeir/data"
	"aeir/data/formats"
	"aeir/eval"
	"aeir/run"
	"aeir/train"
)

func isTTY(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// trainCmd is aeir train: parse the flags into the run's options, prepare
// the task, choose the run directory, then fit CCA or train, and print a
// summary.
func trainCmd(args []string) error {
	tf, err := parseTrainFlags(args)
	if err != nil {
		return err
	}
	task, err := prepareTask(&tf.opt, &tf.lim)
	if err != nil {
		return err
	}
	dir, err := tf.runDir()
	if err != nil {
		return err
	}
	if tf.opt.Method == "cca" {
		if _, err := run.FitCCA(task, tf.opt, dir); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "fitted CCA on %d source pairs → %s\n", len(task.Train.Source.Texts), dir)
		return nil
	}
	h, err := trainRun(task, tf, dir)
	if err != nil || tf.quiet {
		return err
	}
	printTrainSummary(task, dir, h)
	return nil
}

// prepareTask checks opt, then reads the task's data: bad flags fail
// before any data is read; the feature settings wait for the data.
func prepareTask(opt *train.Options, lim *formats.Limits) (*data.Task, error) {
	early := *opt
	early.Model.FeatureHidden = 0
	if err := early.Validate(); err != nil {
		return nil, err
	}
	return run.Prepare(opt, lim)
}

// runDir is -out or the default run directory of the (prepared) options,
// emptied of an old run's files with -force.
func (tf *trainFlags) runDir() (string, error) {
	dir, opt := tf.out, tf.opt
	if dir == "" {
		dir = filepath.Join("runs", fmt.Sprintf("%s-%s-%s-%s-s%d", opt.Method,
			runName(opt.Data.Source), runName(opt.Data.Target), opt.Data.Protocol, opt.Seed))
	}
	if tf.force {
		if err := train.RemoveRun(dir); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// trainRun trains (or with -resume continues) the run in dir, logging
// progress unless -q, and returns its history.
func trainRun(task *data.Task, tf *trainFlags, dir string) ([]train.Epoch, error) {
	opt := tf.opt
	tr, err := train.New(task, opt, dir, tf.resume)
	if err != nil {
		return nil, err
	}
	if !tf.quiet {
		tr.Log, tr.TTY = os.Stderr, isTTY(os.Stderr)
		label := opt.Method
		if opt.Method == "oracle" {
			label += " (target oracle: supervised on target pairs, an upper bound)"
		}
		fmt.Fprintf(os.Stderr, "train %s on %s, %d epochs × %d steps → %s\n", label, task.Name, opt.Epochs, tr.StepsPerEpoch(), dir)
	}
	// Ctrl-C stops at the next step; the last epoch's checkpoint stays for -resume.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := tr.RunContext(ctx); err != nil {
		return nil, err
	}
	return tr.History(), nil
}

// printTrainSummary says where the trained model is and what comes next.
func printTrainSummary(task *data.Task, dir string, h []train.Epoch) {
	switch {
	case len(h) == 0:
	case task.Val == nil:
		fmt.Fprintf(os.Stderr, "done: %s (no validation data: the last epoch); the target has no aligned test data to evaluate\n", filepath.Join(dir, train.BestFile))
	default:
		fmt.Fprintf(os.Stderr, "done: %s (best val rsum %.2f); evaluate with: aeir eval -run %s\n", filepath.Join(dir, train.BestFile), bestOf(h), dir)
	}
}

func bestOf(h []train.Epoch) float64 {
	b := h[0].ValRSum
	for _, e := range h {
		b = max(b, e.ValRSum)
	}
	return b
}

func evalCmd(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	var lim formats.Limits
	addLimitFlags(fs, &lim)
	dir := fs.String("run", "", "run directory written by aeir train")
	split := fs.String("split", "test", "target split: test or val")
	file := fs.String("model", train.BestFile, "model file inside the run directory, or a path (with a /) to another model of the same input size, e.g. one adapted in the page, evaluated on the run's data")
	csls := fs.Int("csls", 0, "also rank with the demo's hubness correction (CSLS with this many neighbours), with whole sentences and, where the data has them, short forms; writes eval_<split>_csls<K>.json")
	views := fs.Int("views", 0, "embed the images as the mean of this many views under the run's training augmentation (test-time augmentation, as aeir export web -views does for the demo's galleries; 0: the model file's setting)")
	viewStyle := fs.Float64("view-style", -1, "line-art probability of the views (-1: the run's -style-aug)")
	gallery := fs.String("gallery", "split", "what each query ranks: split (the split's own images or sentences) or whole (every target image or sentence of the data set, as the demo page ranks; writes eval_<split>_whole….json)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("-run is required")
	}
	r, err := run.Open(*dir)
	if err != nil {
		return err
	}
	r.Limits = &lim
	o := run.EvalOptions{Split: *split, Gallery: *gallery, CSLS: *csls, Views: *views, ViewStyle: *viewStyle, File: *file}
	rows, err := r.Evaluate(o)
	if err != nil {
		return err
	}
	if err := eval.WriteTable(os.Stdout, rows); err != nil {
		return err
	}
	return saveRows(filepath.Join(*dir, o.Base()), rows)
}

// saveRows writes rows as base.json and base.csv.
func saveRows(base string, rows []eval.Row) error {
	for _, ext := range []string{".json", ".csv"} {
		if err := eval.SaveFile(base+ext, rows); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "wrote %s and .csv\n", base+".json")
	return nil
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var x int
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%d", &x); err != nil {
			return nil, fmt.Errorf("%q is not a list of integers", s)
		}
		out = append(out, x)
	}
	return out, nil
}

// runName is a data source as part of a run directory's name.
func runName(spec string) string {
	if s, err := run.ParseSpec(spec); err == nil && s.Vendor == nil {
		name := strings.TrimSuffix(filepath.Base(s.Path), filepath.Ext(s.Path))
		if s.Domain != "" {
			name += "." + s.Domain
		}
		spec = name
	}
	return strings.NewReplacer("/", ".", "#", ".", " ", "_").Replace(spec)
}

// parseFloats reads n comma-separated numbers.
func parseFloats(s string, n int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("%q: want %d comma-separated numbers", s, n)
	}
	out := make([]float64, n)
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q: %q is not a number", s, p)
		}
		out[i] = v
	}
	return out, nil
}
