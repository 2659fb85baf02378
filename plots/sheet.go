package plots

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"aeir/data"
)

// SheetRow is one concept on a contact sheet: its image in each domain
// and the lines of text to print beside them.
type SheetRow struct {
	Tiles []*image.NRGBA // one per column domain
	Title string
	Lines []string
}

// ContactSheet draws rows of tiles (scaled up by an integer factor with
// nearest-neighbour sampling, so pixels stay visible) under a header of
// column names, with each row's title and text lines to the right.
// Characters outside the Go fonts' coverage (CJK, emoji) are drawn as
// boxes, so pass Latin-script lines.
func ContactSheet(columns []string, rows []SheetRow, scale int) (*image.RGBA, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("contact sheet: no rows")
	}
	reg, err := face(goregular.TTF, 13)
	if err != nil {
		return nil, err
	}
	bold, err := face(gobold.TTF, 13)
	if err != nil {
		return nil, err
	}
	tile := rows[0].Tiles[0].Bounds().Dx() * scale
	pad := 8
	colW := tile
	for _, c := range columns {
		if w := font.MeasureString(bold, c).Ceil(); w > colW {
			colW = w
		}
	}
	textW := 760
	rowH := tile + pad
	if h := 18 * (1 + maxLines(rows)); h > rowH {
		rowH = h + pad
	}
	W := pad + len(columns)*(colW+pad) + textW
	H := 28 + len(rows)*rowH + pad
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for i, c := range columns {
		drawText(img, bold, pad+i*(colW+pad), 18, c, color.Black)
	}
	for r, row := range rows {
		y0 := 28 + r*rowH
		for i, t := range row.Tiles {
			x0 := pad + i*(colW+pad) + (colW-tile)/2
			// light checker-free background: composite on white, frame in grey
			for y := 0; y < tile; y++ {
				for x := 0; x < tile; x++ {
					c := t.NRGBAAt(x/scale, y/scale)
					a := uint32(c.A)
					blend := func(v uint8) uint8 { return uint8((uint32(v)*a + 255*(255-a)) / 255) }
					img.Set(x0+x, y0+y, color.RGBA{blend(c.R), blend(c.G), blend(c.B), 255})
				}
			}
			for k := -1; k <= tile; k++ {
				g := color.RGBA{200, 200, 200, 255}
				img.Set(x0+k, y0-1, g)
				img.Set(x0+k, y0+tile, g)
				img.Set(x0-1, y0+k, g)
				img.Set(x0+tile, y0+k, g)
			}
		}
		tx := pad + len(columns)*(colW+pad)
		drawText(img, bold, tx, y0+14, row.Title, color.Black)
		for i, l := range row.Lines {
			drawText(img, reg, tx, y0+14+18*(i+1), clip(reg, l, textW-pad), color.RGBA{60, 60, 60, 255})
		}
	}
	return img, nil
}

// Tile returns pixel image n of im.
func Tile(im *data.Images, n int) *image.NRGBA { return im.At(n) }

func maxLines(rows []SheetRow) int {
	m := 0
	for _, r := range rows {
		if len(r.Lines) > m {
			m = len(r.Lines)
		}
	}
	return m
}

func face(ttf []byte, size float64) (font.Face, error) {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
}

func drawText(dst draw.Image, f font.Face, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: f, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// clip shortens s with an ellipsis to fit width pixels.
func clip(f font.Face, s string, width int) string {
	if font.MeasureString(f, s).Ceil() <= width {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && font.MeasureString(f, string(rs)+"…").Ceil() > width {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}
