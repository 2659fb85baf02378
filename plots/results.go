package plots

import (
	"encoding/csv"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// RunResult is one row of a results CSV: one method trained with one
// seed on one scenario.
type RunResult struct {
	Method   string
	Scenario string // "twemoji/en → openmoji/en", or the scenario column as written
	Protocol string // optional
	Seed     uint64
	Metrics  map[string]float64 // every other column that holds a number
}

// ReadResultsCSV reads a results CSV, the format `aeir plot results`
// draws and `aeir bench` writes. name is used in error messages.
//
// The first row is a header naming the columns, in any order:
//
//   - method (required): e.g. source-only, dann, aeir, oracle
//   - scenario, or source and target: the scenario is either given whole
//     or built as "source → target" (e.g. twemoji/en → openmoji/en)
//   - seed (required): a non-negative integer
//   - protocol, family (optional text): a bar group is a scenario under a
//     protocol, labelled "scenario (protocol)" when the file holds more
//     than one protocol
//   - rsum (required) and any other numeric columns (i2t_r1 … t2i_r10,
//     val_rsum, seconds, …): metrics; an empty cell is a missing value
//
// It returns an error naming the file, line and column for an empty file,
// a missing column, a repeated column, a value that is not a number and a
// run (method, scenario, protocol, seed) that appears twice.
func ReadResultsCSV(r io.Reader, name string) ([]RunResult, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	recs, err := cr.ReadAll()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %v", name, pe.Line, pe.Err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: empty file: want a header line (method,scenario,seed,rsum,…) and one line per run", name)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("%s:1: column %q appears twice", name, h)
		}
		col[h] = i
	}
	for _, req := range []string{"method", "seed", "rsum"} {
		if _, ok := col[req]; !ok {
			return nil, fmt.Errorf("%s:1: no %q column (header %q); want method, scenario (or source and target), seed, rsum and other metrics", name, req, strings.Join(recs[0], ","))
		}
	}
	_, hasScen := col["scenario"]
	_, hasSrc := col["source"]
	_, hasTgt := col["target"]
	if !hasScen && !(hasSrc && hasTgt) {
		return nil, fmt.Errorf("%s:1: no \"scenario\" column and no \"source\" and \"target\" columns", name)
	}
	text := map[string]bool{"method": true, "scenario": true, "source": true, "target": true, "protocol": true, "family": true, "seed": true}
	if len(recs) == 1 {
		return nil, fmt.Errorf("%s: no runs: the file has a header but no data lines", name)
	}
	seen := map[string]int{}
	var out []RunResult
	for li, rec := range recs[1:] {
		line := li + 2
		get := func(c string) string {
			if i, ok := col[c]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		rr := RunResult{Method: get("method"), Protocol: get("protocol"), Metrics: map[string]float64{}}
		if rr.Method == "" {
			return nil, fmt.Errorf("%s:%d: empty method", name, line)
		}
		if hasScen {
			rr.Scenario = get("scenario")
		} else {
			rr.Scenario = get("source") + " → " + get("target")
		}
		if strings.TrimSpace(strings.Trim(rr.Scenario, "→")) == "" {
			return nil, fmt.Errorf("%s:%d: empty scenario", name, line)
		}
		seed, err := strconv.ParseUint(get("seed"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: column seed: %q is not a non-negative integer", name, line, get("seed"))
		}
		rr.Seed = seed
		for h, i := range col {
			if text[h] || strings.TrimSpace(rec[i]) == "" {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
			if err != nil || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s:%d: column %s: %q is not a number", name, line, h, rec[i])
			}
			rr.Metrics[h] = v
		}
		if _, ok := rr.Metrics["rsum"]; !ok {
			return nil, fmt.Errorf("%s:%d: empty rsum", name, line)
		}
		key := rr.Method + "|" + rr.Scenario + "|" + rr.Protocol + "|" + get("family") + "|" + strconv.FormatUint(seed, 10)
		if prev, ok := seen[key]; ok {
			return nil, fmt.Errorf("%s:%d: the run %s on %s, seed %d, already appears on line %d", name, line, rr.Method, rr.Scenario, seed, prev)
		}
		seen[key] = line
		out = append(out, rr)
	}
	return out, nil
}

// ResultBar is one bar of a results figure: a method's mean and sample
// standard deviation of a metric over N seeds on one scenario.
type ResultBar struct {
	Method, Scenario string
	Mean, Std        float64
	N                int
}

// Summarize averages metric over seeds per method and scenario (under a
// protocol when several are present), keeping the order of first
// appearance. Std is the sample standard deviation (0 for one seed).
// Runs without the metric are skipped; it is an error if none has it.
func Summarize(runs []RunResult, metric string) ([]ResultBar, error) {
	protocols := map[string]bool{}
	for _, r := range runs {
		protocols[r.Protocol] = true
	}
	type key struct{ m, s string }
	vals := map[key][]float64{}
	var order []key
	for _, r := range runs {
		v, ok := r.Metrics[metric]
		if !ok || math.IsNaN(v) {
			continue
		}
		s := r.Scenario
		if len(protocols) > 1 && r.Protocol != "" {
			s += " (" + r.Protocol + ")"
		}
		k := key{r.Method, s}
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = append(vals[k], v)
	}
	if len(order) == 0 {
		var have []string
		if len(runs) > 0 {
			for m := range runs[0].Metrics {
				have = append(have, m)
			}
			slices.Sort(have)
		}
		return nil, fmt.Errorf("plots: no run has the metric %q (have %s)", metric, strings.Join(have, ", "))
	}
	var out []ResultBar
	for _, k := range order {
		xs := vals[k]
		var m, v float64
		for _, x := range xs {
			m += x
		}
		m /= float64(len(xs))
		for _, x := range xs {
			v += (x - m) * (x - m)
		}
		if len(xs) > 1 {
			v /= float64(len(xs) - 1)
		}
		out = append(out, ResultBar{Method: k.m, Scenario: k.s, Mean: m, Std: math.Sqrt(v), N: len(xs)})
	}
	return out, nil
}

// ResultsOptions control ResultsFigure.
type ResultsOptions struct {
	// Width and Height; 0 means DoubleColumn × 2.6 in.
	Width, Height vg.Length
	// Metric labels the value axis, e.g. "rsum".
	Metric string
	// Methods, if not empty, fixes which methods are drawn and their
	// order; otherwise all, in Order.
	Methods []string
	// Order ranks the methods drawn when Methods is empty: those it names
	// first, in its order (aeir plot passes the training registry's),
	// then the others in order of first appearance.
	Order   []string
	Caption string
}

// ResultsFigure draws grouped bars: one group per scenario, one bar per
// method (mean over seeds, error bar ±1 standard deviation). The target
// oracle ("oracle") is drawn hatched in grey and labelled "(upper bound)".
// Methods missing from a scenario leave a gap; a single seed gets no
// error bar.
// Scenario labels "a → b" are broken after the arrow.
func ResultsFigure(bars []ResultBar, opt ResultsOptions) (*Figure, error) {
	if len(bars) == 0 {
		return nil, fmt.Errorf("plots: no results to draw")
	}
	if opt.Width == 0 {
		opt.Width = DoubleColumn
	}
	if opt.Height == 0 {
		opt.Height = 2.6 * vg.Inch
	}
	if opt.Metric == "" {
		opt.Metric = "rsum"
	}
	var scen, methods []string
	for _, b := range bars {
		if !slices.Contains(scen, b.Scenario) {
			scen = append(scen, b.Scenario)
		}
		if !slices.Contains(methods, b.Method) {
			methods = append(methods, b.Method)
		}
	}
	orderMethods(methods, opt.Order)
	if len(opt.Methods) > 0 {
		for _, m := range opt.Methods {
			if !slices.Contains(methods, m) {
				return nil, fmt.Errorf("plots: method %q is not in the results (have %s)", m, strings.Join(methods, ", "))
			}
		}
		methods = opt.Methods
	}
	at := map[[2]string]ResultBar{}
	ymax := 0.0
	for _, b := range bars {
		at[[2]string{b.Method, b.Scenario}] = b
		ymax = max(ymax, b.Mean+b.Std)
	}
	p := newPanel("", "", opt.Metric+" (mean ± sd over seeds)", false)
	p.Y.Min = 0
	p.Y.Max = ymax * 1.06
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal.Color = colorGrey(0xe4)
	grid.Horizontal.Width = vg.Points(0.4)
	p.Add(grid)
	labels := make([]string, len(scen))
	for i, s := range scen {
		labels[i] = strings.Replace(s, " → ", " →\n", 1)
	}
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.5, float64(len(scen))-0.5
	p.X.Tick.Label.Font = fontOf(sizeTick)
	fig := &Figure{Width: opt.Width, Height: opt.Height, Caption: opt.Caption}
	gb := &groupedBars{groups: len(scen)}
	comp := 0
	for _, m := range methods {
		s := barSeries{vals: make([]float64, len(scen)), errs: make([]float64, len(scen)), has: make([]bool, len(scen))}
		for si, sc := range scen {
			if b, ok := at[[2]string{m, sc}]; ok {
				s.vals[si], s.has[si] = b.Mean, true
				if b.N > 1 {
					s.errs[si] = b.Std
				}
			}
		}
		label := m
		if isOracle(m) {
			s.fill, s.hatch = colorGrey(0xd0), true
			if !strings.Contains(m, "upper bound") {
				label += " (upper bound)"
			}
		} else {
			s.fill = Color(comp)
			comp++
		}
		gb.series = append(gb.series, s)
		fig.Legend = append(fig.Legend, LegendEntry{Label: label, Thumb: s})
	}
	p.Add(gb)
	fig.Panels = []*plot.Plot{p}
	return fig, nil
}

func isOracle(m string) bool { return strings.HasPrefix(strings.ToLower(m), "oracle") }

// groupedBars draws one bar per series in each group, the bars of a
// group filling 80 % of its width (each at most 20 pt wide), with ±error
// whiskers.
type groupedBars struct {
	groups int
	series []barSeries
}

type barSeries struct {
	vals, errs []float64
	has        []bool
	fill       color.Color
	hatch      bool
}

var barEdge = draw.LineStyle{Color: color.Gray{Y: 0x30}, Width: vg.Points(0.4)}

func (g *groupedBars) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	groupW := tx(1) - tx(0)
	bw := min(groupW*0.8/vg.Length(len(g.series)), vg.Points(20))
	whisker := draw.LineStyle{Color: color.Gray{Y: 0x20}, Width: vg.Points(0.6)}
	for si, s := range g.series {
		for i, v := range s.vals {
			if !s.has[i] {
				continue
			}
			x0 := tx(float64(i)) + (vg.Length(si)-vg.Length(len(g.series))/2)*bw
			r := vg.Rectangle{Min: vg.Point{X: x0, Y: ty(0)}, Max: vg.Point{X: x0 + bw, Y: ty(v)}}
			s.drawBar(c, r)
			if e := s.errs[i]; e > 0 {
				xm := x0 + bw/2
				lo, hi := ty(max(v-e, 0)), ty(v+e)
				capW := bw * 0.22
				c.StrokeLine2(whisker, xm, lo, xm, hi)
				c.StrokeLine2(whisker, xm-capW, lo, xm+capW, lo)
				c.StrokeLine2(whisker, xm-capW, hi, xm+capW, hi)
			}
		}
	}
}

func (g *groupedBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymax = math.Inf(-1)
	for _, s := range g.series {
		for i, v := range s.vals {
			if s.has[i] {
				ymax = max(ymax, v+s.errs[i])
			}
		}
	}
	return -0.5, float64(g.groups) - 0.5, 0, ymax
}

func (s barSeries) drawBar(c draw.Canvas, r vg.Rectangle) {
	c.FillPolygon(s.fill, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
	if s.hatch {
		hatch(c, r)
	}
	c.StrokeLines(barEdge, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})
}

// Thumbnail is the series' legend mark: a small bar.
func (s barSeries) Thumbnail(c *draw.Canvas) { s.drawBar(*c, c.Rectangle) }

// hatch strokes diagonal lines across r.
func hatch(c draw.Canvas, r vg.Rectangle) {
	sty := draw.LineStyle{Color: color.Gray{Y: 0x70}, Width: vg.Points(0.4)}
	step := vg.Points(3)
	w, hgt := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	for s := step; s < w+hgt; s += step {
		// the segment of x + y = const inside r
		x0, y0 := r.Min.X+s, r.Min.Y
		if s > w {
			x0, y0 = r.Max.X, r.Min.Y+(s-w)
		}
		x1, y1 := r.Min.X, r.Min.Y+s
		if s > hgt {
			x1, y1 = r.Min.X+(s-hgt), r.Max.Y
		}
		c.StrokeLine2(sty, x0, y0, x1, y1)
	}
}

// orderMethods sorts methods in place: those order names first, in its
// order, then the others as they were.
func orderMethods(methods, order []string) {
	rank := func(m string) int {
		if i := slices.Index(order, m); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(methods, func(a, b string) int { return rank(a) - rank(b) })
}
