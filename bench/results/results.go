// Package results runs the benchmark grid — methods × scenarios × seeds —
// and turns it into the results table: a CSV of every run, and markdown
// tables of mean ± standard deviation that the command writes into
// docs/results.md between markers.
package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"aeir/data/vendormoji"
	"aeir/train"
)

// Family is a set of scenarios reported together.
type Family struct {
	Name      string
	Title     string
	Protocol  string
	Scenarios [][2]string // source, target domains
}

// Families are the benchmark's scenario families.
func Families() []Family {
	var image, imageText [][2]string
	for _, s := range vendormoji.Vendors {
		for _, t := range vendormoji.Vendors {
			if s != t {
				image = append(image, [2]string{s + "/en", t + "/en"})
				imageText = append(imageText, [2]string{s + "/en", t + "/tags"})
			}
		}
	}
	var textShift [][2]string
	for _, l := range []string{"de", "fr", "ja"} {
		textShift = append(textShift, [2]string{"twemoji/en", "twemoji/" + l})
	}
	return []Family{
		{"image", "Image shift: CLDR English sentences on both sides, the 6 ordered vendor pairs", "shared", image},
		{"image-text", "Image + text shift: CLDR English sentences → independent English tags, 6 vendor pairs", "shared", imageText},
		{"text", "Text shift: Twemoji on both sides, English → German, French, Japanese", "shared", textShift},
		{"novel", "Novel concepts: the image-shift family under the novel-concepts protocol", "novel", image},
	}
}

// FamilyByName finds a family.
func FamilyByName(name string) (Family, error) {
	var names []string
	for _, f := range Families() {
		if f.Name == name {
			return f, nil
		}
		names = append(names, f.Name)
	}
	return Family{}, fmt.Errorf("unknown family %q (have %s)", name, strings.Join(names, ", "))
}

// Row is one run's result.
type Row struct {
	Family, Protocol, Source, Target, Method string
	Seed                                     uint64
	Epochs                                   int
	I2T, T2I                                 [3]float64 // R@1, R@5, R@10
	RSum, ValRSum, Seconds                   float64
	NbrImgAcc, NbrTxtAcc                     float64 // last epoch's structural-neighbour accuracy (analysis only; NaN when unused)
}

// Header is the CSV header.
var Header = []string{"family", "protocol", "source", "target", "method", "seed", "epochs",
	"i2t_r1", "i2t_r5", "i2t_r10", "t2i_r1", "t2i_r5", "t2i_r10", "rsum", "val_rsum", "seconds", "nbr_img_acc", "nbr_txt_acc"}

func (r Row) record() []string {
	f := func(x float64) string {
		if math.IsNaN(x) {
			return ""
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
	return []string{r.Family, r.Protocol, r.Source, r.Target, r.Method, strconv.FormatUint(r.Seed, 10), strconv.Itoa(r.Epochs),
		f(r.I2T[0]), f(r.I2T[1]), f(r.I2T[2]), f(r.T2I[0]), f(r.T2I[1]), f(r.T2I[2]), f(r.RSum), f(r.ValRSum), f(r.Seconds),
		f(r.NbrImgAcc), f(r.NbrTxtAcc)}
}

// Key identifies a run in the grid.
func (r Row) Key() string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%d", r.Family, r.Protocol, r.Source, r.Target, r.Method, r.Seed)
}

// ReadCSV reads rows written by AppendCSV; a missing file is no rows.
func ReadCSV(path string) ([]Row, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	if strings.Join(recs[0], ",") != strings.Join(Header, ",") {
		return nil, fmt.Errorf("%s: header %q, want %q", path, strings.Join(recs[0], ","), strings.Join(Header, ","))
	}
	var rows []Row
	for i, rec := range recs[1:] {
		num := func(j int) float64 {
			if rec[j] == "" {
				return math.NaN()
			}
			v, e := strconv.ParseFloat(rec[j], 64)
			if e != nil && err == nil {
				err = fmt.Errorf("%s:%d: column %s: %q is not a number", path, i+2, Header[j], rec[j])
			}
			return v
		}
		seed, e := strconv.ParseUint(rec[5], 10, 64)
		if e != nil {
			return nil, fmt.Errorf("%s:%d: seed %q", path, i+2, rec[5])
		}
		r := Row{Family: rec[0], Protocol: rec[1], Source: rec[2], Target: rec[3], Method: rec[4], Seed: seed,
			Epochs: int(num(6)), I2T: [3]float64{num(7), num(8), num(9)}, T2I: [3]float64{num(10), num(11), num(12)},
			RSum: num(13), ValRSum: num(14), Seconds: num(15), NbrImgAcc: num(16), NbrTxtAcc: num(17)}
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// AppendCSV appends one row, writing the header first to a new file. The
// file grows a whole line at a time, so an interrupted bench resumes from
// the rows already there.
func AppendCSV(path string, r Row) error {
	_, err := os.Stat(path)
	fresh := os.IsNotExist(err)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	if fresh {
		w.Write(Header)
	}
	w.Write(r.record())
	w.Flush()
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// stat is mean ± sample standard deviation.
type stat struct{ mean, std float64 }

func meanStd(xs []float64) stat {
	if len(xs) == 0 {
		return stat{math.NaN(), math.NaN()}
	}
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	if len(xs) > 1 {
		v /= float64(len(xs) - 1)
	}
	return stat{m, math.Sqrt(v)}
}

func (s stat) String() string {
	if math.IsNaN(s.mean) {
		return "–"
	}
	return fmt.Sprintf("%.1f ± %.1f", s.mean, s.std)
}

// MethodOrder is the order methods appear in tables: the registry's.
var MethodOrder = train.Methods

func label(m string) string {
	if m == "oracle" {
		return "oracle (upper bound)"
	}
	if meth, ok := train.MethodOf(m); ok && meth.Beyond {
		return m + " (beyond the paper)"
	}
	return m
}

// Markdown writes the family's tables: per method the mean ± std over
// seeds (averaged over the family's scenarios per seed) of R@1/5/10 both
// ways and rsum; then rsum per scenario.
func Markdown(w io.Writer, fam Family, rows []Row) {
	var mine []Row
	for _, r := range rows {
		if r.Family == fam.Name {
			mine = append(mine, r)
		}
	}
	methods := presentMethods(mine)
	seeds := map[uint64]bool{}
	for _, r := range mine {
		seeds[r.Seed] = true
	}
	spread := "mean ± std over seeds of the scenario average"
	if len(seeds) == 1 {
		spread = "one seed: no spread"
	}
	fmt.Fprintf(w, "**%s** (protocol %s; %s, %s; %s, target test split)\n\n", fam.Title, fam.Protocol, plural(len(fam.Scenarios), "scenario"), plural(len(seeds), "seed"), spread)
	fmt.Fprintln(w, "| method | i2t R@1 | i2t R@5 | i2t R@10 | t2i R@1 | t2i R@5 | t2i R@10 | rsum |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, m := range methods {
		perSeed := map[uint64][]Row{}
		for _, r := range mine {
			if r.Method == m {
				perSeed[r.Seed] = append(perSeed[r.Seed], r)
			}
		}
		cols := make([][]float64, 7)
		for _, rs := range sortedSeeds(perSeed) {
			var avg [7]float64
			for _, r := range rs {
				for k := 0; k < 3; k++ {
					avg[k] += r.I2T[k] / float64(len(rs))
					avg[3+k] += r.T2I[k] / float64(len(rs))
				}
				avg[6] += r.RSum / float64(len(rs))
			}
			for k := range avg {
				cols[k] = append(cols[k], avg[k])
			}
		}
		fmt.Fprintf(w, "| %s |", label(m))
		for k := range cols {
			fmt.Fprintf(w, " %s |", meanStd(cols[k]))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "| rsum by scenario |")
	for _, sc := range fam.Scenarios {
		fmt.Fprintf(w, " %s → %s |", sc[0], sc[1])
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|")
	for range fam.Scenarios {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
	for _, m := range methods {
		fmt.Fprintf(w, "| %s |", label(m))
		for _, sc := range fam.Scenarios {
			var xs []float64
			for _, r := range mine {
				if r.Method == m && r.Source == sc[0] && r.Target == sc[1] {
					xs = append(xs, r.RSum)
				}
			}
			fmt.Fprintf(w, " %s |", meanStd(xs))
		}
		fmt.Fprintln(w)
	}
}

func presentMethods(rows []Row) []string {
	have := map[string]bool{}
	for _, r := range rows {
		have[r.Method] = true
	}
	var out []string
	for _, m := range MethodOrder {
		if have[m] {
			out = append(out, m)
		}
	}
	return out
}

func sortedSeeds(m map[uint64][]Row) [][]Row {
	var keys []uint64
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var out [][]Row
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// Inject replaces the text between "<!-- bench:NAME:begin -->" and
// "<!-- bench:NAME:end -->" in doc with body; the markers must exist.
func Inject(doc, name, body string) (string, error) {
	begin, end := "<!-- bench:"+name+":begin -->", "<!-- bench:"+name+":end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("markers %s … %s not found", begin, end)
	}
	return doc[:i+len(begin)] + "\n" + body + doc[j:], nil
}

// plural is "1 seed", "3 seeds".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
