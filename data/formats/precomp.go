package formats

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"aeir/data"
	"aeir/internal/clip"
)

// precompSplits are the splits LoadPrecomp looks for by default: file
// prefix and collection split.
var precompSplits = [...]struct{ file, split string }{
	{"train", "train"},
	{"dev", "val"},
	{"test", "test"},
	{"testall", "testall"},
}

// LoadPrecomp loads VSE++ precomputed features from dir: for each split,
// {split}_ims.npy (N×D float32) and {split}_caps.txt (k captions per
// image, one per line, in image order), and, when present, the project's
// {split}_short.txt (a short form of each caption, line for line), which
// becomes Collection.Short. With no splits it loads whichever
// of train, dev, test and testall are present; split names may be train,
// dev (or val), test and testall. The collections' split is the file's,
// except that dev is called "val"; their domain is dir's name without a
// "_precomp" suffix; image ids are "{split}/{row}", e.g. "val/17".
func LoadPrecomp(dir string, splits ...string) ([]*data.Collection, error) {
	return loadPrecomp(dir, splits, "", DefaultLimits())
}

func loadPrecomp(dir string, splits []string, domain string, lim *Limits) ([]*data.Collection, error) {
	const layout = "precomp data is {split}_ims.npy (N×D float32) with {split}_caps.txt (k captions per image, one per line)"
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fileError(dir, err, "give the folder holding "+layout)
	}
	if !st.IsDir() {
		return nil, &Error{File: dir, Problem: "is not a directory", Fix: "give the folder holding the .npy and .txt files"}
	}
	type want struct{ file, split string }
	var todo []want
	exists := func(file string) bool {
		_, err := os.Stat(filepath.Join(dir, file+"_ims.npy"))
		return err == nil
	}
	if len(splits) == 0 {
		for _, s := range precompSplits {
			if exists(s.file) {
				todo = append(todo, want{s.file, s.split})
			}
		}
		if len(todo) == 0 {
			return nil, &Error{File: dir, Problem: "holds no train_ims.npy, dev_ims.npy, test_ims.npy or testall_ims.npy", Fix: layout}
		}
	} else {
		seen := map[string]bool{}
		for _, s := range splits {
			w := want{file: s, split: s}
			switch s {
			case "train", "test", "testall":
			case "dev", "val":
				w.split = "val"
				if alt := map[string]string{"dev": "val", "val": "dev"}[s]; !exists(s) && exists(alt) {
					w.file = alt
				}
			default:
				return nil, &Error{File: dir, Problem: fmt.Sprintf("unknown split %s", clip.Quote(s)), Fix: "use train, dev (or val), test or testall"}
			}
			if seen[w.split] {
				return nil, &Error{File: dir, Problem: fmt.Sprintf("split %s asked for twice", clip.Quote(s)), Fix: "name each split once"}
			}
			seen[w.split] = true
			todo = append(todo, w)
		}
	}
	if domain == "" {
		domain = precompDomain(dir)
	}
	var out []*data.Collection
	for _, w := range todo {
		c, err := loadPrecompSplit(dir, w.file, w.split, domain, lim)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// precompDomain names the domain after the folder: f30k_precomp → f30k.
func precompDomain(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	name := strings.TrimSuffix(filepath.Base(dir), "_precomp")
	if name == "" || name == "." || name == string(filepath.Separator) {
		return "precomp"
	}
	return name
}

func loadPrecompSplit(dir, file, split, domain string, lim *Limits) (*data.Collection, error) {
	imsPath := filepath.Join(dir, file+"_ims.npy")
	capsPath := filepath.Join(dir, file+"_caps.txt")
	f, st, err := OpenRegular(imsPath)
	if err != nil {
		return nil, fileError(imsPath, err, fmt.Sprintf("split %s needs %s_ims.npy (N×D float32) next to %s_caps.txt", file, file, file))
	}
	defer f.Close()
	feat, n, d, err := parseNpy(imsPath, f, st.Size(), lim)
	if err != nil {
		return nil, err
	}
	cf, _, err := OpenRegular(capsPath)
	if err != nil {
		return nil, fileError(capsPath, err, fmt.Sprintf("split %s needs %s_caps.txt (k captions per image, one per line) next to %s_ims.npy", file, file, file))
	}
	defer cf.Close()
	caps, err := parseCaps(capsPath, cf, lim)
	if err != nil {
		return nil, err
	}
	align, err := alignCaps(capsPath, imsPath, len(caps), n)
	if err != nil {
		return nil, err
	}
	short, err := loadPrecompShort(filepath.Join(dir, file+"_short.txt"), capsPath, len(caps), lim)
	if err != nil {
		return nil, err
	}
	c := &data.Collection{
		Domain:    domain,
		Split:     split,
		Images:    &data.Images{N: n, Dim: d, Feat: feat},
		ImageIDs:  make([]string, n),
		Texts:     caps,
		TextImage: align,
		Short:     short,
	}
	for i := range c.ImageIDs {
		c.ImageIDs[i] = split + "/" + strconv.Itoa(i)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", imsPath, err)
	}
	return c, nil
}

// loadPrecompShort reads the optional short-form file of a split, one
// short form per line of the caption file; it returns nil when the file
// does not exist.
func loadPrecompShort(shortPath, capsPath string, nCaps int, lim *Limits) ([]string, error) {
	f, _, err := OpenRegular(shortPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fileError(shortPath, err, "")
	}
	defer f.Close()
	short, err := parseLines(shortPath, f, lim, "short form")
	if err != nil {
		return nil, err
	}
	if len(short) != nCaps {
		return nil, &Error{File: shortPath, Problem: fmt.Sprintf("%d short forms for %d captions (the lines of %s)", len(short), nCaps, filepath.Base(capsPath)),
			Fix: fmt.Sprintf("write one short form per line of %s, in the same order, or remove %s", filepath.Base(capsPath), filepath.Base(shortPath))}
	}
	return short, nil
}

// parseCaps reads a caption file: one caption per line, none empty, all
// valid UTF-8. A final line terminator is optional; "\r\n" is accepted.
func parseCaps(name string, r io.Reader, lim *Limits) ([]string, error) {
	return parseLines(name, r, lim, "caption")
}

// parseLines reads a file of one text per line (noun names them:
// "caption", "short form"), none empty, all valid UTF-8.
func parseLines(name string, r io.Reader, lim *Limits, noun string) ([]string, error) {
	r, err := checkTextStream(name, &limitReader{r: r, n: lim.MaxFileBytes})
	if err != nil {
		if errors.Is(err, errTooBig) {
			return nil, tooBig(name, -1, lim.MaxFileBytes)
		}
		return nil, err
	}
	lr := newLineReader(r, lim.MaxLineBytes)
	var caps []string
	for {
		b, err := lr.next()
		switch {
		case err == io.EOF:
			return caps, nil
		case errors.Is(err, errLineTooLong):
			return nil, &Error{File: name, Line: lr.line, Problem: fmt.Sprintf("line is longer than the limit of %d bytes", lim.MaxLineBytes),
				Fix: fmt.Sprintf("a %s file holds one %s per line (raise Limits.MaxLineBytes if this one is right)", noun, noun)}
		case errors.Is(err, errTooBig):
			return nil, tooBig(name, -1, lim.MaxFileBytes)
		case err != nil:
			return nil, &Error{File: name, Line: lr.line + 1, Problem: "cannot read file", Err: err}
		}
		if len(caps) >= lim.MaxTexts {
			return nil, &Error{File: name, Line: lr.line, Problem: fmt.Sprintf("more than %d %ss", lim.MaxTexts, noun), Fix: "raise Limits.MaxTexts if the file is what you meant to load"}
		}
		t, problem, fix := checkText(string(b), noun, "line")
		if problem != "" {
			return nil, &Error{File: name, Line: lr.line, Problem: problem, Fix: fix}
		}
		caps = append(caps, t)
	}
}

// alignCaps assigns nCaps captions to nIms images, k = nCaps/nIms per
// image in image order: caption j describes image j/k.
func alignCaps(capsName, imsName string, nCaps, nIms int) ([]int, error) {
	if nCaps == 0 {
		return nil, &Error{File: capsName, Problem: "file holds no captions",
			Fix: fmt.Sprintf("write k captions per image, one per line, in the order of the rows of %s", filepath.Base(imsName))}
	}
	if nIms <= 0 || nCaps%nIms != 0 {
		return nil, &Error{File: capsName, Problem: fmt.Sprintf("%d captions for %d images (the rows of %s) is not a whole number per image", nCaps, nIms, filepath.Base(imsName)),
			Fix: fmt.Sprintf("every image needs the same number k of captions, so the file needs k×%d lines (5×%d = %d for five per image)", nIms, nIms, 5*nIms)}
	}
	k := nCaps / nIms
	align := make([]int, nCaps)
	for j := range align {
		align[j] = j / k
	}
	return align, nil
}
