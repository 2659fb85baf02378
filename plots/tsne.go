package plots

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"aeir/tsne"
)

// Modality says whether an embedded item is an image or a sentence; the
// t-SNE maps draw it as the marker shape.
type Modality int

const (
	Image    Modality = iota // filled circle
	Sentence                 // filled triangle
)

func (m Modality) String() string {
	if m == Sentence {
		return "sentence"
	}
	return "image"
}

// Embeddings are vectors of one domain and one modality to be mapped,
// e.g. the target test images under a model.
type Embeddings struct {
	Domain   string // legend label, e.g. "source twemoji/en"; the colour follows it
	Modality Modality
	Dim      int
	Vecs     []float32     // N×Dim, row-major
	Thumbs   []image.Image // optional: each vector's picture, for thumbnails
}

// MapGroup is one domain × modality of a t-SNE map: 2-D points drawn
// with one colour and one marker.
type MapGroup struct {
	Domain   string
	Modality Modality
	XY       []float64     // N×2
	Thumbs   []image.Image // optional, one per point (nil entries are never shown)
}

// MapPanel is one t-SNE map.
type MapPanel struct {
	Title  string
	Groups []MapGroup
	KL     float64 // KL divergence of the map (0 if unknown)
}

// Map embeds all groups jointly with t-SNE (one map, so distances between
// groups mean something) and returns the panel. All groups must have the
// same Dim.
func Map(title string, groups []Embeddings, opt tsne.Options) (MapPanel, error) {
	if len(groups) == 0 {
		return MapPanel{}, fmt.Errorf("plots: t-SNE map %q: no embeddings", title)
	}
	d := groups[0].Dim
	var x []float32
	for _, g := range groups {
		if g.Dim != d || d < 1 || len(g.Vecs)%d != 0 {
			return MapPanel{}, fmt.Errorf("plots: t-SNE map %q: %s %ss have dimension %d and %d values; the first group has dimension %d", title, g.Domain, g.Modality, g.Dim, len(g.Vecs), d)
		}
		if g.Thumbs != nil && len(g.Thumbs) != len(g.Vecs)/d {
			return MapPanel{}, fmt.Errorf("plots: t-SNE map %q: %s %ss: %d thumbnails for %d vectors", title, g.Domain, g.Modality, len(g.Thumbs), len(g.Vecs)/d)
		}
		x = append(x, g.Vecs...)
	}
	opt.Dims = 2
	res, err := tsne.Embed(x, len(x)/d, d, opt)
	if err != nil {
		return MapPanel{}, fmt.Errorf("plots: t-SNE map %q: %w", title, err)
	}
	p := MapPanel{Title: title, KL: res.KL}
	off := 0
	for _, g := range groups {
		n := len(g.Vecs) / d
		p.Groups = append(p.Groups, MapGroup{Domain: g.Domain, Modality: g.Modality,
			XY: res.Y[2*off : 2*(off+n)], Thumbs: g.Thumbs})
		off += n
	}
	return p, nil
}

// MapOptions control MapFigure.
type MapOptions struct {
	// Width and Height of the figure; 0 means DoubleColumn × 3.6 in (two
	// panels side by side).
	Width, Height vg.Length
	// Thumbs is the number of points per panel drawn as their picture
	// (from MapGroup.Thumbs), chosen at random but spread apart; 0 draws
	// none.
	Thumbs int
	// ThumbSize is the side of a thumbnail; 0 means 12 pt at double-column
	// width, scaled down with the panel width (at least 8 pt).
	ThumbSize vg.Length
	// MarkerSize is the radius of a marker; 0 means 1.6 pt at
	// double-column width, scaled down with the panel width (at least
	// 0.9 pt).
	MarkerSize vg.Length
	// Seed fixes the drawing order of the points (shuffled, so no group
	// hides another) and the choice of thumbnails.
	Seed uint64
	// Caption is printed under the panels.
	Caption string
}

// MapFigure draws t-SNE maps side by side, e.g. before and after
// adaptation: colour is the domain (the same domain label gets the same
// colour in every panel, in the order of first appearance), marker shape
// the modality (circle image, triangle sentence). The axes of a t-SNE
// map carry no meaning, so they are hidden and each map is framed.
func MapFigure(panels []MapPanel, opt MapOptions) (*Figure, error) {
	if len(panels) == 0 {
		return nil, fmt.Errorf("plots: no t-SNE maps to draw")
	}
	if opt.Width == 0 {
		opt.Width = DoubleColumn
	}
	if opt.Height == 0 {
		opt.Height = 3.6 * vg.Inch
	}
	// panel size, roughly: the width shared by the panels, the height
	// less the legend and title
	panelW := opt.Width/vg.Length(len(panels)) - vg.Points(14)
	panelH := opt.Height - vg.Points(40)
	scale := float64(panelW / (DoubleColumn/2 - vg.Points(14)))
	if opt.ThumbSize == 0 {
		opt.ThumbSize = max(vg.Points(12*min(scale, 1)), vg.Points(8))
	}
	if opt.MarkerSize == 0 {
		opt.MarkerSize = max(vg.Points(1.6*min(scale, 1)), vg.Points(0.9))
	}
	domains := map[string]int{}
	var order []string
	seen := map[[2]int]bool{}
	for _, p := range panels {
		for _, g := range p.Groups {
			if _, ok := domains[g.Domain]; !ok {
				domains[g.Domain] = len(order)
				order = append(order, g.Domain)
			}
			seen[[2]int{domains[g.Domain], int(g.Modality)}] = true
			if len(g.XY)%2 != 0 {
				return nil, fmt.Errorf("plots: t-SNE map %q: %s %ss have %d coordinates, not pairs", p.Title, g.Domain, g.Modality, len(g.XY))
			}
		}
	}
	glyph := func(dom int, m Modality) draw.GlyphStyle {
		c := Color(dom)
		c.A = 0xd0
		gs := draw.GlyphStyle{Color: c, Radius: opt.MarkerSize, Shape: draw.CircleGlyph{}}
		if m == Sentence {
			gs.Shape, gs.Radius = draw.PyramidGlyph{}, opt.MarkerSize*1.2
		}
		return gs
	}
	fig := &Figure{Width: opt.Width, Height: opt.Height, Caption: opt.Caption}
	for d, name := range order {
		for _, m := range []Modality{Image, Sentence} {
			if seen[[2]int{d, int(m)}] {
				gs := glyph(d, m)
				gs.Radius = max(gs.Radius*1.4, vg.Points(2.2))
				fig.Legend = append(fig.Legend, LegendEntry{Label: name + " " + m.String() + "s", Thumb: glyphThumb(gs)})
			}
		}
	}
	for k, p := range panels {
		pl := newPanel(p.Title, "", "", false)
		pl.HideAxes()
		pts := &mapPoints{}
		var cands [][]thumb
		for _, g := range p.Groups {
			gs := glyph(domains[g.Domain], g.Modality)
			var tc []thumb
			for i := range len(g.XY) / 2 {
				pts.x = append(pts.x, g.XY[2*i])
				pts.y = append(pts.y, g.XY[2*i+1])
				pts.style = append(pts.style, gs)
				if i < len(g.Thumbs) && g.Thumbs[i] != nil {
					tc = append(tc, thumb{g.XY[2*i], g.XY[2*i+1], g.Thumbs[i], Color(domains[g.Domain])})
				}
			}
			cands = append(cands, tc)
		}
		if len(pts.x) == 0 {
			return nil, fmt.Errorf("plots: t-SNE map %q has no points", p.Title)
		}
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(k)))
		pts.order = rng.Perm(len(pts.x))
		pl.Add(frame{}, pts)
		// A margin inside the frame, so no marker or thumbnail touches it.
		xmin, xmax, ymin, ymax := pts.DataRange()
		mx, my := 0.06*max(xmax-xmin, 1e-9), 0.06*max(ymax-ymin, 1e-9)
		pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = xmin-mx, xmax+mx, ymin-my, ymax+my
		if opt.Thumbs > 0 {
			sep := 1.3 * opt.ThumbSize
			pl.Add(&thumbs{pts: pickThumbs(cands, opt.Thumbs, pts, float64(sep/panelW), float64(sep/panelH), rng), size: opt.ThumbSize})
		}
		fig.Panels = append(fig.Panels, pl)
	}
	return fig, nil
}

// glyphThumb is a legend mark drawing one glyph.
type glyphThumb draw.GlyphStyle

func (g glyphThumb) Thumbnail(c *draw.Canvas) { c.DrawGlyph(draw.GlyphStyle(g), c.Center()) }

// mapPoints draws many glyphs, each with its own style, in a fixed
// shuffled order.
type mapPoints struct {
	x, y  []float64
	style []draw.GlyphStyle
	order []int
}

func (m *mapPoints) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	for _, i := range m.order {
		c.DrawGlyph(m.style[i], vg.Point{X: tx(m.x[i]), Y: ty(m.y[i])})
	}
}

func (m *mapPoints) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range m.x {
		xmin, xmax = min(xmin, m.x[i]), max(xmax, m.x[i])
		ymin, ymax = min(ymin, m.y[i]), max(ymax, m.y[i])
	}
	return
}

// GlyphBoxes keeps the outermost markers inside the frame.
func (m *mapPoints) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	xmin, xmax, ymin, ymax := m.DataRange()
	r := m.style[0].Radius * 2.5
	box := vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}}
	var bs []plot.GlyphBox
	for _, pt := range [][2]float64{{xmin, ymin}, {xmax, ymax}} {
		bs = append(bs, plot.GlyphBox{X: p.X.Norm(pt[0]), Y: p.Y.Norm(pt[1]), Rectangle: box})
	}
	return bs
}

// frame strokes a thin grey border around the data area.
type frame struct{}

func (frame) Plot(c draw.Canvas, _ *plot.Plot) {
	c.StrokeLines(draw.LineStyle{Color: color.Gray{0xa0}, Width: vg.Points(0.5)},
		[]vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}, c.Min})
}

type thumb struct {
	x, y float64
	img  image.Image
	col  color.Color
}

// pickThumbs chooses up to n thumbnails, taking the groups in turn (each
// in random order) and skipping a point whose thumbnail would overlap one
// already chosen: closer than sepX of the map's width and sepY of its
// height in both directions.
func pickThumbs(cands [][]thumb, n int, pts *mapPoints, sepX, sepY float64, rng *rand.Rand) []thumb {
	xmin, xmax, ymin, ymax := pts.DataRange()
	sx, sy := max(xmax-xmin, 1e-12), max(ymax-ymin, 1e-12)
	for _, c := range cands {
		rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	}
	var out []thumb
	for round := 0; len(out) < n; round++ {
		left := false
		for _, c := range cands {
			if round >= len(c) || len(out) >= n {
				continue
			}
			left = true
			t := c[round]
			ok := true
			for _, o := range out {
				if math.Abs(t.x-o.x)/sx < sepX && math.Abs(t.y-o.y)/sy < sepY {
					ok = false
					break
				}
			}
			if ok {
				out = append(out, t)
			}
		}
		if !left {
			break
		}
	}
	return out
}

// thumbs draws pictures centred on their points, on a white tile framed
// in the domain's colour.
type thumbs struct {
	pts  []thumb
	size vg.Length
}

func (t *thumbs) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	for _, th := range t.pts {
		ctr := vg.Point{X: tx(th.x), Y: ty(th.y)}
		h := t.size / 2
		r := vg.Rectangle{Min: vg.Point{X: ctr.X - h, Y: ctr.Y - h}, Max: vg.Point{X: ctr.X + h, Y: ctr.Y + h}}
		pad := vg.Points(1)
		outer := vg.Rectangle{Min: vg.Point{X: r.Min.X - pad, Y: r.Min.Y - pad}, Max: vg.Point{X: r.Max.X + pad, Y: r.Max.Y + pad}}
		c.SetColor(color.White)
		c.Fill(outer.Path())
		c.DrawImage(r, th.img)
		c.StrokeLines(draw.LineStyle{Color: th.col, Width: vg.Points(0.8)},
			[]vg.Point{outer.Min, {X: outer.Max.X, Y: outer.Min.Y}, outer.Max, {X: outer.Min.X, Y: outer.Max.Y}, outer.Min})
	}
}

// GlyphBoxes keeps thumbnails inside the frame.
func (t *thumbs) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	h := t.size/2 + vg.Points(1.5)
	var bs []plot.GlyphBox
	for _, th := range t.pts {
		bs = append(bs, plot.GlyphBox{X: p.X.Norm(th.x), Y: p.Y.Norm(th.y),
			Rectangle: vg.Rectangle{Min: vg.Point{X: -h, Y: -h}, Max: vg.Point{X: h, Y: h}}})
	}
	return bs
}
