package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/text/encoding/charmap"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"aeir/internal/atomicfile"
)

// DefaultDPI is the resolution of PNG output: print quality.
const DefaultDPI = 300

// Figure is a grid of panels under one shared legend strip, the layout
// of every figure in this package. It draws at any size and encodes to
// PNG, SVG or PDF; the same Figure always encodes to the same bytes.
type Figure struct {
	Width, Height vg.Length
	// DPI is the PNG resolution; 0 means DefaultDPI.
	DPI int
	// Cols is the number of panels per row; 0 puts all in one row.
	Cols   int
	Panels []*plot.Plot
	// Legend is drawn once, centred above the panels, wrapping into as
	// many rows as the width needs, so it never covers data.
	Legend []LegendEntry
	// Caption, if not empty, is printed small under the panels (for
	// example the command or settings that made the figure).
	Caption string
}

// LegendEntry is one item of a Figure's legend: a sample of the series'
// mark (a plotter, or any plot.Thumbnailer) and its label.
type LegendEntry struct {
	Label string
	Thumb plot.Thumbnailer
}

const (
	legendThumb = 13 // points
	legendGap   = 3
	legendSep   = 10
	legendPad   = 3
)

func textStyle(size float64, xa draw.XAlignment, ya draw.YAlignment) draw.TextStyle {
	return draw.TextStyle{Color: color.Black, Font: fontOf(size), XAlign: xa, YAlign: ya, Handler: plot.DefaultTextHandler}
}

// legendRows splits the legend into rows that fit width w and returns
// each row's entries and width.
func (f *Figure) legendRows(w vg.Length) (rows [][]LegendEntry, widths []vg.Length) {
	st := textStyle(sizeLegend, draw.XLeft, draw.YCenter)
	var row []LegendEntry
	var rw vg.Length
	for _, e := range f.Legend {
		ew := vg.Points(legendThumb+legendGap) + st.Width(e.Label)
		add := ew
		if len(row) > 0 {
			add += vg.Points(legendSep)
		}
		if len(row) > 0 && rw+add > w {
			rows, widths = append(rows, row), append(widths, rw)
			row, rw, add = nil, 0, ew
		}
		row = append(row, e)
		rw += add
	}
	if len(row) > 0 {
		rows, widths = append(rows, row), append(widths, rw)
	}
	return rows, widths
}

func rowHeight() vg.Length { return vg.Points(sizeLegend * 1.45) }

// Draw draws the figure on c: white background, legend strip, panels
// aligned so that their axes line up, then the caption.
func (f *Figure) Draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	top := c.Max.Y
	if len(f.Legend) > 0 {
		rows, widths := f.legendRows(c.Max.X - c.Min.X - vg.Points(2*legendPad))
		st := textStyle(sizeLegend, draw.XLeft, draw.YCenter)
		y := top - vg.Points(legendPad) - rowHeight()/2
		for r, row := range rows {
			x := c.Min.X + (c.Max.X-c.Min.X-widths[r])/2
			for _, e := range row {
				th := vg.Points(legendThumb)
				tc := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
					Min: vg.Point{X: x, Y: y - rowHeight()/2 + vg.Points(1.5)},
					Max: vg.Point{X: x + th, Y: y + rowHeight()/2 - vg.Points(1.5)}}}
				e.Thumb.Thumbnail(&tc)
				x += th + vg.Points(legendGap)
				c.FillText(st, vg.Point{X: x, Y: y}, e.Label)
				x += st.Width(e.Label) + vg.Points(legendSep)
			}
			y -= rowHeight()
		}
		top -= vg.Length(len(rows))*rowHeight() + vg.Points(2*legendPad)
	}
	bottom := c.Min.Y
	if f.Caption != "" {
		st := textStyle(sizeTick, draw.XCenter, draw.YBottom)
		c.FillText(st, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: bottom + vg.Points(2)}, f.Caption)
		bottom += st.Height(f.Caption) + vg.Points(4)
	}
	if len(f.Panels) == 0 {
		return
	}
	cols := f.Cols
	if cols <= 0 {
		cols = len(f.Panels)
	}
	nrows := (len(f.Panels) + cols - 1) / cols
	// Titles are drawn by the figure, in a band above each row, not by
	// the plots: plot.Align lines up the data areas, and a plot's own
	// title would then float higher or lower with its tick labels.
	titleSt := textStyle(sizeTitle, draw.XCenter, draw.YBottom)
	band := vg.Length(0)
	for _, p := range f.Panels {
		if p.Title.Text != "" {
			band = max(band, titleSt.Height(p.Title.Text)+vg.Points(0.6*sizeTick+3))
		}
	}
	grid := make([][]*plot.Plot, nrows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for k := range cols {
			if i := r*cols + k; i < len(f.Panels) {
				cp := *f.Panels[i]
				cp.Title.Text = ""
				grid[r][k] = &cp
			} else {
				grid[r][k] = plot.New() // an empty cell keeps the grid rectangular
				grid[r][k].HideAxes()
			}
		}
	}
	area := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: bottom}, Max: vg.Point{X: c.Max.X, Y: top}}}
	tiles := draw.Tiles{Rows: nrows, Cols: cols, PadX: vg.Points(10), PadY: vg.Points(8) + band,
		PadLeft: vg.Points(2), PadRight: vg.Points(4), PadTop: vg.Points(1) + band, PadBottom: vg.Points(1)}
	cv := plot.Align(grid, tiles, area)
	if band > 0 {
		// Align may leave more room above the first row than its titles
		// need; give it back to the panels.
		rowTop := vg.Length(math.Inf(-1))
		for k := range grid[0] {
			rowTop = max(rowTop, grid[0][k].DataCanvas(cv[0][k]).Max.Y)
		}
		if slack := area.Max.Y - (rowTop + band) - vg.Points(1); slack > vg.Points(0.5) {
			tiles.PadTop = max(0, tiles.PadTop-slack)
			cv = plot.Align(grid, tiles, area)
		}
	}
	for r := range grid {
		// the titles of a row share one baseline: above the highest data
		// area, clear of a tick label centred on its top edge
		var dcs []draw.Canvas
		rowTop := vg.Length(math.Inf(-1))
		for k := range grid[r] {
			dc := grid[r][k].DataCanvas(cv[r][k])
			dcs = append(dcs, dc)
			rowTop = max(rowTop, dc.Max.Y)
		}
		for k := range grid[r] {
			i := r*cols + k
			if i >= len(f.Panels) {
				continue
			}
			grid[r][k].Draw(cv[r][k])
			if t := f.Panels[i].Title.Text; t != "" {
				st := titleSt
				st.Font = f.Panels[i].Title.TextStyle.Font
				c.FillText(st, vg.Point{X: (dcs[k].Min.X + dcs[k].Max.X) / 2, Y: rowTop + vg.Points(0.6*sizeTick+3)}, t)
			}
		}
	}
}

// FormatOf returns "png", "svg" or "pdf" from path's extension, or an
// error naming the path and the extensions understood.
func FormatOf(path string) (string, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".png", ".svg", ".pdf":
		return ext[1:], nil
	case "":
		return "", fmt.Errorf("plots: %s: no file extension: end the name in .png, .svg or .pdf", path)
	}
	return "", fmt.Errorf("plots: %s: unknown figure format %q: use .png, .svg or .pdf", path, ext)
}

// Encode writes the figure to w as format "png", "svg" or "pdf".
func (f *Figure) Encode(w io.Writer, format string) error {
	if !(f.Width > 0 && f.Height > 0) {
		return fmt.Errorf("plots: figure size %v × %v", f.Width, f.Height)
	}
	var cw vg.CanvasWriterTo
	switch format {
	case "png":
		dpi := f.DPI
		if dpi <= 0 {
			dpi = DefaultDPI
		}
		cw = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(dpi))}
	case "svg":
		cw = vgsvg.New(f.Width, f.Height)
	case "pdf":
		cw = newPDF(f.Width, f.Height)
	default:
		return fmt.Errorf("plots: unknown figure format %q: use png, svg or pdf", format)
	}
	f.Draw(draw.New(cw))
	_, err := cw.WriteTo(w)
	return err
}

// Save writes the figure to path in the format of its extension (.png,
// .svg or .pdf), through a temporary file renamed into place, so a
// failure leaves no partial figure behind.
func (f *Figure) Save(path string) error {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Encode(&buf, format); err != nil {
		return fmt.Errorf("plots: %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}

// PDF determinism. fpdf stamps /CreationDate and /ModDate with the
// current time and writes its font and image catalogues in map order;
// both are package defaults of fpdf, which vgpdf gives no access to, so
// they are set once, before the first PDF: catalogues sorted, and both
// dates fixed at SOURCE_DATE_EPOCH (the reproducible-builds convention)
// or, without it, 2024-01-01 00:00 UTC. Other PDFs the process writes
// through fpdf get the same defaults.
var pdfOnce sync.Once

func pdfDate() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil && sec > 0 {
			return time.Unix(sec, 0).UTC()
		}
	}
	return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
}

// pdfCanvas is vgpdf's canvas with two fixes:
//
//   - text is converted to Windows-1252, the encoding vgpdf declares for
//     its fonts (vgpdf passes Go's UTF-8 bytes through unchanged, which
//     prints "×" as "Ã—");
//   - images are collected and drawn at the end as one image: fpdf's
//     "sorted" image catalogue sorts only by pixel width, so several
//     images of the same width come out in map order and the bytes change
//     from run to run. The images (thumbnails) are composited, scaled by
//     nearest neighbour, into one transparent raster over their bounding
//     box, so they end up above everything else drawn. vgpdf also draws
//     images upside down (its page flip applies to them), so the raster
//     is handed over flipped.
type pdfCanvas struct {
	*vgpdf.Canvas
	imgs *[]placedImage
}

type placedImage struct {
	r   vg.Rectangle
	img image.Image
}

func newPDF(w, h vg.Length) pdfCanvas {
	pdfOnce.Do(func() {
		fpdf.SetDefaultCatalogSort(true)
		fpdf.SetDefaultCreationDate(pdfDate())
		fpdf.SetDefaultModificationDate(pdfDate())
	})
	return pdfCanvas{Canvas: vgpdf.New(w, h), imgs: new([]placedImage)}
}

func (c pdfCanvas) DrawImage(r vg.Rectangle, img image.Image) {
	*c.imgs = append(*c.imgs, placedImage{r, img})
}

func (c pdfCanvas) WriteTo(w io.Writer) (int64, error) {
	if len(*c.imgs) > 0 {
		r, img := composite(*c.imgs)
		c.Canvas.DrawImage(r, img)
	}
	return c.Canvas.WriteTo(w)
}

// composite paints the images into one raster covering their bounding
// box, at twice the finest resolution among them (at most 4096 pixels a
// side), and returns it upside down for vgpdf.
func composite(ps []placedImage) (vg.Rectangle, image.Image) {
	bb := ps[0].r
	res := 0.0 // raster pixels per point
	for _, p := range ps {
		bb.Min.X, bb.Min.Y = min(bb.Min.X, p.r.Min.X), min(bb.Min.Y, p.r.Min.Y)
		bb.Max.X, bb.Max.Y = max(bb.Max.X, p.r.Max.X), max(bb.Max.Y, p.r.Max.Y)
		if w := p.r.Max.X - p.r.Min.X; w > 0 {
			res = max(res, 2*float64(p.img.Bounds().Dx())/w.Points())
		}
	}
	bw, bh := (bb.Max.X - bb.Min.X).Points(), (bb.Max.Y - bb.Min.Y).Points()
	res = min(max(res, 1), 4096/max(bw, bh, 1))
	W, H := int(math.Ceil(bw*res)), int(math.Ceil(bh*res))
	dst := image.NewNRGBA(image.Rect(0, 0, max(W, 1), max(H, 1)))
	for _, p := range ps {
		x0 := int(math.Round((p.r.Min.X - bb.Min.X).Points() * res))
		x1 := int(math.Round((p.r.Max.X - bb.Min.X).Points() * res))
		y0 := H - int(math.Round((p.r.Max.Y-bb.Min.Y).Points()*res)) // raster rows grow downwards
		y1 := H - int(math.Round((p.r.Min.Y-bb.Min.Y).Points()*res))
		xdraw.NearestNeighbor.Scale(dst, image.Rect(x0, y0, x1, y1), p.img, p.img.Bounds(), xdraw.Over, nil)
	}
	flipped := image.NewNRGBA(dst.Rect)
	for y := range dst.Rect.Dy() {
		copy(flipped.Pix[y*flipped.Stride:(y+1)*flipped.Stride], dst.Pix[(dst.Rect.Dy()-1-y)*dst.Stride:(dst.Rect.Dy()-y)*dst.Stride])
	}
	return bb, flipped
}

func (c pdfCanvas) FillString(f font.Face, pt vg.Point, s string) {
	c.Canvas.FillString(f, pt, toCP1252(s))
}

// cp1252Fallback spells characters outside Windows-1252 that figures use.
var cp1252Fallback = map[rune]string{
	'→': "->", '←': "<-", '↔': "<->", '−': "-", '≤': "<=", '≥': ">=", '≈': "~",
	'θ': "theta", 'α': "alpha", 'β': "beta", 'λ': "lambda", 'μ': "\xb5", 'σ': "sigma",
	'✓': "v", '✗': "x",
}

func toCP1252(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	enc := charmap.Windows1252
	var b strings.Builder
	for _, r := range s {
		if c, ok := enc.EncodeRune(r); ok {
			b.WriteByte(c)
		} else if fb, ok := cp1252Fallback[r]; ok {
			b.WriteString(fb)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}
