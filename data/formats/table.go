package formats

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"aeir/data"
	"aeir/internal/clip"
)

// LoadTable loads a table of image–text pairs: a .csv or .tsv file with
// a header naming the columns image, text and domain (split and short
// optional, other columns ignored), or a .jsonl file of objects with those
// keys. A domain whose rows give short forms must give one in every row;
// its collections have them in Short, other domains' Short is nil.
// Image paths are relative to imageDir ("" means the table's folder);
// each image's centred square is cropped and resized to size×size. Rows
// with the same image in the same domain share one image, which has as
// many texts as rows. There is one collection per (domain, split), sorted
// by domain and then train, val, test, unsplit; image ids are the image
// paths as written (cleaned, with forward slashes).
func LoadTable(path string, imageDir string, size int) ([]*data.Collection, error) {
	return loadTable(path, imageDir, size, DefaultLimits())
}

// tableKind is a table format, chosen by the file's extension.
type tableKind int

const (
	kindCSV tableKind = iota
	kindTSV
	kindJSONL
)

func tableKindOf(p string) (tableKind, bool) {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".csv":
		return kindCSV, true
	case ".tsv":
		return kindTSV, true
	case ".jsonl":
		return kindJSONL, true
	}
	return 0, false
}

func loadTable(name, imageDir string, size int, lim *Limits) ([]*data.Collection, error) {
	kind, ok := tableKindOf(name)
	if !ok {
		return nil, &Error{File: name, Problem: "unknown table format", Fix: "name the file .csv, .tsv or .jsonl"}
	}
	if err := checkSize(size, lim); err != nil {
		return nil, err
	}
	f, _, err := OpenRegular(name)
	if err != nil {
		return nil, fileError(name, err, "give the path of a .csv, .tsv or .jsonl table")
	}
	defer f.Close()
	rows, err := parseTable(name, kind, f, lim)
	if err != nil {
		return nil, err
	}
	if imageDir == "" {
		imageDir = filepath.Dir(name)
	}
	return buildTable(name, rows, imageDir, readDisk, size, lim)
}

// tableRow is one image–text pair of a table.
type tableRow struct {
	line                       int // 1-based line where the row starts
	row                        int // 1-based data row (the header is not a row)
	image, text, domain, split string
	short                      string // "" when absent
}

func (r *tableRow) where() string { return fmt.Sprintf("row %d", r.row) }

func parseTable(name string, kind tableKind, r io.Reader, lim *Limits) ([]tableRow, error) {
	r, err := checkTextStream(name, &limitReader{r: r, n: lim.MaxFileBytes})
	if err != nil {
		return nil, err
	}
	var rows []tableRow
	if kind == kindJSONL {
		rows, err = parseJSONL(name, r, lim)
	} else {
		rows, err = parseDelimited(name, kind, r, lim)
	}
	if errors.Is(err, errTooBig) {
		return nil, tooBig(name, -1, lim.MaxFileBytes)
	}
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &Error{File: name, Problem: "table has no rows", Fix: "write one image–text pair per row"}
	}
	return rows, nil
}

const tableFix = "the header must name the columns image, text and domain (split is optional)"

// parseDelimited reads CSV (RFC 4180) or TSV. TSV follows the same
// quoting rules with a tab separator (Python's excel-tab dialect, which
// csv.writer(delimiter="\t") and pandas write), except that a quote
// inside an unquoted field is kept as a character.
func parseDelimited(name string, kind tableKind, r io.Reader, lim *Limits) ([]tableRow, error) {
	cr := csv.NewReader(r)
	if kind == kindTSV {
		cr.Comma = '\t'
		cr.LazyQuotes = true
	}
	parseErr := func(err error) error {
		if errors.Is(err, errTooBig) {
			return err
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			fix := "quote fields that hold the separator, a quote or a line break, and double quotes inside them"
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				fix = "every row needs as many fields as the header"
			}
			return &Error{File: name, Line: pe.Line, Problem: pe.Err.Error(), Fix: fix}
		}
		return &Error{File: name, Problem: "cannot read file", Err: err}
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &Error{File: name, Problem: "file is empty", Fix: tableFix}
	}
	if err != nil {
		return nil, parseErr(err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup && h != "" {
			return nil, &Error{File: name, Line: 1, Problem: fmt.Sprintf("column %s appears twice in the header", clip.Quote(h)), Fix: "name each column once"}
		}
		col[h] = i
	}
	for _, need := range []string{"image", "text", "domain"} {
		if _, ok := col[need]; !ok {
			return nil, &Error{File: name, Line: 1, Problem: fmt.Sprintf("header has no %s column (it names %s)", clip.Quote(need), clip.Quote(strings.Join(header, string(cr.Comma)))), Fix: tableFix}
		}
	}
	splitCol, hasSplit := col["split"]
	shortCol, hasShort := col["short"]
	var rows []tableRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, parseErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rows) >= lim.MaxTexts {
			return nil, &Error{File: name, Line: line, Problem: fmt.Sprintf("more than %d rows", lim.MaxTexts), Fix: "raise Limits.MaxTexts if the file is what you meant to load"}
		}
		row := tableRow{line: line, row: len(rows) + 1, image: rec[col["image"]], text: rec[col["text"]], domain: rec[col["domain"]]}
		if hasSplit {
			row.split = rec[splitCol]
		}
		if hasShort {
			row.short = rec[shortCol]
		}
		rows = append(rows, row)
	}
}

// parseJSONL reads one JSON object per line with string keys image, text,
// domain and optionally split and short (other keys are ignored). Blank
// lines are skipped.
func parseJSONL(name string, r io.Reader, lim *Limits) ([]tableRow, error) {
	lr := newLineReader(r, lim.MaxLineBytes)
	var rows []tableRow
	for {
		b, err := lr.next()
		switch {
		case err == io.EOF:
			return rows, nil
		case errors.Is(err, errLineTooLong):
			return nil, &Error{File: name, Line: lr.line, Problem: fmt.Sprintf("line is longer than the limit of %d bytes", lim.MaxLineBytes),
				Fix: "JSONL holds one object per line (raise Limits.MaxLineBytes if this one is right)"}
		case errors.Is(err, errTooBig):
			return nil, err
		case err != nil:
			return nil, &Error{File: name, Line: lr.line + 1, Problem: "cannot read file", Err: err}
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		line := lr.line
		row := tableRow{line: line, row: len(rows) + 1}
		fail := func(problem string, err error) error {
			return &Error{File: name, Line: line, Where: row.where(), Problem: problem, Err: err,
				Fix: `each line must be an object like {"image": "a.png", "text": "a cat", "domain": "photos"}`}
		}
		if len(rows) >= lim.MaxTexts {
			return nil, &Error{File: name, Line: line, Problem: fmt.Sprintf("more than %d rows", lim.MaxTexts), Fix: "raise Limits.MaxTexts if the file is what you meant to load"}
		}
		if !utf8.Valid(b) {
			return nil, &Error{File: name, Line: line, Where: row.where(), Problem: "line is not valid UTF-8", Fix: "save the file as UTF-8"}
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) || bytes.TrimSpace(b)[0] != '{' {
				return nil, fail("line is not a JSON object", nil)
			}
			return nil, fail("invalid JSON", err)
		}
		if obj == nil {
			return nil, fail("line is not a JSON object", nil)
		}
		for _, k := range []string{"image", "text", "domain", "split", "short"} {
			raw, ok := obj[k]
			if !ok || string(raw) == "null" {
				if k == "split" || k == "short" {
					continue
				}
				return nil, fail(fmt.Sprintf("no %q key", k), nil)
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fail(fmt.Sprintf("%q is not a string", k), nil)
			}
			switch k {
			case "image":
				row.image = s
			case "text":
				row.text = s
			case "domain":
				row.domain = s
			case "split":
				row.split = s
			case "short":
				row.short = s
			}
		}
		rows = append(rows, row)
	}
}

// checkTableShort checks that a domain whose rows give short forms gives
// one in every row; the error names the first row of such a domain
// without one.
func checkTableShort(name string, rows []tableRow) error {
	has := map[string]*tableRow{} // domain → first row with a short form
	for i := range rows {
		if r := &rows[i]; r.short != "" && has[r.domain] == nil {
			has[r.domain] = r
		}
	}
	for i := range rows {
		r := &rows[i]
		if p := has[r.domain]; p != nil && r.short == "" {
			return &Error{File: name, Line: r.line, Where: r.where(),
				Problem: fmt.Sprintf("no short form, but row %d on line %d of domain %s has one", p.row, p.line, clip.Quote(r.domain)),
				Fix:     "give every row of a domain a short form, or none"}
		}
	}
	return nil
}

// buildTable checks the rows, groups them into collections and decodes
// the images.
func buildTable(name string, rows []tableRow, imageDir string, read readFunc, size int, lim *Limits) ([]*data.Collection, error) {
	type key struct{ domain, image string }
	type textKey struct{ domain, image, text string }
	type collKey struct{ domain, split string }
	type imgInfo struct {
		row   *tableRow // first row that names it
		coll  *data.Collection
		index int // in coll
	}
	images := map[key]*imgInfo{}
	texts := map[textKey]*tableRow{}
	colls := map[collKey]*data.Collection{}
	var order []*imgInfo // images in order of first appearance
	for i := range rows {
		r := &rows[i]
		fail := func(problem, fix string) error {
			return &Error{File: name, Line: r.line, Where: r.where(), Problem: problem, Fix: fix}
		}
		for _, f := range []struct{ name, v string }{{"image", r.image}, {"domain", r.domain}, {"split", r.split}, {"short form", r.short}} {
			if !utf8.ValidString(f.v) {
				return nil, fail(fmt.Sprintf("%s is not valid UTF-8", f.name), "save the file as UTF-8")
			}
			if p := nulProblem(f.name, f.v); p != "" {
				return nil, fail(p, "remove it: a NUL byte is not text")
			}
		}
		img := strings.TrimSpace(r.image)
		if img == "" {
			return nil, fail("image is empty", "give the path of the image file")
		}
		if p := imagePathProblem(img); p != "" {
			return nil, fail(p, imagePathFix)
		}
		img = path.Clean(filepath.ToSlash(img))
		text, problem, fix := checkText(r.text, "text", "row")
		if problem != "" {
			return nil, fail(problem, fix)
		}
		domain := strings.TrimSpace(r.domain)
		if domain == "" {
			return nil, fail("domain is empty", "name the domain of every row")
		}
		split, ok := normSplit(r.split)
		if !ok {
			return nil, fail(fmt.Sprintf("unknown split %s", clip.Quote(r.split)), "use train, val or test (restval and dev are read as train and val), or leave it empty")
		}
		r.image, r.text, r.domain, r.split = img, text, domain, split
		r.short = strings.TrimSpace(r.short)
		tk := textKey{domain, img, text}
		if p, dup := texts[tk]; dup {
			return nil, fail(fmt.Sprintf("same image, text and domain as row %d on line %d", p.row, p.line), "remove the duplicate (it would count twice in evaluation)")
		}
		texts[tk] = r
		info := images[key{domain, img}]
		if info == nil {
			ck := collKey{domain, split}
			c := colls[ck]
			if c == nil {
				c = &data.Collection{Domain: domain, Split: split, Images: &data.Images{W: size, H: size}}
				colls[ck] = c
			}
			info = &imgInfo{row: r, coll: c, index: len(c.ImageIDs)}
			c.ImageIDs = append(c.ImageIDs, img)
			images[key{domain, img}] = info
			order = append(order, info)
		} else if info.row.split != split {
			return nil, fail(fmt.Sprintf("image %s is in split %s on line %d and in split %s here", clip.Quote(img), clip.Quote(info.row.split), info.row.line, clip.Quote(split)),
				"an image belongs to one split")
		}
		c := info.coll
		c.Texts = append(c.Texts, text)
		c.TextImage = append(c.TextImage, info.index)
		c.Short = append(c.Short, r.short)
	}
	if err := checkTableShort(name, rows); err != nil {
		return nil, err
	}
	for _, c := range colls {
		if !slices.ContainsFunc(c.Short, func(s string) bool { return s != "" }) {
			c.Short = nil // all or none per domain: this domain has none
		}
	}
	if err := pixelBudget(name, len(order), size, lim); err != nil {
		return nil, err
	}
	sz := size * size * 4
	for _, c := range colls {
		c.Images.N = len(c.ImageIDs)
		c.Images.Pix = make([]uint8, c.Images.N*sz)
	}
	// One job per file, in order of first use; images of several domains
	// may share a file.
	jobOf := map[string]int{}
	var jobs []imgJob
	for _, info := range order {
		p := filepath.Join(imageDir, filepath.FromSlash(info.row.image))
		dst := info.coll.Images.Pix[info.index*sz : (info.index+1)*sz]
		if j, ok := jobOf[p]; ok {
			jobs[j].dst = append(jobs[j].dst, dst)
			continue
		}
		r := info.row
		jobOf[p] = len(jobs)
		jobs = append(jobs, imgJob{
			path:    p,
			dst:     [][]uint8{dst},
			missing: fmt.Sprintf("image paths are relative to %s", imageDir),
			fail: func(problem, fix string, err error) *Error {
				return &Error{File: name, Line: r.line, Where: fmt.Sprintf("%s: image %s", r.where(), clip.Quote(r.image)), Problem: problem, Fix: fix, Err: err}
			},
		})
	}
	if err := decodeAll(jobs, read, size, lim); err != nil {
		return nil, err
	}
	out := make([]*data.Collection, 0, len(colls))
	for _, c := range colls {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Domain != out[j].Domain {
			return out[i].Domain < out[j].Domain
		}
		return splitRank(out[i].Split) < splitRank(out[j].Split)
	})
	return out, nil
}
