// Command torch is the Go half of the training-speed benchmark against
// PyTorch (bench/torch/reference.py; run both with `make bench`).
//
//	go run ./bench/torch -method aeir -steps 33 -warmup 3            # time our trainer
//	go run ./bench/torch -method aeir -steps 33 -dump /tmp/aeir-ref  # write the reference's inputs
//	go run ./bench/torch -report steps.jsonl                         # summarise result lines
//
// Both modes build the same train.Speed: the trainer's own step on the
// default scenario (Twemoji → OpenMoji, CLDR English; batch 128 source
// pairs, plus 64 target images and 64 target sentences for the transfer
// methods). The timing mode runs all steps, times the last steps−warmup,
// and prints one JSON line: samples (source pairs) per second, peak
// resident memory, and the loss of every step. The dump mode writes what
// the reference needs to repeat exactly those steps: the constants and
// initial weights, the structural banks, and each step's inputs.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"aeir/data/vendormoji"
	"aeir/internal/atomicfile"
	"aeir/train"
)

func main() {
	method := flag.String("method", "aeir", "method: source-only, aeir (or another trained method)")
	steps := flag.Int("steps", 33, "optimiser steps in all")
	warmup := flag.Int("warmup", 3, "first steps not timed")
	dump := flag.String("dump", "", "write the reference's inputs into this directory instead of timing")
	variant := flag.String("variant", "", "label of this build in the output (e.g. asm, noasm)")
	report := flag.String("report", "", "summarise a file of result lines (ours and the reference's) instead")
	flag.Parse()
	var err error
	if *report != "" {
		err = summarize(*report, os.Stdout)
	} else {
		err = run(*method, *steps, *warmup, *dump, *variant)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/torch:", err)
		os.Exit(1)
	}
}

func run(method string, steps, warmup int, dump, variant string) error {
	if warmup < 0 || warmup >= steps {
		return fmt.Errorf("-warmup %d must be in [0, -steps %d)", warmup, steps)
	}
	ds, err := vendormoji.Load()
	if err != nil {
		return err
	}
	task, err := ds.Task(vendormoji.Default, vendormoji.Shared, 1)
	if err != nil {
		return err
	}
	opt := train.Defaults()
	opt.Method = method
	sp, err := train.NewSpeed(task, opt, steps)
	if err != nil {
		return err
	}
	if dump != "" {
		return writeDump(dump, sp)
	}
	losses := make([]map[string]float64, 0, steps)
	var start time.Time
	for i := range steps {
		if i == warmup {
			start = time.Now()
		}
		parts, err := sp.Step(i)
		if err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
		losses = append(losses, parts)
	}
	sec := time.Since(start).Seconds()
	out := map[string]any{
		"impl": "go", "variant": variant, "method": method, "steps": steps, "timed_steps": steps - warmup,
		"batch": opt.Batch, "seconds": sec, "samples_per_s": float64((steps-warmup)*opt.Batch) / sec,
		"peak_rss_mb": peakRSS(), "threads": runtime.GOMAXPROCS(0),
		"con": column(losses, "con"), "loss": total(losses),
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

func column(ls []map[string]float64, k string) []float64 {
	out := make([]float64, len(ls))
	for i, l := range ls {
		out[i] = l[k]
	}
	return out
}

// total is the objective the encoders descend: L_con + L_str terms (the
// adversarial terms are a min-max game and are reported apart).
func total(ls []map[string]float64) []float64 {
	out := make([]float64, len(ls))
	for i, l := range ls {
		out[i] = l["con"] + l["mu"]*(l["str_img"]+l["str_txt"])
	}
	return out
}

// peakRSS is the process's peak resident set size in MB (Linux), or −1.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return -1
}

// writeDump writes dir/meta.json (constants, parameter shapes, per-step
// index arrays and λ), dir/params.f32 (initial weights in meta order),
// dir/banks.f32 (source image then source sentence embeddings, when the
// method has L_str) and dir/step-NNN.bin (float32 pixels then int32 ids,
// little-endian) for every step. meta.json is written last, so a dump
// without it is incomplete.
func writeDump(dir string, sp *train.Speed) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ref := sp.Reference()
	type param struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
	}
	type step struct {
		NumIDs  int       `json:"num_ids"`
		Offsets []int32   `json:"offsets"`
		Groups  []int     `json:"groups"`
		Texts   []int     `json:"texts"`
		ImgPos  []int     `json:"img_pos,omitempty"`
		TxtPos  []int     `json:"txt_pos,omitempty"`
		Lambda  float32   `json:"lambda"`
		Pixels  []float32 `json:"-"`
		IDs     []int32   `json:"-"`
	}
	meta := struct {
		*train.Reference
		Params    []param `json:"params"`
		TextImage []int   `json:"text_image,omitempty"`
		NumSrcImg int     `json:"num_src_img"`
		NumSrcTxt int     `json:"num_src_txt"`
		Steps     []step  `json:"steps"`
	}{Reference: ref, TextImage: ref.TextImage}
	var weights []float32
	for _, p := range ref.Params {
		meta.Params = append(meta.Params, param{p.Name, p.Shape})
		weights = append(weights, p.W...)
	}
	if err := writeF32(filepath.Join(dir, "params.f32"), weights); err != nil {
		return err
	}
	if ref.Str {
		d := ref.Model.Dim
		meta.NumSrcImg, meta.NumSrcTxt = len(ref.SrcImg)/d, len(ref.SrcTxt)/d
		if err := writeF32(filepath.Join(dir, "banks.f32"), append(append([]float32(nil), ref.SrcImg...), ref.SrcTxt...)); err != nil {
			return err
		}
	}
	for i := range sp.Steps {
		in := sp.Input(i)
		meta.Steps = append(meta.Steps, step{NumIDs: len(in.IDs), Offsets: in.Offsets, Groups: in.Groups, Texts: in.Texts,
			ImgPos: in.ImgPos, TxtPos: in.TxtPos, Lambda: in.Lambda})
		err := atomicfile.Write(filepath.Join(dir, fmt.Sprintf("step-%03d.bin", i)), func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			if err := binary.Write(bw, binary.LittleEndian, in.Pixels); err != nil {
				return err
			}
			if err := binary.Write(bw, binary.LittleEndian, in.IDs); err != nil {
				return err
			}
			return bw.Flush()
		})
		if err != nil {
			return err
		}
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "meta.json"), b)
}

func writeF32(path string, x []float32) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		if err := binary.Write(bw, binary.LittleEndian, x); err != nil {
			return err
		}
		return bw.Flush()
	})
}
