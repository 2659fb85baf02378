package eval

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"aeir/internal/atomicfile"
)

// Row is one named result, e.g. one method on one scenario. In JSON the
// fields of Metrics sit next to "name".
type Row struct {
	Name string `json:"name"`
	Metrics
}

// tableCols are the columns of Metrics.Table, all of width cellWidth.
var tableCols = []string{
	"i2t R@1", "R@5", "R@10", "medR", "meanR", "mAP",
	"t2i R@1", "R@5", "R@10", "medR", "meanR", "mAP",
	"rsum",
}

const cellWidth = 7

// TableHeader returns the two header lines (titles and the markdown
// separator, each ending in a newline) matching the rows of
// Metrics.Table.
func TableHeader() string {
	return header("")
}

func header(name string) string {
	var b strings.Builder
	var sep strings.Builder
	if name != "" {
		fmt.Fprintf(&b, "| %s ", name)
		fmt.Fprintf(&sep, "|%s", strings.Repeat("-", len(name)+2))
	}
	for _, c := range tableCols {
		fmt.Fprintf(&b, "| %*s ", cellWidth, c)
		fmt.Fprintf(&sep, "|%s:", strings.Repeat("-", cellWidth+1))
	}
	b.WriteString("|\n")
	sep.WriteString("|\n")
	return b.String() + sep.String()
}

// Table returns m as one fixed-width markdown table row (no trailing
// newline): R@1, R@5, R@10, median rank, mean rank and mAP for
// image→text, the same for text→image, then rsum. TableHeader gives the
// matching header.
func (m Metrics) Table() string {
	var b strings.Builder
	for _, d := range []Direction{m.I2T, m.T2I} {
		fmt.Fprintf(&b, "| %*.2f | %*.2f | %*.2f | %*.1f | %*.1f | %*.2f ",
			cellWidth, d.R1, cellWidth, d.R5, cellWidth, d.R10,
			cellWidth, d.MedianRank, cellWidth, d.MeanRank, cellWidth, d.MAP)
	}
	fmt.Fprintf(&b, "| %*.2f |", cellWidth, m.RSum)
	return b.String()
}

// WriteTable writes rows as a markdown table with a leading name column.
func WriteTable(w io.Writer, rows []Row) error {
	width := len("name")
	for _, r := range rows {
		width = max(width, len(r.Name))
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(header(fmt.Sprintf("%-*s", width, "name")))
	for _, r := range rows {
		fmt.Fprintf(bw, "| %-*s %s\n", width, r.Name, r.Metrics.Table())
	}
	return bw.Flush()
}

// csvHeader lists the columns WriteCSV writes, in order.
var csvHeader = []string{
	"name", "n_img", "n_txt",
	"i2t_r1", "i2t_r5", "i2t_r10", "i2t_median_rank", "i2t_mean_rank", "i2t_map",
	"t2i_r1", "t2i_r5", "t2i_r10", "t2i_median_rank", "t2i_mean_rank", "t2i_map",
	"rsum",
}

// CSVHeader returns the columns WriteCSV writes, in order: name, n_img,
// n_txt, then i2t_ and t2i_ followed by r1, r5, r10, median_rank,
// mean_rank and map, then rsum.
func CSVHeader() []string { return slices.Clone(csvHeader) }

// WriteCSV writes rows as CSV with the header CSVHeader, one line per
// row, numbers in full precision.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	rec := make([]string, 0, len(csvHeader))
	for _, r := range rows {
		rec = append(rec[:0], r.Name, strconv.Itoa(r.NImg), strconv.Itoa(r.NTxt))
		for _, d := range []Direction{r.I2T, r.T2I} {
			rec = append(rec, f(d.R1), f(d.R5), f(d.R10), f(d.MedianRank), f(d.MeanRank), f(d.MAP))
		}
		rec = append(rec, f(r.RSum))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes rows as an indented JSON array of objects
// {"name": …, "i2t": {…}, "t2i": {…}, "rsum": …, "n_img": …, "n_txt": …}.
func WriteJSON(w io.Writer, rows []Row) error {
	if rows == nil {
		rows = []Row{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// ReadJSON reads what WriteJSON wrote.
func ReadJSON(r io.Reader) ([]Row, error) {
	var rows []Row
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rows); err != nil {
		return nil, fmt.Errorf("eval: reading results JSON: %w", err)
	}
	return rows, nil
}

// SaveFile writes rows to path in the format named by its extension:
// .csv (WriteCSV), .json (WriteJSON) or .md (WriteTable). It writes a
// temporary file in the same directory and renames it, so a failed write
// leaves no half-written file behind.
func SaveFile(path string, rows []Row) error {
	var write func(io.Writer, []Row) error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		write = WriteCSV
	case ".json":
		write = WriteJSON
	case ".md":
		write = WriteTable
	default:
		return fmt.Errorf("eval: %s: unknown results format %q: use .csv, .json or .md", path, ext)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return write(w, rows) }); err != nil {
		return fmt.Errorf("eval: writing %s: %w", path, err)
	}
	return nil
}
