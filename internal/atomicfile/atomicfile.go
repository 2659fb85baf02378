// Package atomicfile writes files so that a reader sees either the old
// content or the whole new content, never a half-written file: the data
// goes to a temporary file in the same directory, is synced, and is then
// renamed over the destination. On any error the temporary file is
// removed and the destination is left as it was. Every package of the
// project that writes results, models or data writes through it.
package atomicfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
)

// Write creates path (and its directory) with the bytes fill writes, mode
// 0644.
func Write(path string, fill func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	// CreateTemp makes the file private; results are meant to be read by
	// others. Best effort: a browser's WebAssembly file system has no modes.
	_ = f.Chmod(0o644)
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// WriteFile is Write for bytes already in memory.
func WriteFile(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(b))
		return err
	})
}
