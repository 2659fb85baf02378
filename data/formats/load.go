package formats

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"aeir/data"
)

// Load loads a data set from path, choosing the loader from the path:
//
//   - a directory holding {split}_ims.npy files, or one such .npy or
//     {split}_caps.txt file: VSE++ precomp (LoadPrecomp; a single file
//     loads its split only);
//   - a file named dataset_*.json, or a directory holding exactly one:
//     Karpathy (LoadKarpathy);
//   - a .csv, .tsv or .jsonl file: a table (LoadTable).
func Load(path string, opts Options) ([]*data.Collection, error) {
	lim := opts.limits()
	size := opts.Size
	if size == 0 {
		size = DefaultSize
	}
	const fix = "give a precomp directory ({split}_ims.npy with {split}_caps.txt), a Karpathy dataset_*.json, or a .csv, .tsv or .jsonl table"
	st, err := os.Stat(path)
	if err != nil {
		return nil, fileError(path, err, fix)
	}
	notFor := func(field, format string) error {
		return &Error{File: path, Problem: fmt.Sprintf("Options.%s does not apply to %s", field, format), Fix: "leave it empty for this input"}
	}
	karpathy := func(jsonPath string) ([]*data.Collection, error) {
		if len(opts.Splits) > 0 {
			return nil, notFor("Splits", "Karpathy files")
		}
		return loadKarpathy(jsonPath, opts.ImageDir, opts.Domain, size, lim)
	}
	if st.IsDir() {
		ims, _ := filepath.Glob(filepath.Join(path, "*_ims.npy"))
		if len(ims) > 0 {
			if opts.ImageDir != "" {
				return nil, notFor("ImageDir", "precomp features")
			}
			return loadPrecomp(path, opts.Splits, opts.Domain, lim)
		}
		js, _ := filepath.Glob(filepath.Join(path, "dataset_*.json"))
		switch len(js) {
		case 1:
			return karpathy(js[0])
		case 0:
			return nil, &Error{File: path, Problem: "directory holds no *_ims.npy and no dataset_*.json", Fix: fix}
		default:
			return nil, &Error{File: path, Problem: fmt.Sprintf("directory holds %d dataset_*.json files", len(js)), Fix: "give the path of the one to load"}
		}
	}
	base := filepath.Base(path)
	lower := strings.ToLower(base)
	for _, suffix := range []string{"_ims.npy", "_caps.txt"} {
		if split, ok := strings.CutSuffix(base, suffix); ok && split != "" {
			if opts.ImageDir != "" {
				return nil, notFor("ImageDir", "precomp features")
			}
			splits := opts.Splits
			if len(splits) == 0 {
				splits = []string{split}
			}
			return loadPrecomp(filepath.Dir(path), splits, opts.Domain, lim)
		}
	}
	if strings.HasPrefix(lower, "dataset_") && strings.HasSuffix(lower, ".json") {
		return karpathy(path)
	}
	if _, ok := tableKindOf(path); ok {
		if len(opts.Splits) > 0 {
			return nil, notFor("Splits", "tables")
		}
		if opts.Domain != "" {
			return nil, notFor("Domain", "tables (they name domains in their domain column)")
		}
		return loadTable(path, opts.ImageDir, size, lim)
	}
	return nil, &Error{File: path, Problem: "cannot tell the format from the name", Fix: fix}
}
