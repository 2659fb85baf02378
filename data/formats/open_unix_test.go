//go:build unix

package formats

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loadWithin loads path on a goroutine and fails the test if it has not
// returned after d: a hang check, not a timing assertion.
func loadWithin(t *testing.T, path string, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Load(path, Options{})
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("loading %s has not returned after %v: it hangs", path, d)
		return nil
	}
}

// A named pipe given as an image is refused without being opened, so
// that the load does not wait for ever for a writer. (Issue item 6.)
func TestFIFOImageRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "img", "pipe.png")
	if err := os.MkdirAll(filepath.Dir(fifo), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	t.Cleanup(func() {
		// release a reader blocked in open, if the loader had opened it
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	writeFile(t, filepath.Join(dir, "pairs.csv"), []byte("image,text,domain\nimg/pipe.png,x,d\n"))
	err := loadWithin(t, filepath.Join(dir, "pairs.csv"), 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "image file "+fifo+" is a named pipe, not a regular file") {
		t.Errorf("got %v", err)
	}
	if _, _, err := OpenRegular(fifo); !errors.Is(err, errNotRegular) {
		t.Errorf("OpenRegular: %v", err)
	}
}

// /dev/zero, directly or through a link named like an image, is refused
// before a byte is read, not after reading MaxImageBytes of zeros.
func TestDevZeroImageRefused(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "img", "zero.png")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "pairs.csv"), []byte("image,text,domain\nimg/zero.png,x,d\n"))
	var err error
	alloc := totalAlloc(func() { err = loadWithin(t, filepath.Join(dir, "pairs.csv"), 60*time.Second) })
	if err == nil || !strings.Contains(err.Error(), "is a character device, not a regular file") {
		t.Errorf("got %v", err)
	}
	if alloc > 8<<20 {
		t.Errorf("refusing /dev/zero allocated %d bytes: it was read", alloc)
	}
	if _, err := readDisk("/dev/zero", 1<<20); !errors.Is(err, errNotRegular) || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("readDisk(/dev/zero): %v", err)
	}
}

// Data files themselves (a table, a Karpathy JSON, a precomp folder's
// features and captions) are refused the same way when they name a
// named pipe or a device.
func TestSpecialDataFilesRefused(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skipf("cannot make a FIFO: %v", err)
		}
		return p
	}
	table, kp := mk("pairs.csv"), mk("k/dataset_x.json")
	mk("pre/test_ims.npy")
	caps := filepath.Join(dir, "pre2", "test_caps.txt")
	writeFile(t, filepath.Join(dir, "pre2", "test_ims.npy"), npy32(t, [][]float32{{1, 2}}))
	if err := syscall.Mkfifo(caps, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{table, kp, filepath.Join(dir, "pre"), filepath.Join(dir, "pre2")} {
		err := loadWithin(t, p, 10*time.Second)
		if err == nil || !strings.Contains(err.Error(), "named pipe, not a regular file") {
			t.Errorf("%s: got %v, want a refusal naming the named pipe", p, err)
		}
	}
}
