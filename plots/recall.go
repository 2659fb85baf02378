package plots

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// RecallCurve is one method's R@K (percent) for K = 1…len in both
// directions, as eval.RecallCurve returns them.
type RecallCurve struct {
	Name     string
	I2T, T2I []float64
	// UpperBound marks the target oracle: drawn in grey and labelled
	// "(upper bound)" so no reader takes it for a competitor.
	UpperBound bool
}

// RecallOptions control RecallFigure.
type RecallOptions struct {
	// Width and Height; 0 means DoubleColumn × 2.5 in.
	Width, Height vg.Length
	// Chance, if not nil, is drawn as a thin light-grey line labelled
	// "chance" (eval.ChanceCurve).
	Chance *RecallCurve
	// LinearK draws K on a linear axis; the default is logarithmic, which
	// gives R@1, R@5 and R@10 room next to R@100.
	LinearK bool
	Caption string
}

// RecallFigure draws recall@K curves, image→text and text→image side by
// side, one line per method (colour and dash pattern both differ, so the
// lines stay apart in greyscale), with a shared legend above.
func RecallFigure(curves []RecallCurve, opt RecallOptions) (*Figure, error) {
	if len(curves) == 0 {
		return nil, fmt.Errorf("plots: no recall curves to draw")
	}
	if opt.Width == 0 {
		opt.Width = DoubleColumn
	}
	if opt.Height == 0 {
		opt.Height = 2.5 * vg.Inch
	}
	all := curves
	if opt.Chance != nil {
		all = append(append([]RecallCurve(nil), curves...), *opt.Chance)
	}
	kmax := 0
	for _, c := range all {
		if len(c.I2T) == 0 || len(c.T2I) == 0 {
			return nil, fmt.Errorf("plots: recall curve %q is empty", c.Name)
		}
		for _, v := range append(append([]float64(nil), c.I2T...), c.T2I...) {
			if math.IsNaN(v) || v < 0 || v > 100 {
				return nil, fmt.Errorf("plots: recall curve %q has value %v outside [0, 100]", c.Name, v)
			}
		}
		kmax = max(kmax, len(c.I2T), len(c.T2I))
	}
	fig := &Figure{Width: opt.Width, Height: opt.Height, Caption: opt.Caption}
	titles := []string{"(a) image → text", "(b) text → image"}
	for dir := range 2 {
		p := newPanel(titles[dir], "K", "recall@K (%)", true)
		p.Y.Min, p.Y.Max = 0, 100
		p.Y.Tick.Marker = plot.ConstantTicks(ticksAt([]float64{0, 20, 40, 60, 80, 100}))
		p.X.Min, p.X.Max = 1, float64(kmax)
		if !opt.LinearK && kmax > 1 {
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = plot.ConstantTicks(ticksAt(logKTicks(kmax)))
		}
		comp := 0
		for _, c := range curves {
			ys := c.I2T
			if dir == 1 {
				ys = c.T2I
			}
			l, err := plotter.NewLine(curveXY(ys))
			if err != nil {
				return nil, err
			}
			name := c.Name
			if c.UpperBound {
				l.LineStyle = lineStyle(Grey, []vg.Length{vg.Points(5), vg.Points(1.5), vg.Points(1), vg.Points(1.5)})
				if !strings.Contains(name, "upper bound") {
					name += " (upper bound)"
				}
			} else {
				l.LineStyle = lineStyle(Color(comp), Dashes(comp))
				comp++
			}
			p.Add(l)
			if dir == 0 {
				fig.Legend = append(fig.Legend, LegendEntry{Label: name, Thumb: l})
			}
		}
		if opt.Chance != nil {
			ys := opt.Chance.I2T
			if dir == 1 {
				ys = opt.Chance.T2I
			}
			l, err := plotter.NewLine(curveXY(ys))
			if err != nil {
				return nil, err
			}
			l.LineStyle = lineStyle(colorGrey(0x9a), nil)
			l.LineStyle.Width = vg.Points(0.7)
			p.Add(l)
			if dir == 0 {
				name := opt.Chance.Name
				if name == "" {
					name = "chance"
				}
				fig.Legend = append(fig.Legend, LegendEntry{Label: name, Thumb: l})
			}
		}
		fig.Panels = append(fig.Panels, p)
	}
	return fig, nil
}

func curveXY(ys []float64) plotter.XYs {
	xy := make(plotter.XYs, len(ys))
	for k, y := range ys {
		xy[k] = plotter.XY{X: float64(k + 1), Y: y}
	}
	return xy
}

// logKTicks returns 1, 2, 5, 10, 20, 50, … up to kmax, and kmax when
// it is well above the last of those.
func logKTicks(kmax int) []float64 {
	var t []float64
	for base := 1; base <= kmax; base *= 10 {
		for _, m := range []int{1, 2, 5} {
			if v := base * m; v <= kmax {
				t = append(t, float64(v))
			}
		}
	}
	if float64(kmax) > 1.5*t[len(t)-1] {
		t = append(t, float64(kmax))
	}
	return t
}

func ticksAt(vs []float64) []plot.Tick {
	t := make([]plot.Tick, len(vs))
	for i, v := range vs {
		t[i] = plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)}
	}
	return t
}
