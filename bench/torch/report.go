package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

// result is one timing line, ours or the reference's.
type result struct {
	Rep         int       `json:"rep"`
	Impl        string    `json:"impl"`    // go, pytorch
	Variant     string    `json:"variant"` // asm, noasm, torch <version>
	Method      string    `json:"method"`
	Steps       int       `json:"steps"`
	TimedSteps  int       `json:"timed_steps"`
	Batch       int       `json:"batch"`
	SamplesPerS float64   `json:"samples_per_s"`
	PeakRSSMB   float64   `json:"peak_rss_mb"`
	Threads     int       `json:"threads"`
	Con         []float64 `json:"con"`
}

func (r result) label() string {
	switch {
	case r.Impl == "go" && r.Variant == "asm":
		return "Go, default build (AVX2/FMA assembly Gemm)"
	case r.Impl == "go" && r.Variant == "noasm":
		return "Go, pure Go (-tags noasm, the WebAssembly fallback's kernel)"
	case r.Impl == "go" && r.Variant == "wasm-simd":
		return "Go WebAssembly in Chromium, SIMD kernels (1 thread)"
	case r.Impl == "go" && r.Variant == "wasm-pure":
		return "Go WebAssembly in Chromium, pure-Go kernels (1 thread)"
	case r.Impl == "go":
		return "Go " + r.Variant
	}
	return "PyTorch " + strings.TrimPrefix(r.Variant, "torch ") + " (CPU)"
}

// summarize prints, per method and implementation, samples per second and
// peak memory over the repeats, ours ÷ PyTorch paired by repeat, and how
// the loss curves compare.
func summarize(path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var rs []result
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		rs = append(rs, r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(rs) == 0 {
		return fmt.Errorf("%s: no results", path)
	}
	var methods, labels []string
	for _, r := range rs {
		if !slices.Contains(methods, r.Method) {
			methods = append(methods, r.Method)
		}
		if !slices.Contains(labels, r.label()) {
			labels = append(labels, r.label())
		}
	}
	r0 := rs[0]
	fmt.Fprintf(w, "Training step on the default scenario: %d source pairs per step (aeir: + 64 target images, 64 target sentences), %d timed steps after %d, %d threads\n\n",
		r0.Batch, r0.TimedSteps, r0.Steps-r0.TimedSteps, r0.Threads)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "method\timplementation\tpairs/s min / median / max\tpeak RSS MB\trepeats\t")
	for _, m := range methods {
		for _, l := range labels {
			var sps, rss []float64
			for _, r := range rs {
				if r.Method == m && r.label() == l {
					sps = append(sps, r.SamplesPerS)
					rss = append(rss, r.PeakRSSMB)
				}
			}
			if len(sps) == 0 {
				continue
			}
			lo, med, hi := stats(sps)
			fmt.Fprintf(tw, "%s\t%s\t%.0f / %.0f / %.0f\t%.0f\t%d\t\n", m, l, lo, med, hi, slices.Max(rss), len(sps))
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, m := range methods {
		for _, variant := range []string{"asm", "noasm", "wasm-simd", "wasm-pure"} {
			var ratios []float64
			for _, r := range rs {
				if r.Method != m || r.Impl != "go" || r.Variant != variant {
					continue
				}
				for _, q := range rs {
					if q.Method == m && q.Impl == "pytorch" && q.Rep == r.Rep {
						ratios = append(ratios, r.SamplesPerS/q.SamplesPerS)
					}
				}
			}
			if len(ratios) == 0 {
				continue
			}
			lo, med, hi := stats(ratios)
			name := map[string]string{"asm": "default build", "noasm": "pure Go (noasm)",
				"wasm-simd": "WebAssembly, SIMD kernels", "wasm-pure": "WebAssembly, pure-Go kernels"}[variant]
			fmt.Fprintf(w, "  %s step, %s: ours ÷ PyTorch = %.2f (min %.2f, max %.2f over %d paired repeats; > 1 means faster)\n", m, name, med, lo, hi, len(ratios))
		}
		// The page's step against the native build of the same program.
		for _, variant := range []string{"wasm-simd", "wasm-pure"} {
			var ratios []float64
			for _, r := range rs {
				if r.Method != m || r.Impl != "go" || r.Variant != variant {
					continue
				}
				for _, q := range rs {
					if q.Method == m && q.Impl == "go" && q.Variant == "asm" && q.Rep == r.Rep {
						ratios = append(ratios, r.SamplesPerS/q.SamplesPerS)
					}
				}
			}
			if len(ratios) == 0 {
				continue
			}
			lo, med, hi := stats(ratios)
			fmt.Fprintf(w, "  %s step, %s ÷ native Go (default build, %d threads) = %.2f (min %.2f, max %.2f over %d paired repeats)\n",
				m, variant, r0.Threads, med, lo, hi, len(ratios))
		}
	}
	fmt.Fprintln(w)
	var diverged []string
	for _, m := range methods {
		var ours, ref *result
		for i := range rs {
			r := &rs[i]
			if r.Method == m && r.Impl == "go" && r.Variant == "asm" && ours == nil {
				ours = r
			}
			if r.Method == m && r.Impl == "pytorch" && ref == nil {
				ref = r
			}
		}
		if ours == nil || ref == nil || len(ours.Con) != len(ref.Con) || len(ours.Con) < 2 {
			continue
		}
		worst := 0.0
		for i := range ours.Con {
			worst = max(worst, math.Abs(ours.Con[i]-ref.Con[i])/math.Abs(ref.Con[i]))
		}
		n := len(ours.Con)
		fmt.Fprintf(w, "  %s loss curve (L_con, same weights and inputs; dropout masks differ): Go %.3f → %.3f, PyTorch %.3f → %.3f over %d steps; largest step-wise difference %.1f %%\n",
			m, ours.Con[0], ours.Con[n-1], ref.Con[0], ref.Con[n-1], n, 100*worst)
		if worst > maxCurveDiff {
			diverged = append(diverged, m)
		}
	}
	if len(diverged) > 0 {
		return fmt.Errorf("the loss curves of %s differ by more than %.0f %% at some step: the reference no longer computes our step", strings.Join(diverged, ", "), 100*maxCurveDiff)
	}
	return nil
}

// maxCurveDiff is the largest step-wise relative difference of the two
// L_con curves accepted as "the same step": dropout masks and float
// rounding differ, so the curves drift apart slowly; a different loss or
// a missed gradient shows within a few steps.
const maxCurveDiff = 0.10

// stats returns the minimum, median and maximum of xs.
func stats(xs []float64) (lo, med, hi float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], med, s[n-1]
}
