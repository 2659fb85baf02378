package formats

import (
	"errors"
	"io/fs"
	"os"
)

// errNotRegular is what every notRegularError matches with errors.Is.
var errNotRegular = errors.New("not a regular file")

// notRegularError is a path that names a directory, a named pipe, a
// device or another file that is not a regular file. Reading one could
// block for ever (a FIFO with no writer) or never end (/dev/zero), so
// the loaders refuse them before reading.
type notRegularError struct{ mode fs.FileMode }

func (e *notRegularError) Error() string {
	return "it is " + fileKind(e.mode) + ", not a regular file"
}

// Unwrap returns errNotRegular.
func (e *notRegularError) Unwrap() error { return errNotRegular }

// fileKind names the type of a file that is not regular.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file (" + m.String() + ")"
}

// OpenRegular opens path for reading if it names a regular file (a
// symbolic link to one is fine), and returns the file with its FileInfo
// taken from the open file. The type is checked before opening, since
// opening a named pipe blocks until a writer comes, and again on the
// opened file, in case the path changed in between. A path that is not a
// regular file fails with an error that names its kind ("it is a named
// pipe, not a regular file"); one that does not exist with an error
// matching fs.ErrNotExist. Every command that reads a file a user names goes through it.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, &notRegularError{st.Mode()}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err = f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = &notRegularError{st.Mode()}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}
