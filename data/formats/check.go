package formats

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"aeir/internal/clip"
)

// headBytes is how much of a text file checkEncoding looks at.
const headBytes = 4096

// checkEncoding looks at the first bytes of a text file for the mistakes
// a UTF-8 reader would otherwise misreport further on (as a missing
// column, an invalid line or a table with no rows): a UTF-16 or UTF-32
// file, with or without a byte-order mark, and, when lines is true,
// classic Mac OS line ends (a CR with no LF).
func checkEncoding(name string, head []byte, lines bool) error {
	enc := func(problem string) error {
		return &Error{File: name, Problem: problem, Fix: "save it as UTF-8 (in a spreadsheet: CSV UTF-8; in Python: encoding=\"utf-8\")"}
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xfe, 0, 0}), bytes.HasPrefix(head, []byte{0, 0, 0xfe, 0xff}):
		return enc("file is UTF-32 (it starts with a UTF-32 byte-order mark)")
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}), bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return enc("file is UTF-16 (it starts with a UTF-16 byte-order mark)")
	case len(head) >= 2 && (head[0] == 0 || head[1] == 0):
		return enc("file looks like UTF-16 or UTF-32 without a byte-order mark (NUL bytes among its first characters)")
	}
	if !lines {
		return nil
	}
	if i := bytes.IndexAny(head, "\r\n"); i >= 0 && head[i] == '\r' && i+1 < len(head) && head[i+1] != '\n' {
		return &Error{File: name, Line: 1, Problem: "line ends with a CR alone (classic Mac OS line ends), so the file reads as one line",
			Fix: "save it with LF or CRLF line ends (e.g. tr '\\r' '\\n')"}
	}
	return nil
}

// checkTextStream runs checkEncoding on the start of r and returns a
// reader that still yields all of r.
func checkTextStream(name string, r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, headBytes)
	head, _ := br.Peek(headBytes) // fewer bytes at the end of the file; a read error shows on the next read
	// Hidden behind a plain io.Reader: bufio.NewReaderSize would reuse br
	// as it is, and a line reader's smaller line limit would not hold.
	return struct{ io.Reader }{br}, checkEncoding(name, head, true)
}

// nulProblem says that the field holds a NUL byte, or returns "".
func nulProblem(field, s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return field + " holds a NUL byte"
	}
	return ""
}

// imagePathFix is the advice for an image path that leaves its folder.
const imagePathFix = "image paths are relative to the image folder and stay inside it (the same for tables and Karpathy files); for images kept elsewhere, link their folder into it (ln -s)"

// imagePathProblem says why an image path read from a data set file
// cannot be used, or returns "". Paths are read relative to the image
// folder and must stay inside it, in every format: no absolute path, no
// ".." out of the folder. A data set is then a folder that can be moved
// or shared whole, and a file from elsewhere cannot make a loader (or a
// web export) read images outside it.
func imagePathProblem(p string) string {
	slash := filepath.ToSlash(p)
	if path.IsAbs(slash) || filepath.IsAbs(p) || filepath.VolumeName(p) != "" {
		return fmt.Sprintf("image path %s is absolute", clip.Quote(p))
	}
	if c := path.Clean(slash); c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Sprintf("image path %s leaves the image folder", clip.Quote(p))
	}
	return ""
}
