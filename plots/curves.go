package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"aeir/train/history"
)

// History is one run's training history under the name its lines are
// labelled with: a Trainer's History, or a run's history.json.
type History struct {
	Name   string
	Epochs []history.Epoch
}

// CurvesOptions control CurvesFigure.
type CurvesOptions struct {
	// Width and Height; 0 means DoubleColumn × 2.3 in.
	Width, Height vg.Length
	Caption       string
}

// keyLabels name the loss parts and diagnostics the trainer records.
var keyLabels = map[string]string{
	"con": "L_con", "adv_img": "L_adv image", "adv_txt": "L_adv sentence",
	"mmd_img": "MMD² image", "mmd_txt": "MMD² sentence",
	"str_img": "L_str image", "str_txt": "L_str sentence",
	"acc_img": "discriminator, images", "acc_txt": "discriminator, sentences",
	"nbr_img_acc": "neighbours, images", "nbr_txt_acc": "neighbours, sentences",
}

func keyLabel(k string) string {
	if l, ok := keyLabels[k]; ok {
		return l
	}
	return k
}

// isAccuracy: fractions in [0, 1] drawn as percentages in the accuracy
// panel (discriminator and structural-neighbour accuracies).
func isAccuracy(k string) bool { return strings.Contains(k, "acc") }

// isSchedule: weights and fractions that are neither losses nor
// accuracies (μ_p, λ_p, kept rows); not drawn.
func isSchedule(k string) bool {
	return k == "mu" || k == "lambda" || k == "str_rows" || strings.Contains(k, "kept")
}

// CurvesFigure draws training curves per epoch: (a) the loss parts, (b)
// the discriminator and neighbour accuracies when any run recorded them
// (with the 50 % line a discriminator sits on when it cannot tell the
// domains apart), (c) the validation rsum. It draws whatever keys the
// histories hold. With one run, colour is the term (L_adv, the
// discriminator, …) and the dash the modality (images solid, sentences
// dashed); with several, colour is the run and the dash the key.
func CurvesFigure(runs []History, opt CurvesOptions) (*Figure, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("plots: no training histories to draw")
	}
	if opt.Width == 0 {
		opt.Width = DoubleColumn
	}
	if opt.Height == 0 {
		opt.Height = 2.3 * vg.Inch
	}
	rs, err := readCurveRuns(runs)
	if err != nil {
		return nil, err
	}
	k := curveKeysOf(rs)
	st := newCurveStyle(len(rs), k)
	fig := &Figure{Width: opt.Width, Height: opt.Height, Caption: opt.Caption}
	title := func(s string) string { return fmt.Sprintf("(%c) %s", 'a'+len(fig.Panels), s) }
	loss, err := lossPanel(title("training loss"), rs, k, st)
	if err != nil {
		return nil, err
	}
	fig.Panels = append(fig.Panels, loss)
	if len(k.acc) > 0 {
		acc, err := accuracyPanel(title("accuracy"), rs, k, st)
		if err != nil {
			return nil, err
		}
		fig.Panels = append(fig.Panels, acc)
	}
	val, err := validationPanel(title("validation"), rs, st)
	if err != nil {
		return nil, err
	}
	fig.Panels = append(fig.Panels, val)
	for _, p := range fig.Panels {
		p.X.Min, p.X.Max = 1, float64(k.maxEpoch)
		p.X.Tick.Marker = epochTicks{}
	}
	fig.Legend = curvesLegend(rs, k, st)
	return fig, nil
}

// curveRun is a History with its epochs read.
type curveRun struct {
	name   string
	epochs []history.Epoch
}

func readCurveRuns(runs []History) ([]curveRun, error) {
	rs := make([]curveRun, len(runs))
	for i, r := range runs {
		es := r.Epochs
		if len(es) == 0 {
			return nil, fmt.Errorf("plots: training history %q has no epochs", r.Name)
		}
		rs[i] = curveRun{r.Name, es}
	}
	return rs, nil
}

// curveKeys are what the panels draw: the loss parts in panel (a), the
// accuracies in panel (b) (none: no panel), over epochs 1 to maxEpoch.
type curveKeys struct {
	loss, acc []string
	maxEpoch  int
}

// curveKeysOf collects the keys the runs recorded, in keyOrder.
func curveKeysOf(runs []curveRun) curveKeys {
	k := curveKeys{maxEpoch: 1}
	for _, r := range runs {
		for _, e := range r.epochs {
			k.maxEpoch = max(k.maxEpoch, e.Epoch)
			for _, m := range []map[string]float64{e.Loss, e.Diag} {
				for key := range m {
					switch {
					case isAccuracy(key):
						if !slices.Contains(k.acc, key) {
							k.acc = append(k.acc, key)
						}
					case isSchedule(key):
					default:
						if !slices.Contains(k.loss, key) && inLoss(e, key) {
							k.loss = append(k.loss, key)
						}
					}
				}
			}
		}
	}
	slices.SortFunc(k.loss, keyOrder)
	slices.SortFunc(k.acc, keyOrder)
	return k
}

// curveStyle gives each line its colour and dash. One run: colour is the
// term (L_adv, discriminator, …), dash the modality (images solid,
// sentences dashed). Several runs: colour is the run, dash the key's place
// in its panel.
type curveStyle struct {
	multi bool
	terms []string // the terms of the keys, in order: their colours with one run
}

func newCurveStyle(runs int, k curveKeys) curveStyle {
	st := curveStyle{multi: runs > 1}
	for _, key := range append(slices.Clone(k.loss), k.acc...) {
		if t, _ := termOf(key); !slices.Contains(st.terms, t) {
			st.terms = append(st.terms, t)
		}
	}
	return st
}

// line returns the colour index and dashes of run's line of key, the
// keyInPanel-th key of its panel.
func (st curveStyle) line(run, keyInPanel int, key string) (int, []vg.Length) {
	if st.multi {
		return run, Dashes(keyInPanel)
	}
	t, txt := termOf(key)
	d := 0
	if txt {
		d = 1
	}
	return slices.Index(st.terms, t), Dashes(d)
}

// lossPanel is panel (a): each run's loss parts, on a log axis when they
// differ a lot in size.
func lossPanel(title string, runs []curveRun, k curveKeys, st curveStyle) (*plot.Plot, error) {
	loss := newPanel(title, "epoch", "loss", true)
	for ri, r := range runs {
		for ki, key := range k.loss {
			xy := series(r.epochs, func(e history.Epoch) (float64, bool) { v, ok := e.Loss[key]; return v, ok })
			if len(xy) == 0 {
				continue
			}
			c, d := st.line(ri, ki, key)
			if err := addLine(loss, xy, Color(c), d); err != nil {
				return nil, err
			}
		}
	}
	if lo, hi := positiveRange(runs, k.loss); lo > 0 && hi/lo > 30 {
		// parts of very different sizes (a summed hinge next to a BCE):
		// a log axis shows them all
		loss.Y.Scale = plot.LogScale{}
		loss.Y.Tick.Marker = logTicks{}
		loss.Y.Min, loss.Y.Max = lo/1.3, hi*1.3
		loss.Y.Label.Text = "loss (log scale)"
	} else {
		loss.Y.Min, loss.Y.Max = 0, loss.Y.Max*1.06 // losses are ≥ 0; room under the title
	}
	return loss, nil
}

// accuracyPanel is panel (b): the accuracies in percent, over the 50 %
// line of a discriminator that cannot tell the domains apart.
func accuracyPanel(title string, runs []curveRun, k curveKeys, st curveStyle) (*plot.Plot, error) {
	acc := newPanel(title, "epoch", "accuracy (%)", true)
	acc.Y.Min, acc.Y.Max = 0, 104
	acc.Y.Tick.Marker = plot.ConstantTicks(ticksAt([]float64{0, 25, 50, 75, 100}))
	half, _ := plotter.NewLine(plotter.XYs{{X: 1, Y: 50}, {X: float64(k.maxEpoch), Y: 50}})
	half.LineStyle = lineStyle(Grey, []vg.Length{vg.Points(1), vg.Points(1.5)})
	half.LineStyle.Width = vg.Points(0.7)
	acc.Add(half)
	for ri, r := range runs {
		for ki, key := range k.acc {
			xy := series(r.epochs, func(e history.Epoch) (float64, bool) {
				if v, ok := e.Loss[key]; ok {
					return 100 * v, true
				}
				v, ok := e.Diag[key]
				return 100 * v, ok
			})
			if len(xy) == 0 {
				continue
			}
			c, d := st.line(ri, ki, key)
			if err := addLine(acc, xy, Color(c), d); err != nil {
				return nil, err
			}
		}
	}
	return acc, nil
}

// validationPanel is the last panel: each run's validation rsum, black
// with one run.
func validationPanel(title string, runs []curveRun, st curveStyle) (*plot.Plot, error) {
	val := newPanel(title, "epoch", "rsum (val)", true)
	for ri, r := range runs {
		xy := series(r.epochs, func(e history.Epoch) (float64, bool) { return e.ValRSum, true })
		c := color.Color(color.Black)
		if st.multi {
			c = Color(ri)
		}
		if err := addLine(val, xy, c, nil); err != nil {
			return nil, err
		}
	}
	val.Y.Max += 0.06 * (val.Y.Max - val.Y.Min)
	return val, nil
}

// curvesLegend names the runs (several: their colours) and the keys (their
// dashes, or with one run their colours and dashes), then the 50 % line.
func curvesLegend(runs []curveRun, k curveKeys, st curveStyle) []LegendEntry {
	var leg []LegendEntry
	if st.multi {
		for ri, r := range runs {
			leg = append(leg, LegendEntry{Label: r.name, Thumb: lineThumb(Color(ri), nil)})
		}
		for _, keys := range [][]string{k.loss, k.acc} {
			for ki, key := range keys {
				leg = append(leg, LegendEntry{Label: keyLabel(key), Thumb: lineThumb(color.Black, Dashes(ki))})
			}
		}
	} else {
		for _, keys := range [][]string{k.loss, k.acc} {
			for ki, key := range keys {
				c, d := st.line(0, ki, key)
				leg = append(leg, LegendEntry{Label: keyLabel(key), Thumb: lineThumb(Color(c), d)})
			}
		}
		leg = append(leg, LegendEntry{Label: "validation rsum", Thumb: lineThumb(color.Black, nil)})
	}
	if len(k.acc) > 0 {
		leg = append(leg, LegendEntry{Label: "50 %", Thumb: &plotter.Line{
			LineStyle: draw.LineStyle{Color: Grey, Width: vg.Points(0.7), Dashes: []vg.Length{vg.Points(1), vg.Points(1.5)}}}})
	}
	return leg
}

// positiveRange returns the smallest and largest values of keys over all
// epochs, or lo = 0 if any is ≤ 0.
func positiveRange(runs []curveRun, keys []string) (lo, hi float64) {
	lo = math.Inf(1)
	for _, r := range runs {
		for _, e := range r.epochs {
			for _, k := range keys {
				if v, ok := e.Loss[k]; ok && !math.IsNaN(v) {
					if v <= 0 {
						return 0, 0
					}
					lo, hi = min(lo, v), max(hi, v)
				}
			}
		}
	}
	if math.IsInf(lo, 1) {
		return 0, 0
	}
	return lo, hi
}

func inLoss(e history.Epoch, k string) bool { _, ok := e.Loss[k]; return ok }

// keyOrder sorts keys as the method's terms are written: con, adv, mmd,
// str, then the rest alphabetically.
func keyOrder(a, b string) int {
	rank := func(k string) int {
		for i, p := range []string{"con", "adv", "mmd", "str", "acc", "nbr"} {
			if strings.HasPrefix(k, p) {
				return i
			}
		}
		return 99
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

func series(es []history.Epoch, f func(history.Epoch) (float64, bool)) plotter.XYs {
	var xy plotter.XYs
	for _, e := range es {
		if v, ok := f(e); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			xy = append(xy, plotter.XY{X: float64(e.Epoch), Y: v})
		}
	}
	return xy
}

func addLine(p *plot.Plot, xy plotter.XYs, c color.Color, dashes []vg.Length) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	l.LineStyle = lineStyle(c, dashes)
	p.Add(l)
	if len(xy) <= 12 { // few epochs: mark each
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		s.GlyphStyle.Color = c
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		s.GlyphStyle.Radius = vg.Points(1.3)
		p.Add(s)
	}
	return nil
}

func lineThumb(c color.Color, dashes []vg.Length) *plotter.Line {
	return &plotter.Line{LineStyle: lineStyle(c, dashes)}
}

// termOf splits a key into its term and whether it is about sentences:
// "adv_txt" → ("adv", true), "nbr_img_acc" → ("nbr_acc", false).
func termOf(k string) (string, bool) {
	for _, m := range []string{"_img", "_txt"} {
		if i := strings.Index(k, m); i >= 0 {
			return k[:i] + k[i+len(m):], m == "_txt"
		}
	}
	return k, false
}

// epochTicks puts ticks on whole epochs: every epoch when there are few,
// else a round step giving at most about six ticks.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	n := hi - lo
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000} {
		step = s
		if n/s <= 6 {
			break
		}
	}
	var t []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		if v < lo {
			continue
		}
		t = append(t, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	if len(t) == 0 || t[0].Value > lo+1e-9 && step > 1 && lo == 1 {
		t = append([]plot.Tick{{Value: 1, Label: "1"}}, t...)
	}
	return t
}
