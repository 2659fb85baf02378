//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe or /dev/zero given as a thumbnail is refused before it
// is read, by the check and by the decoder.
func TestThumbNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	for _, p := range []string{fifo, "/dev/zero"} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		done := make(chan [2]error, 1)
		go func() {
			_, err := decodeThumb(p)
			done <- [2]error{checkThumb(p), err}
		}()
		select {
		case errs := <-done:
			for _, err := range errs {
				if err == nil || !strings.Contains(err.Error(), "not a regular file") {
					t.Errorf("%s: %v", p, err)
				}
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still reading after 10 s: it hangs", p)
		}
	}
}
