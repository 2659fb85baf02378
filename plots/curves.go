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

	"aeir/train"
)

// History is one run's training history (history.json of a run
// directory) under the name its lines are labelled with.
type History struct {
	Name   string
	Epochs []train.Epoch
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
	var lossKeys, accKeys []string
	maxEpoch := 1
	for _, r := range runs {
		if len(r.Epochs) == 0 {
			return nil, fmt.Errorf("plots: training history %q has no epochs", r.Name)
		}
		for _, e := range r.Epochs {
			maxEpoch = max(maxEpoch, e.Epoch)
			for _, m := range []map[string]float64{e.Loss, e.Diag} {
				for k := range m {
					switch {
					case isAccuracy(k):
						if !slices.Contains(accKeys, k) {
							accKeys = append(accKeys, k)
						}
					case isSchedule(k):
					default:
						if !slices.Contains(lossKeys, k) && inLoss(e, k) {
							lossKeys = append(lossKeys, k)
						}
					}
				}
			}
		}
	}
	slices.SortFunc(lossKeys, keyOrder)
	slices.SortFunc(accKeys, keyOrder)
	multi := len(runs) > 1
	// One run: colour is the term (L_adv, discriminator, …), dash the
	// modality (images solid, sentences dashed). Several runs: colour is
	// the run, dash the key's place in its panel.
	var terms []string
	for _, k := range append(slices.Clone(lossKeys), accKeys...) {
		if t, _ := termOf(k); !slices.Contains(terms, t) {
			terms = append(terms, t)
		}
	}
	style := func(run, keyInPanel int, key string) (int, []vg.Length) {
		if multi {
			return run, Dashes(keyInPanel)
		}
		t, txt := termOf(key)
		d := 0
		if txt {
			d = 1
		}
		return slices.Index(terms, t), Dashes(d)
	}
	fig := &Figure{Width: opt.Width, Height: opt.Height, Caption: opt.Caption}
	letter := 'a'
	title := func(s string) string {
		t := fmt.Sprintf("(%c) %s", letter, s)
		letter++
		return t
	}
	// (a) loss parts
	loss := newPanel(title("training loss"), "epoch", "loss", true)
	for ri, r := range runs {
		for ki, k := range lossKeys {
			xy := series(r.Epochs, func(e train.Epoch) (float64, bool) { v, ok := e.Loss[k]; return v, ok })
			if len(xy) == 0 {
				continue
			}
			c, d := style(ri, ki, k)
			if err := addLine(loss, xy, Color(c), d); err != nil {
				return nil, err
			}
		}
	}
	if lo, hi := positiveRange(runs, lossKeys); lo > 0 && hi/lo > 30 {
		// parts of very different sizes (a summed hinge next to a BCE):
		// a log axis shows them all
		loss.Y.Scale = plot.LogScale{}
		loss.Y.Tick.Marker = logTicks{}
		loss.Y.Min, loss.Y.Max = lo/1.3, hi*1.3
		loss.Y.Label.Text = "loss (log scale)"
	} else {
		loss.Y.Min, loss.Y.Max = 0, loss.Y.Max*1.06 // losses are ≥ 0; room under the title
	}
	fig.Panels = append(fig.Panels, loss)
	// (b) accuracies
	if len(accKeys) > 0 {
		acc := newPanel(title("accuracy"), "epoch", "accuracy (%)", true)
		acc.Y.Min, acc.Y.Max = 0, 104
		acc.Y.Tick.Marker = plot.ConstantTicks(ticksAt([]float64{0, 25, 50, 75, 100}))
		half, _ := plotter.NewLine(plotter.XYs{{X: 1, Y: 50}, {X: float64(maxEpoch), Y: 50}})
		half.LineStyle = lineStyle(Grey, []vg.Length{vg.Points(1), vg.Points(1.5)})
		half.LineStyle.Width = vg.Points(0.7)
		acc.Add(half)
		for ri, r := range runs {
			for ki, k := range accKeys {
				xy := series(r.Epochs, func(e train.Epoch) (float64, bool) {
					if v, ok := e.Loss[k]; ok {
						return 100 * v, true
					}
					v, ok := e.Diag[k]
					return 100 * v, ok
				})
				if len(xy) == 0 {
					continue
				}
				c, d := style(ri, ki, k)
				if err := addLine(acc, xy, Color(c), d); err != nil {
					return nil, err
				}
			}
		}
		fig.Panels = append(fig.Panels, acc)
	}
	// (c) validation rsum
	val := newPanel(title("validation"), "epoch", "rsum (val)", true)
	for ri, r := range runs {
		xy := series(r.Epochs, func(e train.Epoch) (float64, bool) { return e.ValRSum, true })
		c := color.Color(color.Black)
		if multi {
			c = Color(ri)
		}
		if err := addLine(val, xy, c, nil); err != nil {
			return nil, err
		}
	}
	val.Y.Max += 0.06 * (val.Y.Max - val.Y.Min)
	fig.Panels = append(fig.Panels, val)
	for _, p := range fig.Panels {
		p.X.Min, p.X.Max = 1, float64(maxEpoch)
		p.X.Tick.Marker = epochTicks{}
	}
	// legend
	if multi {
		for ri, r := range runs {
			fig.Legend = append(fig.Legend, LegendEntry{Label: r.Name, Thumb: lineThumb(Color(ri), nil)})
		}
		for _, keys := range [][]string{lossKeys, accKeys} {
			for ki, k := range keys {
				fig.Legend = append(fig.Legend, LegendEntry{Label: keyLabel(k), Thumb: lineThumb(color.Black, Dashes(ki))})
			}
		}
	} else {
		for _, keys := range [][]string{lossKeys, accKeys} {
			for ki, k := range keys {
				c, d := style(0, ki, k)
				fig.Legend = append(fig.Legend, LegendEntry{Label: keyLabel(k), Thumb: lineThumb(Color(c), d)})
			}
		}
		fig.Legend = append(fig.Legend, LegendEntry{Label: "validation rsum", Thumb: lineThumb(color.Black, nil)})
	}
	if len(accKeys) > 0 {
		fig.Legend = append(fig.Legend, LegendEntry{Label: "50 %", Thumb: &plotter.Line{
			LineStyle: draw.LineStyle{Color: Grey, Width: vg.Points(0.7), Dashes: []vg.Length{vg.Points(1), vg.Points(1.5)}}}})
	}
	return fig, nil
}

// positiveRange returns the smallest and largest values of keys over all
// epochs, or lo = 0 if any is ≤ 0.
func positiveRange(runs []History, keys []string) (lo, hi float64) {
	lo = math.Inf(1)
	for _, r := range runs {
		for _, e := range r.Epochs {
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

func inLoss(e train.Epoch, k string) bool { _, ok := e.Loss[k]; return ok }

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

func series(es []train.Epoch, f func(train.Epoch) (float64, bool)) plotter.XYs {
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
