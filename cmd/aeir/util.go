package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strconv"
	"strings"

	"github.com/go-gota/gota/dataframe"

	"aeir/internal/atomicfile"
)

func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}

// table renders a DataFrame as an aligned text table.
func table(df dataframe.DataFrame) string {
	recs := df.Records()
	for c, col := range df.Types() {
		if col != "float" {
			continue
		}
		for r := 1; r < len(recs); r++ {
			var v float64
			fmt.Sscan(recs[r][c], &v)
			recs[r][c] = strconv.FormatFloat(v, 'f', 2, 64)
		}
	}
	w := make([]int, len(recs[0]))
	for _, r := range recs {
		for i, c := range r {
			if n := len([]rune(c)); n > w[i] {
				w[i] = n
			}
		}
	}
	var b strings.Builder
	for k, r := range recs {
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			fmt.Fprintf(&b, "%-*s", w[i], c)
		}
		b.WriteString("\n")
		if k == 0 {
			for i := range r {
				if i > 0 {
					b.WriteString("  ")
				}
				b.WriteString(strings.Repeat("-", w[i]))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
