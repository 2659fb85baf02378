package display

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

func ExampleHTML() {
	d := HTML("<b>bold</b>")
	fmt.Println(d.Data[MIMETypeHTML])
	fmt.Println(d.Data[MIMETypeText])
	// Output:
	// <b>bold</b>
	// <b>bold</b>
}

func ExampleAuto() {
	df := dataframe.New(series.New([]string{"a<b"}, series.String, "name"))
	d := Auto(df)
	fmt.Println(strings.Contains(d.Data[MIMETypeHTML].(string), "<td>a&lt;b</td>"))
	// Output: true
}

func TestMakeDataAddsPlainText(t *testing.T) {
	d := PNG([]byte{1, 2, 3})
	if d.Data[MIMETypeText] != "image/png, 3 bytes" {
		t.Errorf("text/plain = %q", d.Data[MIMETypeText])
	}
	if d := MakeData(MIMETypeText, "x"); len(d.Data) != 1 {
		t.Errorf("MakeData(text/plain) = %v", d.Data)
	}
}

func TestAnyDetectsPNG(t *testing.T) {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2, 2)))
	d := Any("", buf.Bytes())
	if _, ok := d.Data[MIMETypePNG]; !ok {
		t.Errorf("Any(png bytes) = %v", d.Data)
	}
	if d := Any(MIMETypeSVG, "<svg/>"); d.Data[MIMETypeSVG] != "<svg/>" {
		t.Errorf("Any(svg) = %v", d.Data)
	}
	if d := Any("", 3); d.Data[MIMETypeText] != "3" || len(d.Data) != 1 {
		t.Errorf("Any(3) = %v", d.Data)
	}
}

func TestAutoImage(t *testing.T) {
	d := Auto(image.NewRGBA(image.Rect(0, 0, 5, 4)))
	img, err := png.Decode(bytes.NewReader(d.Data[MIMETypePNG].([]byte)))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 5 || d.Data[MIMETypeText] != "image 5x4" {
		t.Errorf("image %v, text %q", img.Bounds(), d.Data[MIMETypeText])
	}
	meta := d.Metadata[MIMETypePNG].(MIMEMap)
	if meta["width"] != 5 || meta["height"] != 4 {
		t.Errorf("metadata = %v", meta)
	}
}

func TestAutoPlot(t *testing.T) {
	p := plot.New()
	p.Title.Text = "t"
	d := Auto(p)
	img, err := png.Decode(bytes.NewReader(d.Data[MIMETypePNG].([]byte)))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Dx(); got != 576 {
		t.Errorf("width %d px, want 576 (6 in at 96 dpi)", got)
	}
	d = Plot(p, 2*vg.Inch, vg.Inch)
	img, _ = png.Decode(bytes.NewReader(d.Data[MIMETypePNG].([]byte)))
	if img.Bounds().Dx() != 192 || img.Bounds().Dy() != 96 {
		t.Errorf("Plot(2in, 1in) is %v", img.Bounds())
	}
}

func TestTableTruncates(t *testing.T) {
	n := make([]int, 100)
	for i := range n {
		n[i] = i
	}
	df := dataframe.New(series.New(n, series.Int, "n"))
	h := Table(df).Data[MIMETypeHTML].(string)
	if len(regexp.MustCompile(`<tr><th>\d`).FindAllString(h, -1)) != MaxRows || !strings.Contains(h, "60 more rows") || !strings.Contains(h, "<td>99</td>") {
		t.Errorf("table of 100 rows:\n%s", h)
	}
	bad := dataframe.DataFrame{Err: fmt.Errorf("broken")}
	if got := Table(bad).Data[MIMETypeText]; got != "display error: broken" {
		t.Errorf("frame with error shows %q", got)
	}
}

type both struct{}

func (both) HTML() string     { return "<i>h</i>" }
func (both) Markdown() string { return "*m*" }
func (both) String() string   { return "both" }

type renderer struct{}

func (renderer) Render() Data {
	return Data{Data: MIMEMap{MIMETypeJSON: map[string]interface{}{"a": 1}}, Metadata: MIMEMap{"k": "v"}}
}

func TestRendererInterfaces(t *testing.T) {
	d := Auto(both{})
	if d.Data[MIMETypeHTML] != "<i>h</i>" || d.Data[MIMETypeMarkdown] != "*m*" || d.Data[MIMETypeText] != "both" {
		t.Errorf("Auto(both) = %v", d.Data)
	}
	d = Auto(renderer{})
	if d.Data[MIMETypeJSON] == nil || d.Metadata["k"] != "v" {
		t.Errorf("Auto(renderer) = %v", d)
	}
	if CanRender(3) || !CanRender(both{}) {
		t.Error("CanRender")
	}
}

func TestDisplayNeedsPublisher(t *testing.T) {
	if err := Display(HTML("x")); err == nil {
		t.Error("Display without a front end succeeded")
	}
	var got Data
	old := SetPublisher(func(d Data) error { got = d; return nil })
	defer SetPublisher(old)
	if err := Show(HTML("y")); err != nil {
		t.Fatal(err)
	}
	if got.Data[MIMETypeHTML] != "y" || got.Metadata == nil || got.Transient == nil {
		t.Errorf("published %v", got)
	}
}

// figure stands for aeir/plots.Figure: it encodes itself, at 2 px a point.
type figure struct {
	Width, Height vg.Length
}

func (f *figure) Encode(w io.Writer, format string) error {
	if format != "png" {
		return fmt.Errorf("format %q", format)
	}
	return png.Encode(w, image.NewGray(image.Rect(0, 0, int(2*f.Width), int(2*f.Height))))
}

func TestAutoEncodedFigure(t *testing.T) {
	d := Auto(&figure{Width: 72, Height: 36}) // 1 in × 0.5 in
	img, err := png.Decode(bytes.NewReader(d.Data[MIMETypePNG].([]byte)))
	if err != nil {
		t.Fatal(err)
	}
	meta := d.Metadata[MIMETypePNG].(MIMEMap)
	if img.Bounds().Dx() != 144 || meta["width"] != 96 || meta["height"] != 48 {
		t.Errorf("PNG %v, shown at %v", img.Bounds(), meta)
	}
}
