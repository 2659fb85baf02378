package formats

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sbinet/npyio/npy"
	"gonum.org/v1/gonum/mat"
)

// npy32 encodes rows (all the same length) as a 2-D float32 .npy with
// npyio.
func npy32(t testing.TB, rows [][]float32) []byte {
	rt := reflect.SliceOf(reflect.ArrayOf(len(rows[0]), reflect.TypeOf(float32(0))))
	v := reflect.MakeSlice(rt, len(rows), len(rows))
	for i, r := range rows {
		for j, x := range r {
			v.Index(i).Index(j).SetFloat(float64(x))
		}
	}
	var b bytes.Buffer
	if err := npy.Write(&b, v.Interface()); err != nil {
		fatal(t, err)
	}
	return b.Bytes()
}

// npy64 encodes rows as a 2-D float64 .npy with npyio (via mat.Dense).
func npy64(t testing.TB, rows [][]float64) []byte {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	var b bytes.Buffer
	if err := npy.Write(&b, m); err != nil {
		fatal(t, err)
	}
	return b.Bytes()
}

// npyAny encodes any value npyio can write (1-D slices, nested arrays,
// integers) for the error cases.
func npyAny(t testing.TB, v any) []byte {
	var b bytes.Buffer
	if err := npy.Write(&b, v); err != nil {
		fatal(t, err)
	}
	return b.Bytes()
}

// rawNpy builds a .npy by hand: version 1 header dict as given, then
// data, for the variants npyio does not write (big-endian, Fortran order,
// odd headers).
func rawNpy(dict string, data []byte) []byte {
	dict += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	b = append(b, dict...)
	return append(b, data...)
}

func f32bytes(order binary.AppendByteOrder, vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = order.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// Colours of the test images.
var (
	red   = color.NRGBA{255, 0, 0, 255}
	green = color.NRGBA{0, 255, 0, 255}
	blue  = color.NRGBA{0, 0, 255, 255}
	white = color.NRGBA{255, 255, 255, 255}
)

// stripes is a w×h image of vertical stripes: colour cs[x*len(cs)/w].
func stripes(w, h int, cs ...color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, cs[x*len(cs)/w])
		}
	}
	return m
}

func solid(w, h int, c color.NRGBA) *image.NRGBA { return stripes(w, h, c) }

func pngBytes(t testing.TB, m image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		fatal(t, err)
	}
	return b.Bytes()
}

func jpegBytes(t testing.TB, m image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 95}); err != nil {
		fatal(t, err)
	}
	return b.Bytes()
}

func gifBytes(t testing.TB, m image.Image) []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, m, nil); err != nil {
		fatal(t, err)
	}
	return b.Bytes()
}

// writeFiles writes name → content under dir, making folders.
func writeFiles(t testing.TB, dir string, files map[string][]byte) {
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fatal(t, err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			fatal(t, err)
		}
	}
}

// lines joins lines with "\n" and a final "\n".
func lines(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

// pixel returns pixel (x, y) of image n of a pixel collection.
func pixel(im interface{ At(int) *image.NRGBA }, n, x, y int) color.NRGBA {
	return im.At(n).NRGBAAt(x, y)
}

func caps(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s caption %d", prefix, i)
	}
	return out
}

// fatal fails the test, or panics when there is none (fuzz set-up).
func fatal(t testing.TB, err error) {
	if t == nil {
		panic(err)
	}
	t.Helper()
	t.Fatal(err)
}

var (
	leOrder binary.AppendByteOrder = binary.LittleEndian
	beOrder binary.AppendByteOrder = binary.BigEndian
)
