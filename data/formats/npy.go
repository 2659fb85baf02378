package formats

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/sbinet/npyio/npy"

	"aeir/internal/clip"
)

// maxNpyHeader bounds the header dictionary of a .npy file. NumPy itself
// refuses headers over 10000 bytes by default.
const maxNpyHeader = 1 << 16

// npyHeader is the parsed header of a .npy file.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int64
	prefix  int64 // bytes before the array data: magic, version, length, dictionary
}

// parseNpy reads a 2-D float array from a .npy stream of exactly size
// bytes (the file's size, known before reading, so that the header's
// claims are checked against it before anything is allocated). float32
// data is returned as is; float64 is converted to float32, and a finite
// value beyond float32's range is an error. Fortran-ordered arrays are
// transposed to row order. Every value must be finite.
//
// The header is parsed here, strictly; npyio then decodes the data
// behind a canonical header built from the checked fields, so that
// malformed headers never reach it.
func parseNpy(name string, r io.Reader, size int64, lim *Limits) (feat []float32, n, d int, err error) {
	fix := "save features with numpy.save(path, x.astype(numpy.float32)), x of shape (N, D)"
	h, err := readNpyHeader(r)
	if err != nil {
		return nil, 0, 0, &Error{File: name, Problem: err.Error(), Fix: fix}
	}
	var item int64
	switch h.descr {
	case "<f4", ">f4":
		item = 4
	case "<f8", ">f8":
		item = 8
	default:
		return nil, 0, 0, &Error{File: name, Problem: fmt.Sprintf("dtype %s is not supported (only float32 and float64)", clip.Quote(h.descr)), Fix: fix}
	}
	switch len(h.shape) {
	case 2:
	case 3:
		return nil, 0, 0, &Error{File: name, Problem: fmt.Sprintf("array is 3-D with shape %s; precomp features must be 2-D (N images × D)", shapeString(h.shape)),
			Fix: "pool region features to one vector per image first, e.g. x.mean(axis=1)"}
	default:
		return nil, 0, 0, &Error{File: name, Problem: fmt.Sprintf("array is %d-D with shape %s; precomp features must be 2-D (N images × D)", len(h.shape), shapeString(h.shape)), Fix: fix}
	}
	rows, cols := h.shape[0], h.shape[1]
	switch {
	case rows == 0:
		return nil, 0, 0, &Error{File: name, Problem: fmt.Sprintf("array of shape %s has no rows", shapeString(h.shape)), Fix: "a split needs at least one image"}
	case cols == 0:
		return nil, 0, 0, &Error{File: name, Problem: fmt.Sprintf("array of shape %s has empty rows", shapeString(h.shape)), Fix: fix}
	case rows > int64(lim.MaxImages):
		return nil, 0, 0, &Error{File: name, Problem: fmt.Sprintf("array has %d rows, more than the limit of %d images", rows, lim.MaxImages), Fix: "raise Limits.MaxImages if the file is what you meant to load"}
	case cols > int64(lim.MaxDim):
		return nil, 0, 0, &Error{File: name, Problem: fmt.Sprintf("feature dimension %d is more than the limit of %d", cols, lim.MaxDim), Fix: "raise Limits.MaxDim if the file is what you meant to load"}
	}
	if rows > lim.MaxFeatures/cols || rows*cols > math.MaxInt64/8 {
		return nil, 0, 0, &Error{File: name, Problem: fmt.Sprintf("array of shape %s has more values than the limit of %d", shapeString(h.shape), lim.MaxFeatures), Fix: "raise Limits.MaxFeatures if the file is what you meant to load"}
	}
	total := rows * cols
	if have, need := size-h.prefix, total*item; have != need {
		what := "is truncated"
		if have > need {
			what = "has trailing bytes"
		}
		return nil, 0, 0, &Error{File: name, Problem: fmt.Sprintf("file %s: %d bytes of data where shape %s of %s needs %d", what, have, shapeString(h.shape), h.descr, need),
			Fix: "the file does not match its header; save it again"}
	}
	n, d = int(rows), int(cols)

	// Decode with npyio behind a canonical header.
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", h.descr, n, d)
	pad := (64 - (10+len(dict)+1)%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	hdr := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(hdr[8:], uint16(len(dict)))
	hdr = append(hdr, dict...)
	body := bufio.NewReaderSize(io.LimitReader(r, total*item), 1<<16)
	rr, err := npy.NewReader(io.MultiReader(bytes.NewReader(hdr), body))
	if err != nil {
		return nil, 0, 0, &Error{File: name, Problem: "cannot read array", Err: err}
	}
	feat = make([]float32, total)
	bad := func(i int, v float64) error {
		row, col := i/d, i%d
		if h.fortran {
			row, col = i%n, i/n
		}
		p := fmt.Sprintf("value is %v", v)
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			p = fmt.Sprintf("value %g overflows float32", v)
		}
		return &Error{File: name, Where: fmt.Sprintf("row %d, column %d", row, col), Problem: p,
			Fix: "features must be finite float32 values (recompute them, or drop that image and its captions)"}
	}
	readErr := func(err error) error {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return &Error{File: name, Problem: "file is truncated", Fix: "save it again"}
		}
		return &Error{File: name, Problem: "cannot read array data", Err: err}
	}
	if item == 4 {
		if err := rr.Read(&feat); err != nil {
			return nil, 0, 0, readErr(err)
		}
		for i, v := range feat {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, 0, 0, bad(i, float64(v))
			}
		}
	} else {
		chunk := make([]float64, min(total, 1<<16))
		for off := 0; off < len(feat); {
			c := chunk[:min(len(chunk), len(feat)-off)]
			if err := rr.Read(&c); err != nil {
				return nil, 0, 0, readErr(err)
			}
			for k, v := range c {
				f := float32(v)
				if math.IsInf(float64(f), 0) || math.IsNaN(v) {
					return nil, 0, 0, bad(off+k, v)
				}
				feat[off+k] = f
			}
			off += len(c)
		}
	}
	if h.fortran && n > 1 && d > 1 {
		t := make([]float32, total)
		for j := 0; j < d; j++ {
			col := feat[j*n : (j+1)*n]
			for i, v := range col {
				t[i*d+j] = v
			}
		}
		feat = t
	}
	return feat, n, d, nil
}

func shapeString(s []int64) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.FormatInt(v, 10)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// readNpyHeader reads the magic, version, header length and header
// dictionary, and checks the dictionary has exactly the keys descr,
// fortran_order and shape. Errors are plain; the caller adds the file.
func readNpyHeader(r io.Reader) (npyHeader, error) {
	var h npyHeader
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return h, errors.New("not a .npy file (too short)")
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return h, errors.New("not a .npy file (no \\x93NUMPY magic)")
	}
	var hlen int64
	switch major := pre[6]; major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, errors.New("truncated header")
		}
		hlen = int64(binary.LittleEndian.Uint16(b[:]))
		h.prefix = 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, errors.New("truncated header")
		}
		hlen = int64(binary.LittleEndian.Uint32(b[:]))
		h.prefix = 12
	default:
		return h, fmt.Errorf("unsupported .npy format version %d.%d", major, pre[7])
	}
	if hlen > maxNpyHeader {
		return h, fmt.Errorf("header of %d bytes is longer than the limit of %d", hlen, maxNpyHeader)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return h, errors.New("truncated header")
	}
	h.prefix += hlen
	if err := parseNpyDict(string(buf), &h); err != nil {
		return h, fmt.Errorf("malformed header: %w", err)
	}
	return h, nil
}

// parseNpyDict parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
func parseNpyDict(s string, h *npyHeader) error {
	p := &pyParser{s: s}
	p.space()
	if !p.eat('{') {
		return errors.New("expected '{'")
	}
	seen := map[string]bool{}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		p.space()
		if !p.eat(':') {
			return fmt.Errorf("expected ':' after key %s", clip.Quote(key))
		}
		p.space()
		if seen[key] {
			return fmt.Errorf("key %s given twice", clip.Quote(key))
		}
		seen[key] = true
		switch key {
		case "descr":
			if p.peek() == '[' {
				return errors.New("structured dtypes are not supported")
			}
			if h.descr, err = p.str(); err != nil {
				return fmt.Errorf("descr: %w", err)
			}
		case "fortran_order":
			switch {
			case strings.HasPrefix(p.s[p.i:], "True"):
				h.fortran = true
				p.i += 4
			case strings.HasPrefix(p.s[p.i:], "False"):
				h.fortran = false
				p.i += 5
			default:
				return errors.New("fortran_order must be True or False")
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return fmt.Errorf("shape: %w", err)
			}
		default:
			return fmt.Errorf("unexpected key %s", clip.Quote(key))
		}
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat('}') {
			return errors.New("expected ',' or '}'")
		}
		break
	}
	p.space()
	if p.i != len(p.s) {
		return errors.New("unexpected text after '}'")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return fmt.Errorf("no %q key", k)
		}
	}
	return nil
}

// pyParser scans the few Python literals a .npy header uses.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyParser) eat(c byte) bool {
	if p.peek() == c && p.i < len(p.s) {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
}

// str reads a quoted string without escapes.
func (p *pyParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", errors.New("expected a quoted string")
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 || len(v) > 64 {
		return "", fmt.Errorf("unexpected string %s", clip.Quote(v))
	}
	p.i += end + 2
	return v, nil
}

// tuple reads a tuple of non-negative integers, e.g. (3, 4) or (5,).
// Python 2 long suffixes (3L) are accepted.
func (p *pyParser) tuple() ([]int64, error) {
	if !p.eat('(') {
		return nil, errors.New("expected '('")
	}
	var out []int64
	for {
		p.space()
		if p.eat(')') {
			return out, nil
		}
		if len(out) == 32 {
			return nil, errors.New("more than 32 dimensions")
		}
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i {
			return nil, errors.New("expected a non-negative integer")
		}
		v, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("dimension %s is out of range", clip.String(p.s[p.i:j], 20))
		}
		out = append(out, v)
		p.i = j
		p.eat('L')
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat(')') {
			return nil, errors.New("expected ',' or ')'")
		}
		return out, nil
	}
}

// ReadNPY reads a 2-D .npy array of float32 or float64 (converted) values,
// all finite, as row-major float32: n rows of d values. It accepts what
// the precomp loader accepts (either byte order, C or Fortran order) and
// checks sizes against lim (nil: DefaultLimits) before allocating.
// Non-regular files are refused before they are opened.
func ReadNPY(path string, lim *Limits) (feat []float32, n, d int, err error) {
	const fix = "give a 2-D float32 or float64 .npy file (numpy.save of an N×D array)"
	f, st, err := OpenRegular(path)
	if err != nil {
		return nil, 0, 0, fileError(path, err, fix)
	}
	defer f.Close()
	return parseNpy(path, f, st.Size(), lim.withDefaults())
}
