package formats

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"aeir/internal/clip"
)

// Error is a problem found in an input file. Its message reads like a
// compiler's: the file, the 1-based line when there is one, a finer
// position when useful, what is wrong, and what to do about it:
//
//	f30k_precomp/test_caps.txt:3: caption is empty; write the caption, or remove the line
//	f30k_precomp/test_ims.npy: row 1, column 1: value is NaN; features must be finite float32 values (recompute them, or drop that image and its captions)
//	pairs.csv:3: row 2: image "img/nope.png": image file img/nope.png does not exist; image paths are relative to .
type Error struct {
	File    string // the input file, as the caller named it
	Line    int    // 1-based line; 0 when the problem is not on one line
	Where   string // finer position: "row 4", "images[12] (\"a.jpg\")", "row 3, column 7"
	Problem string // what is wrong
	Fix     string // what to do about it
	Err     error  // underlying cause, if any
}

func (e *Error) Error() string {
	// Each part is cut to a bounded length: a part may echo input (a path,
	// a field), and a 10 MB path must not make a 10 MB message.
	const maxPath, maxPart = 256, 512
	var b strings.Builder
	b.WriteString(clip.String(e.File, maxPath))
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Where != "" {
		b.WriteString(clip.String(e.Where, maxPart))
		b.WriteString(": ")
	}
	b.WriteString(clip.String(e.Problem, maxPart))
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(clip.String(e.Err.Error(), maxPart))
	}
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(clip.String(e.Fix, maxPart))
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// fileError describes a failure to open or read a file.
func fileError(name string, err error, fix string) *Error {
	if errors.Is(err, fs.ErrNotExist) {
		return &Error{File: name, Problem: "file does not exist", Fix: fix}
	}
	return &Error{File: name, Problem: "cannot read file", Err: unwrapPath(err)}
}

// unwrapPath drops the *fs.PathError wrapper, whose path the Error
// already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// errTooBig is returned by limitReader past its limit.
var errTooBig = errors.New("input larger than the limit")

// limitReader reads at most n bytes and then fails with errTooBig, unlike
// io.LimitReader, which would silently truncate.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// probe: is there more?
		var one [1]byte
		k, err := l.r.Read(one[:])
		if k > 0 {
			return 0, errTooBig
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// readAll reads a whole file of at most max bytes.
func readAll(name string, max int64, fix string) ([]byte, error) {
	f, st, err := OpenRegular(name)
	if err != nil {
		return nil, fileError(name, err, fix)
	}
	defer f.Close()
	if st.Size() > max {
		return nil, tooBig(name, st.Size(), max)
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(&limitReader{r: f, n: max})
	if errors.Is(err, errTooBig) {
		return nil, tooBig(name, -1, max)
	}
	if err != nil {
		return nil, fileError(name, err, fix)
	}
	return buf.Bytes(), nil
}

func tooBig(name string, size, max int64) *Error {
	p := fmt.Sprintf("file is larger than the limit of %d bytes", max)
	if size >= 0 {
		p = fmt.Sprintf("file has %d bytes, more than the limit of %d", size, max)
	}
	return &Error{File: name, Problem: p, Fix: "raise Limits.MaxFileBytes if the file is what you meant to load"}
}

// lineOf returns the 1-based line holding byte offset off of b.
func lineOf(b []byte, off int64) int {
	if off < 0 {
		off = 0
	}
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return 1 + bytes.Count(b[:off], []byte{'\n'})
}
