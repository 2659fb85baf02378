// Package display is the rich-output API of the AEIR Go kernel, the same
// as gophernotes' "display" package, so that notebooks written for
// gophernotes run unchanged: in a cell, display.HTML("<b>hi</b>") or
// display.PNG(bytes) make a Data value; a cell whose last expression is a
// Data (or anything Auto can render) shows it, and Display(data) shows it
// at once, in the middle of a cell.
//
// The package is importable in cells as "display" (pre-imported),
// "github.com/gopherdata/gophernotes" and "aeir/kernel/display".
//
// Beyond gophernotes, Auto renders gonum/plot figures (*plot.Plot) as PNG
// and gota DataFrames as an HTML table, Show(x) displays anything Auto can
// render, and Context() is the running cell's context, which the kernel
// cancels when the user interrupts the cell.
package display

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"strings"

	"aeir/kernel/internal/cellctx"
)

// MIME types understood by Jupyter front ends.
const (
	MIMETypeHTML       = "text/html"
	MIMETypeJavaScript = "application/javascript"
	MIMETypeJPEG       = "image/jpeg"
	MIMETypeJSON       = "application/json"
	MIMETypeLatex      = "text/latex"
	MIMETypeMarkdown   = "text/markdown"
	MIMETypePNG        = "image/png"
	MIMETypePDF        = "application/pdf"
	MIMETypeSVG        = "image/svg+xml"
	MIMETypeText       = "text/plain"
)

// MIMEMap maps a MIME type to the data in that format. Jupyter wants a
// "text/plain" entry in every bundle; the constructors here add one.
type MIMEMap = map[string]interface{}

// Data is one display bundle: what a display_data or execute_result
// message carries. It is an alias of an unnamed struct, as in gophernotes,
// so that a library can return it without importing this package.
type Data = struct {
	Data      MIMEMap
	Metadata  MIMEMap
	Transient MIMEMap
}

// Renderer is implemented by values that describe their own display in
// full, in any number of formats.
type Renderer interface {
	Render() Data
}

// SimpleRenderer is implemented by values that give a MIME bundle.
type SimpleRenderer interface {
	SimpleRender() MIMEMap
}

// The one-format interfaces. A value implementing several shows every
// format it offers; the front end picks the richest it supports.
type (
	HTMLer       interface{ HTML() string }
	JavaScripter interface{ JavaScript() string }
	JPEGer       interface{ JPEG() []byte }
	JSONer       interface{ JSON() map[string]interface{} }
	Latexer      interface{ Latex() string }
	Markdowner   interface{ Markdown() string }
	PNGer        interface{ PNG() []byte }
	PDFer        interface{ PDF() []byte }
	SVGer        interface{ SVG() string }
)

// MakeData returns a bundle holding data under mimeType, with its
// fmt.Sprint form as the plain-text fallback.
func MakeData(mimeType string, data interface{}) Data {
	d := Data{Data: MIMEMap{mimeType: data}}
	if mimeType != MIMETypeText {
		d.Data[MIMETypeText] = plainText(mimeType, data)
	}
	return d
}

// MakeData3 returns a bundle holding data under mimeType and the given
// plain-text fallback.
func MakeData3(mimeType string, plaintext string, data interface{}) Data {
	return Data{Data: MIMEMap{MIMETypeText: plaintext, mimeType: data}}
}

// MIME returns a bundle made of the given data and metadata maps.
func MIME(data, metadata MIMEMap) Data {
	return Data{Data: data, Metadata: metadata}
}

// HTML returns a text/html bundle.
func HTML(html string) Data { return MakeData(MIMETypeHTML, html) }

// JavaScript returns an application/javascript bundle.
func JavaScript(javascript string) Data { return MakeData(MIMETypeJavaScript, javascript) }

// JPEG returns an image/jpeg bundle of encoded JPEG bytes.
func JPEG(jpeg []byte) Data { return MakeData(MIMETypeJPEG, jpeg) }

// JSON returns an application/json bundle.
func JSON(json map[string]interface{}) Data { return MakeData(MIMETypeJSON, json) }

// Latex returns a text/latex bundle of inline math.
func Latex(latex string) Data {
	return MakeData3(MIMETypeLatex, latex, "$"+strings.Trim(latex, "$")+"$")
}

// Math returns a text/latex bundle of display math.
func Math(latex string) Data {
	return MakeData3(MIMETypeLatex, latex, "$$"+strings.Trim(latex, "$")+"$$")
}

// Markdown returns a text/markdown bundle.
func Markdown(markdown string) Data { return MakeData(MIMETypeMarkdown, markdown) }

// PDF returns an application/pdf bundle.
func PDF(pdf []byte) Data { return MakeData(MIMETypePDF, pdf) }

// PNG returns an image/png bundle of encoded PNG bytes.
func PNG(png []byte) Data { return MakeData(MIMETypePNG, png) }

// SVG returns an image/svg+xml bundle.
func SVG(svg string) Data { return MakeData(MIMETypeSVG, svg) }

// Image encodes img as PNG and returns the bundle, with its size as
// metadata; on an encoding error the bundle shows the error.
func Image(img image.Image) Data {
	b, err := encodePNG(img)
	if err != nil {
		return errorData(err)
	}
	r := img.Bounds()
	return Data{
		Data: MIMEMap{
			MIMETypePNG:  b,
			MIMETypeText: fmt.Sprintf("image %dx%d", r.Dx(), r.Dy()),
		},
		Metadata: MIMEMap{MIMETypePNG: MIMEMap{"width": r.Dx(), "height": r.Dy()}},
	}
}

// File reads the file at path and returns it as a bundle of mimeType
// (detected from the content when empty). It panics if the file cannot be
// read, as in gophernotes: in a cell that is reported as the cell's error.
func File(mimeType string, path string) Data {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return Any(mimeType, b)
}

// Any returns the richest bundle for data: a renderable value (see Auto)
// is rendered; a string is stored under mimeType; bytes, an io.Reader or
// an io.WriterTo are read and stored under mimeType, or under the type
// http.DetectContentType finds when mimeType is empty.
func Any(mimeType string, data interface{}) Data {
	if d, ok := rich(data); ok {
		return d
	}
	var (
		s   string
		b   []byte
		err error
	)
	switch v := data.(type) {
	case string:
		s = v
	case []byte:
		b = v
	case io.Reader:
		b, err = io.ReadAll(v)
	case io.WriterTo:
		var buf bytes.Buffer
		_, err = v.WriteTo(&buf)
		b = buf.Bytes()
	default:
		return MakeData(MIMETypeText, fmt.Sprint(data))
	}
	if err != nil {
		return errorData(err)
	}
	d := Data{Data: MIMEMap{}}
	if s != "" {
		if mimeType == "" {
			mimeType = MIMETypeText
		}
		d.Data[mimeType] = s
		if mimeType != MIMETypeText {
			d.Data[MIMETypeText] = s
		}
		return d
	}
	if mimeType == "" {
		mimeType = http.DetectContentType(b)
		if i := strings.IndexByte(mimeType, ';'); i >= 0 {
			mimeType = mimeType[:i]
		}
	}
	if strings.HasPrefix(mimeType, "text/") || mimeType == MIMETypeSVG || mimeType == MIMETypeJavaScript {
		d.Data[mimeType] = string(b)
	} else {
		d.Data[mimeType] = b
	}
	if _, ok := d.Data[MIMETypeText]; !ok {
		d.Data[MIMETypeText] = fmt.Sprintf("%s, %d bytes", mimeType, len(b))
	}
	return d
}

// Auto returns the richest bundle for data, detecting its type: a Data,
// the renderer interfaces above, an image.Image (PNG), a *plot.Plot (PNG),
// a gota DataFrame (HTML table) or anything Any accepts.
func Auto(data interface{}) Data { return Any("", data) }

// Context returns the context of the running cell. The kernel cancels it
// when the user interrupts the cell (the ■ button, interrupt_request,
// SIGINT), and the next cell gets a fresh one. Interpreted code stops at
// its next statement on an interrupt anyway; pass Context to compiled code
// that runs long so that it stops too:
//
//	err := trainer.RunContext(display.Context())
//
// Call it in the cell that does the work: a context kept from an earlier,
// interrupted cell stays cancelled. Outside the kernel it is a context
// that is never cancelled.
func Context() context.Context { return cellctx.Current() }

// Show displays data now, rendered as Auto does, below the running cell.
func Show(data interface{}) error { return Display(Auto(data)) }

// Display sends a bundle to the front end now, below the running cell.
// Outside a running cell it returns an error.
func Display(d Data) error {
	p := publisher
	if p == nil {
		return errNoFrontEnd
	}
	return p(complete(d))
}

var errNoFrontEnd = errors.New("display: no Jupyter front end (not running inside the kernel)")

// publisher is set by the kernel while a cell runs.
var publisher func(Data) error

// SetPublisher installs the function that sends bundles to the front end
// and returns the previous one. It is the kernel's; cells need not call it.
func SetPublisher(p func(Data) error) func(Data) error {
	old := publisher
	publisher = p
	return old
}

// complete makes sure a bundle has a plain-text entry and non-nil maps.
func complete(d Data) Data {
	if d.Data == nil {
		d.Data = MIMEMap{}
	}
	if _, ok := d.Data[MIMETypeText]; !ok {
		d.Data[MIMETypeText] = ""
	}
	if d.Metadata == nil {
		d.Metadata = MIMEMap{}
	}
	if d.Transient == nil {
		d.Transient = MIMEMap{}
	}
	return d
}

func plainText(mimeType string, data interface{}) string {
	switch v := data.(type) {
	case string:
		return v
	case []byte:
		return fmt.Sprintf("%s, %d bytes", mimeType, len(v))
	}
	return fmt.Sprint(data)
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// errorData is a bundle that shows err as text.
func errorData(err error) Data {
	return Data{Data: MIMEMap{MIMETypeText: "display error: " + err.Error()}}
}
