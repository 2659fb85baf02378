package plots

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Figure widths of a two-column paper (ACM, IEEE, Springer and Elsevier
// two-column templates are all within a few millimetres of these).
const (
	SingleColumn = 3.5 * vg.Inch
	DoubleColumn = 7 * vg.Inch
)

// OkabeIto is the colour-blind-safe palette of Okabe & Ito (2008), in
// the order series take it: blue, vermillion, bluish green, orange,
// reddish purple, sky blue, yellow, black. The first two, used for the
// source and target domains, stay distinct in every form of colour
// blindness and in greyscale (dark against medium).
var OkabeIto = []color.NRGBA{
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	{0x00, 0x9E, 0x73, 0xff}, // bluish green
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	{0xF0, 0xE4, 0x42, 0xff}, // yellow
	{0x00, 0x00, 0x00, 0xff}, // black
}

// Color returns series i's colour, cycling through OkabeIto.
func Color(i int) color.NRGBA { return OkabeIto[i%len(OkabeIto)] }

// Dashes returns series i's dash pattern (solid, dashed, dotted,
// dash-dot, …), so lines stay apart in greyscale print.
func Dashes(i int) []vg.Length {
	pats := [][]vg.Length{
		nil,
		{vg.Points(3.5), vg.Points(1.5)},
		{vg.Points(1), vg.Points(1.2)},
		{vg.Points(4), vg.Points(1.2), vg.Points(1), vg.Points(1.2)},
		{vg.Points(6), vg.Points(2)},
	}
	return pats[i%len(pats)]
}

// Grey is the colour of reference lines and upper bounds (chance, the
// target oracle).
var Grey = color.NRGBA{0x6e, 0x6e, 0x6e, 0xff}

func colorGrey(v uint8) color.Gray { return color.Gray{Y: v} }

// Type sizes in points, for figures printed at 3.5 or 7 inches wide: the
// smallest text (ticks) stays at least 7 pt, as journals ask.
const (
	sizeTick   = 7
	sizeLabel  = 8
	sizeTitle  = 8.5
	sizeLegend = 7.5
	lineWidth  = 1.1
)

// typeface is the figures' font: Liberation Sans (metric-compatible with
// Helvetica/Arial), shipped with gonum/plot, so output does not depend on
// the fonts installed.
var typeface = font.Font{Typeface: "Liberation", Variant: "Sans"}

func fontOf(size float64) font.Font { return font.From(typeface, vg.Points(size)) }

// newPanel returns a plot styled for the figures: sans-serif type at the
// sizes above, thin axes, light grid lines behind the data when grid.
func newPanel(title, xlabel, ylabel string, grid bool) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = fontOf(sizeTitle)
	p.Title.Padding = vg.Points(3)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = fontOf(sizeLabel)
		a.Tick.Label.Font = fontOf(sizeTick)
		a.LineStyle.Width = vg.Points(0.6)
		a.Tick.LineStyle.Width = vg.Points(0.6)
		a.Tick.Length = vg.Points(2.5)
		a.Padding = vg.Points(1.5)
		a.Label.Padding = vg.Points(2)
	}
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	p.Legend.TextStyle.Font = fontOf(sizeLegend)
	if grid {
		g := plotter.NewGrid()
		g.Vertical.Color = color.Gray{0xe4}
		g.Horizontal.Color = color.Gray{0xe4}
		g.Vertical.Width = vg.Points(0.4)
		g.Horizontal.Width = vg.Points(0.4)
		p.Add(g)
	}
	return p
}

// lineStyle is a series' line.
func lineStyle(c color.Color, dashes []vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(lineWidth), Dashes: dashes}
}

// niceTicks label round values (1, 2, 2.5 or 5 times a power of ten)
// about five times across the range, written with the fewest decimals
// the step needs ("50", not "50.00"), with an unlabelled minor tick
// between labels.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
	}
	span := hi - lo
	e := math.Floor(math.Log10(span)) - 1
	var step float64
	for ; ; e++ {
		found := false
		for _, m := range []float64{1, 2, 2.5, 5} {
			step = m * math.Pow(10, e)
			if span/step <= 6 {
				found = true
				break
			}
		}
		if found {
			break
		}
	}
	dec := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	if r := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9)); r == 2.5 {
		dec++
	}
	var ts []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for v := first - step/2; v <= hi+1e-9*span; v += step / 2 {
		if v < lo-1e-9*span {
			continue
		}
		k := math.Round((v - first) / step * 2)
		if int(k)%2 == 0 {
			x := first + k/2*step
			if math.Abs(x) < 1e-12*span {
				x = 0
			}
			ts = append(ts, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'f', dec, 64)})
		} else {
			ts = append(ts, plot.Tick{Value: v})
		}
	}
	return ts
}

// logTicks label 1, 2 and 5 times the powers of ten inside the range
// (only the powers when the range spans more than two decades), with
// unlabelled minor ticks at the other integers times a power of ten.
// Unlike plot.LogTicks, no tick falls outside the range, which would
// push the panel's title up.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	wide := hi/lo > 300
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (!wide && (m == 2 || m == 5)) {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}
