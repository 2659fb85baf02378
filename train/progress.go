package train

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// progress reports training: on a terminal one line redrawn in place
// (epoch, step, loss parts, throughput, ETA); elsewhere one plain line per
// epoch, so logs stay readable.
type progress struct {
	w       io.Writer
	tty     bool
	total   int
	done0   int // steps already done when this process started (resume)
	steps   int
	samples int
	start   time.Time
	last    time.Time
}

func newProgress(w io.Writer, tty bool, total, done int) *progress {
	now := time.Now()
	return &progress{w: w, tty: tty, total: total, done0: done, start: now, last: now}
}

func fmtParts(parts map[string]float64) string {
	keys := make([]string, 0, len(parts))
	for k := range parts {
		if !strings.HasPrefix(k, gradPrefix) { // in history.json, not on the line
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s %.4f", k, parts[k])
	}
	return b.String()
}

func (p *progress) step(epoch, epochs int, parts map[string]float64, n int) {
	p.steps++
	p.samples += n
	if p.w == nil || !p.tty {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond && p.done0+p.steps < p.total {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	done := p.done0 + p.steps
	eta := time.Duration(el / float64(p.steps) * float64(p.total-done) * float64(time.Second))
	width := 24
	fill := width * done / p.total
	fmt.Fprintf(p.w, "\r[%s%s] epoch %d/%d step %d/%d%s  %.0f samples/s  ETA %s \x1b[K",
		strings.Repeat("=", fill), strings.Repeat(" ", width-fill), epoch, epochs, done, p.total,
		fmtParts(parts), float64(p.samples)/el, eta.Round(time.Second))
}

func (p *progress) epoch(e Epoch, best float64, bestEpoch int) {
	if p.w == nil {
		return
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	done := p.done0 + p.steps
	el := time.Since(p.start).Seconds()
	eta := time.Duration(el / float64(max(p.steps, 1)) * float64(p.total-done) * float64(time.Second))
	diag := ""
	if len(e.Diag) > 0 {
		diag = "  neighbours" + fmtParts(e.Diag)
	}
	val := fmt.Sprintf("val rsum %6.2f (best %.2f @%d)", e.ValRSum, best, bestEpoch)
	if e.Val.I2T.Queries == 0 { // no validation data: the last epoch is the model
		val = "no validation data"
	}
	fmt.Fprintf(p.w, "epoch %3d  loss%s  |g| %.3f  %s%s  %.1fs  %.0f samples/s  ETA %s\n",
		e.Epoch, fmtParts(e.Loss), e.GradNorm, val, diag, e.Seconds, e.SamplesPS, eta.Round(time.Second))
}

func (p *progress) done() {
	if p.w != nil && p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
