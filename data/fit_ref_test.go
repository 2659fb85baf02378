package data

import "image"

// The implementations of ContentBounds and FitTile before they were made
// faster for the in-browser engine (issue #20), kept as they were so that
// TestFitTileMatchesReference can check the new ones give the same bytes.

func contentBoundsRef(pix []uint8, w, h int) (r image.Rectangle, ok bool) {
	x0, y0, x1, y1 := w, h, -1, -1
	for y := 0; y < h; y++ {
		row := pix[y*w*4 : (y+1)*w*4]
		for x := 0; x < w; x++ {
			p := row[x*4 : x*4+4]
			a := int(p[3])
			// composited on white, channel c is 255 − a·(255 − c)/255
			if a*(255-int(min(p[0], p[1], p[2]))) >= Ink*255 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return image.Rectangle{}, false
	}
	return image.Rect(x0, y0, x1+1, y1+1), true
}

func fitTileRef(dst, src []uint8, s int) {
	b, ok := contentBoundsRef(src, s, s)
	if !ok {
		copy(dst, src[:s*s*4])
		return
	}
	q := FitSquare(b)
	scale := float32(q.Dx()) / float32(s)
	at := func(x, y int) (r, g, bl, a float32) {
		if x < 0 || y < 0 || x >= s || y >= s {
			return 0, 0, 0, 0
		}
		p := src[(y*s+x)*4 : (y*s+x)*4+4]
		a = float32(p[3])
		return float32(p[0]) * a, float32(p[1]) * a, float32(p[2]) * a, a
	}
	for y := 0; y < s; y++ {
		sy := float32(q.Min.Y) + (float32(y)+0.5)*scale - 0.5
		iy := floor(sy)
		fy := sy - float32(iy)
		for x := 0; x < s; x++ {
			sx := float32(q.Min.X) + (float32(x)+0.5)*scale - 0.5
			ix := floor(sx)
			fx := sx - float32(ix)
			var acc [4]float32
			for _, t := range [4]struct {
				dx, dy int
				w      float32
			}{{0, 0, (1 - fx) * (1 - fy)}, {1, 0, fx * (1 - fy)}, {0, 1, (1 - fx) * fy}, {1, 1, fx * fy}} {
				if t.w == 0 {
					continue
				}
				r, g, bl, a := at(ix+t.dx, iy+t.dy)
				acc[0] += t.w * r
				acc[1] += t.w * g
				acc[2] += t.w * bl
				acc[3] += t.w * a
			}
			o := dst[(y*s+x)*4 : (y*s+x)*4+4]
			if acc[3] < 0.5 {
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0
				continue
			}
			for c := 0; c < 3; c++ {
				o[c] = round8Ref(acc[c] / acc[3])
			}
			o[3] = round8Ref(acc[3])
		}
	}
}

func round8Ref(v float32) uint8 {
	return uint8(min(max(v+0.5, 0), 255))
}
