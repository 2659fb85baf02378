package display

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"image/png"
	"io"
	"reflect"
	"strings"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// PlotWidth and PlotHeight are the size at which Auto draws a figure
// (96 dpi: 6×4 in is 576×384 px). Cells may change them.
var (
	PlotWidth  = 6 * vg.Inch
	PlotHeight = 4 * vg.Inch
)

// MaxRows is how many rows of a DataFrame the HTML table shows; a longer
// frame shows its first and last rows around an ellipsis row.
var MaxRows = 40

// Figure is implemented by *plot.Plot and by any figure type that draws
// itself the same way; Auto renders it as PNG.
type Figure interface {
	WriterTo(w, h vg.Length, format string) (io.WriterTo, error)
}

// Encoder is implemented by figures that encode themselves in a named
// format, such as aeir/plots.Figure; Auto renders them as PNG. When the
// value is a struct (or a pointer to one) with Width and Height fields of
// type vg.Length, the PNG is shown at that size at 96 dpi, however many
// pixels it has (a 300-dpi figure stays sharp and fits the page).
type Encoder interface {
	Encode(w io.Writer, format string) error
}

// EncodedFigure renders a self-encoding figure as PNG.
func EncodedFigure(f Encoder) Data {
	var buf bytes.Buffer
	if err := f.Encode(&buf, "png"); err != nil {
		return errorData(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return errorData(err)
	}
	w, h := cfg.Width, cfg.Height
	if fw, fh, ok := lengthFields(f); ok && fw > 0 && fh > 0 {
		w, h = int(fw.Dots(96)+0.5), int(fh.Dots(96)+0.5)
	}
	return Data{
		Data:     MIMEMap{MIMETypePNG: buf.Bytes(), MIMETypeText: fmt.Sprintf("figure %dx%d", w, h)},
		Metadata: MIMEMap{MIMETypePNG: MIMEMap{"width": w, "height": h}},
	}
}

// lengthFields reads the Width and Height fields of a figure struct.
func lengthFields(x interface{}) (w, h vg.Length, ok bool) {
	v := reflect.ValueOf(x)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return 0, 0, false
	}
	lt := reflect.TypeOf(vg.Length(0))
	fw, fh := v.FieldByName("Width"), v.FieldByName("Height")
	if !fw.IsValid() || !fh.IsValid() || fw.Type() != lt || fh.Type() != lt {
		return 0, 0, false
	}
	return vg.Length(fw.Float()), vg.Length(fh.Float()), true
}

// Plot renders a figure as PNG at w×h (PlotWidth×PlotHeight when zero).
func Plot(p Figure, w, h vg.Length) Data {
	if w <= 0 {
		w = PlotWidth
	}
	if h <= 0 {
		h = PlotHeight
	}
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return errorData(err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return errorData(err)
	}
	text := "figure"
	if pp, ok := p.(*plot.Plot); ok && pp.Title.Text != "" {
		text = fmt.Sprintf("figure %q", pp.Title.Text)
	}
	return Data{
		Data: MIMEMap{MIMETypePNG: buf.Bytes(), MIMETypeText: text},
		Metadata: MIMEMap{MIMETypePNG: MIMEMap{
			"width":  int(w.Dots(96) + 0.5),
			"height": int(h.Dots(96) + 0.5),
		}},
	}
}

// Table renders a gota DataFrame as an HTML table (with a plain-text
// copy), at most MaxRows rows.
func Table(df dataframe.DataFrame) Data {
	if df.Err != nil {
		return errorData(df.Err)
	}
	return Data{Data: MIMEMap{
		MIMETypeHTML: frameHTML(df, MaxRows),
		MIMETypeText: df.String(),
	}}
}

func frameHTML(df dataframe.DataFrame, maxRows int) string {
	var b strings.Builder
	rows, cols := df.Dims()
	names, types := df.Names(), df.Types()
	b.WriteString(`<table class="dataframe" border="1">` + "\n<thead><tr><th></th>")
	for j := 0; j < cols; j++ {
		fmt.Fprintf(&b, `<th>%s<br><small>%s</small></th>`, html.EscapeString(names[j]), html.EscapeString(string(types[j])))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	row := func(i int) {
		fmt.Fprintf(&b, "<tr><th>%d</th>", i)
		for j := 0; j < cols; j++ {
			e := df.Elem(i, j)
			s := "NaN"
			if !e.IsNA() {
				s = e.String()
			}
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(s))
		}
		b.WriteString("</tr>\n")
	}
	if maxRows < 2 {
		maxRows = 2
	}
	if rows <= maxRows {
		for i := 0; i < rows; i++ {
			row(i)
		}
	} else {
		head := maxRows - maxRows/4
		for i := 0; i < head; i++ {
			row(i)
		}
		fmt.Fprintf(&b, `<tr><th>…</th><td colspan="%d">%d more rows</td></tr>`+"\n", cols, rows-maxRows)
		for i := rows - (maxRows - head); i < rows; i++ {
			row(i)
		}
	}
	fmt.Fprintf(&b, "</tbody>\n</table>\n<p>%d rows × %d columns</p>\n", rows, cols)
	return b.String()
}

// AutoText is Auto with text as the plain-text form when x offers none
// of its own (the kernel passes the form of an interpreted value that x
// stands in for).
func AutoText(x interface{}, text string) Data {
	if d, ok := richText(x, text); ok {
		return d
	}
	return Auto(x)
}

// rich renders the values Auto knows; ok is false for anything else.
func rich(x interface{}) (d Data, ok bool) { return richText(x, "") }

func richText(x interface{}, text string) (d Data, ok bool) {
	switch v := x.(type) {
	case nil:
		return Data{}, false
	case Data:
		d, ok = v, true
	case *Data:
		if v != nil {
			d, ok = *v, true
		}
	case dataframe.DataFrame:
		return Table(v), true
	case *dataframe.DataFrame:
		if v != nil {
			return Table(*v), true
		}
	case series.Series:
		return Table(dataframe.New(v)), true
	case Figure:
		return Plot(v, 0, 0), true
	case Encoder:
		return EncodedFigure(v), true
	}
	if r, is := x.(Renderer); is {
		rd := r.Render()
		d.Data = merge(d.Data, rd.Data)
		d.Metadata = merge(d.Metadata, rd.Metadata)
		d.Transient = merge(d.Transient, rd.Transient)
		ok = true
	}
	if r, is := x.(SimpleRenderer); is {
		d.Data = merge(d.Data, r.SimpleRender())
		ok = true
	}
	set := func(mime string, v interface{}) {
		if d.Data == nil {
			d.Data = MIMEMap{}
		}
		d.Data[mime] = v
		ok = true
	}
	if r, is := x.(HTMLer); is {
		set(MIMETypeHTML, r.HTML())
	}
	if r, is := x.(JavaScripter); is {
		set(MIMETypeJavaScript, r.JavaScript())
	}
	if r, is := x.(JPEGer); is {
		set(MIMETypeJPEG, r.JPEG())
	}
	if r, is := x.(JSONer); is {
		set(MIMETypeJSON, r.JSON())
	}
	if r, is := x.(Latexer); is {
		set(MIMETypeLatex, r.Latex())
	}
	if r, is := x.(Markdowner); is {
		set(MIMETypeMarkdown, r.Markdown())
	}
	if r, is := x.(PNGer); is {
		set(MIMETypePNG, r.PNG())
	}
	if r, is := x.(PDFer); is {
		set(MIMETypePDF, r.PDF())
	}
	if r, is := x.(SVGer); is {
		set(MIMETypeSVG, r.SVG())
	}
	if img, is := x.(image.Image); is {
		id := Image(img)
		d.Data = merge(d.Data, id.Data)
		d.Metadata = merge(d.Metadata, id.Metadata)
		ok = true
	}
	if !ok {
		return Data{}, false
	}
	if d.Data == nil {
		d.Data = MIMEMap{}
	}
	if _, has := d.Data[MIMETypeText]; !has {
		if text == "" {
			text = shortText(x)
		}
		d.Data[MIMETypeText] = text
	}
	return d, true
}

// CanRender reports whether Auto gives x a rich (non-plain-text) display.
func CanRender(x interface{}) bool {
	_, ok := rich(x)
	return ok
}

func merge(a, b MIMEMap) MIMEMap {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = MIMEMap{}
	}
	for k, v := range b {
		a[k] = v
	}
	return a
}

// shortText is the plain-text fallback of a rich value, cut to a length
// a notebook can hold.
func shortText(x interface{}) string {
	const max = 2000
	s := fmt.Sprint(x)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
