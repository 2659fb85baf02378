package formats

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

var errLineTooLong = errors.New("line too long")

// lineReader yields the lines of a text stream without their "\n" or
// "\r\n" terminators, refusing lines longer than a limit, and numbering
// them from 1. A UTF-8 byte order mark at the start is dropped.
type lineReader struct {
	br   *bufio.Reader
	line int
}

func newLineReader(r io.Reader, maxLine int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, maxLine+2)}
}

// next returns the next line, io.EOF after the last one, errLineTooLong
// (with lr.line the offending line's number) or a read error. The
// returned slice is valid until the next call.
func (lr *lineReader) next() ([]byte, error) {
	b, err := lr.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		lr.line++
		return nil, errLineTooLong
	case err == io.EOF && len(b) == 0:
		return nil, io.EOF
	case err != nil && err != io.EOF:
		return nil, err
	}
	lr.line++
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	if lr.line == 1 {
		b = bytes.TrimPrefix(b, []byte("\ufeff"))
	}
	return b, nil
}

// checkText checks one text (caption, sentence) and returns it trimmed,
// or a problem and a fix. noun names the text ("caption") and unit what
// holds it ("line", "row").
func checkText(s, noun, unit string) (t, problem, fix string) {
	if !utf8.ValidString(s) {
		return "", noun + " is not valid UTF-8", "save the file as UTF-8"
	}
	if p := nulProblem(noun, s); p != "" {
		return "", p, "remove it: a NUL byte is not text"
	}
	t = strings.TrimSpace(s)
	if t == "" {
		return "", noun + " is empty", "write the " + noun + ", or remove the " + unit
	}
	return t, "", ""
}

// Split names of the collections this package returns.
const (
	splitTrain = "train"
	splitVal   = "val"
	splitTest  = "test"
)

// normSplit maps a split name as found in Karpathy files and tables to
// the project's names: restval counts as train, dev as val. Empty stays
// empty (unsplit). ok is false for unknown names.
func normSplit(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", true
	case "train", "restval":
		return splitTrain, true
	case "val", "dev":
		return splitVal, true
	case "test":
		return splitTest, true
	}
	return "", false
}

// splitRank orders collections: train, val, test, anything else, unsplit.
func splitRank(s string) int {
	switch s {
	case splitTrain:
		return 0
	case splitVal:
		return 1
	case splitTest:
		return 2
	case "":
		return 4
	}
	return 3
}
