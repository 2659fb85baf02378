package formats

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// OpenRegular opens regular files, directly or through a link, and
// refuses directories and missing files without opening them.
func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.png")
	writeFile(t, p, []byte("12345"))
	f, st, err := OpenRegular(p)
	if err != nil || st.Size() != 5 || !st.Mode().IsRegular() {
		t.Fatalf("regular file: %v, %v", st, err)
	}
	f.Close()
	if err := os.Symlink(p, filepath.Join(dir, "link.png")); err == nil {
		f, st, err := OpenRegular(filepath.Join(dir, "link.png"))
		if err != nil || st.Size() != 5 {
			t.Errorf("link to a regular file: %v", err)
		} else {
			f.Close()
		}
	}
	if _, _, err := OpenRegular(dir); !errors.Is(err, errNotRegular) || !strings.Contains(err.Error(), "is a directory, not a regular file") {
		t.Errorf("directory: %v", err)
	}
	if _, _, err := OpenRegular(filepath.Join(dir, "nope.png")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// An image path naming a directory is refused with what it is.
func TestImageDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "img", "d.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "pairs.csv"), []byte("image,text,domain\nimg/d.png,x,d\n"))
	_, err := Load(filepath.Join(dir, "pairs.csv"), Options{})
	if err == nil || !strings.Contains(err.Error(), "image file "+filepath.Join(dir, "img", "d.png")+" is a directory, not a regular file") {
		t.Errorf("got %v", err)
	}
}
