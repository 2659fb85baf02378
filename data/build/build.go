// Package build makes the VendorMoji data set from pinned npm packages:
// the emoji art of three vendors (Twemoji, Google Noto, OpenMoji) and the
// texts of the Unicode CLDR, emoji-datasource, emojibase and OpenMoji.
//
// It is the only code that reads the raw packages. It reads the .tgz
// tarballs directly (no extraction), checks each against its pinned
// SHA-512 integrity, rasterises OpenMoji's SVGs with rsvg-convert, scales
// every image to the requested size by area averaging (data.Resize) and
// writes the compact files that package vendormoji embeds. The output is
// deterministic: running it twice gives the same bytes.
package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Package is one pinned npm package.
type Package struct {
	Name, Version string
	Integrity     string // npm's sha512-… of the tarball
	Licence       string
	Use           string
}

// Tarball is the file name `npm pack` gives the package.
func (p Package) Tarball() string {
	return strings.TrimPrefix(strings.ReplaceAll(p.Name, "/", "-"), "@") + "-" + p.Version + ".tgz"
}

// Packages are the exact inputs of the data set. Apple's and Facebook's
// images, present in emoji-datasource's tarball as sprite sheets, are never
// read.
var Packages = []Package{
	{"emoji-datasource", "16.0.0", "sha512-/qHKqK5Nr3+8zhgO6kHmF43Fm5C8HNn0AaFRIpgw8HF3+uF0Vfc8jgLI1ZQS5ba1vBzksS8NBCjHejwLb2D/Sg==", "MIT", "concept list, names, categories, short_names"},
	{"emoji-datasource-twitter", "16.0.0", "sha512-7F+uCuHH+7Qnrc15P5tnbvKkg9E6tlzi4MnT2uW1RlN4pLYTza6cP/dstIfSDMtpjFLWuZewWg8jBbuL2eyELQ==", "CC-BY-4.0 (Twemoji graphics)", "Twemoji 64-px PNGs"},
	{"emoji-datasource-google", "16.0.0", "sha512-ZRexfzs7MVoLnmzZmNsO4TKhnAJp5D++Vm6PpUpH/jEQQlemp3l88CjZ+DoZ2faM9R4QxZkOPJCoT8DlPhfQ3A==", "Apache-2.0 (Noto Emoji graphics)", "Google Noto 64-px PNGs"},
	{"openmoji", "17.0.0", "sha512-EBnYrNGdcdw+OSXmENeNE1yBNRu6tOraTmoOyUbJkTmvT/+XETp8RZLSJFzD3lrPc5N9CzsyPnRTk0Vp4UaI9w==", "CC-BY-SA-4.0", "OpenMoji colour SVGs, openmoji_tags"},
	{"cldr-annotations-full", "48.2.0", "sha512-DV7A+rEcgUSNTRsVGNGqBZRmAkGfwhGHO5Q1dRwzBoBnVrHWp804JP7/QJdEc66iHmx3+zLWVIMCFLm0lW7PUQ==", "Unicode-3.0", "CLDR names and keywords"},
	{"cldr-annotations-derived-full", "48.2.0", "sha512-log62km+AOzI7n/NEuNNFV0mg9DWnt67EYCh1RwxZq9dyRuyteB586LT83Ke8TchEfnwI9cIk2P31zO4nTvZmw==", "Unicode-3.0", "CLDR names of flags, keycaps, sequences"},
	{"emojibase-data", "17.0.0", "sha512-Yvgb5AWoHViHV/gq1qr5ZAarcBip+B27/ZLRsUJkbgAEaLlZ/fof9g882LTpmEpyhBNEC0m2SEmItljHsTygjA==", "MIT", "emojibase English shortcodes"},
}

// Fetch runs `npm pack` for every package missing from dir and verifies
// the integrity of every tarball there. npm checks integrity on download
// too; the second check guards the cache against later damage.
func Fetch(dir string, log io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range Packages {
		path := filepath.Join(dir, p.Tarball())
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(log, "npm pack %s@%s\n", p.Name, p.Version)
			cmd := exec.Command("npm", "pack", "--silent", p.Name+"@"+p.Version, "--pack-destination", dir)
			cmd.Stderr = log
			if out, err := cmd.Output(); err != nil {
				return fmt.Errorf("npm pack %s@%s: %v (%s)", p.Name, p.Version, err, bytes.TrimSpace(out))
			}
		}
		if err := verify(path, p.Integrity); err != nil {
			return err
		}
	}
	return nil
}

func verify(path, integrity string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	got := "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil))
	if got != integrity {
		return fmt.Errorf("%s: integrity %s, want %s (delete the file and run `make data` again)", path, got, integrity)
	}
	return nil
}

// tarFiles reads the entries of a .tgz whose names satisfy keep.
func tarFiles(path string, keep func(name string) bool) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if h.Typeflag != tar.TypeReg || !keep(h.Name) {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, h.Name, err)
		}
		out[h.Name] = b
	}
}

func readJSON(files map[string][]byte, name string, v any) error {
	b, ok := files[name]
	if !ok {
		return fmt.Errorf("package file %s missing", name)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
