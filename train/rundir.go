package train

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// RunFiles are the files a run writes into its folder; nothing else in
// the folder is ever written or removed by a run.
var RunFiles = []string{OptionsFile, CheckpointFile, BestFile, HistoryFile}

// CheckFresh returns nil when dir holds none of the RunFiles (or does not
// exist), and otherwise an error naming those it holds: a new run must
// not silently replace an earlier one, even one whose checkpoint was
// pruned.
func CheckFresh(dir string) error {
	var found []string
	for _, f := range RunFiles {
		_, err := os.Lstat(filepath.Join(dir, f))
		switch {
		case err == nil:
			found = append(found, f)
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
	}
	if len(found) == 0 {
		return nil
	}
	return fmt.Errorf("%s already holds a run (%s): pass -resume to continue it, -force to replace it, or choose another -out",
		dir, strings.Join(found, ", "))
}

// RemoveRun deletes the RunFiles of dir, and the temporary files killed
// writes of them left behind; nothing else in dir.
func RemoveRun(dir string) error {
	for _, f := range RunFiles {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return removeStaleTemps(dir)
}

// removeStaleTemps deletes the temporary files (".NAME.tmp*", see
// internal/atomicfile) that a write of one of the RunFiles left behind
// when the process was killed mid-write. A run owns its folder, so any
// such file is stale by the time a trainer starts.
func removeStaleTemps(dir string) error {
	for _, f := range RunFiles {
		stale, err := filepath.Glob(filepath.Join(dir, "."+f+".tmp*"))
		if err != nil {
			return err
		}
		for _, p := range stale {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing a stale temporary file: %w", err)
			}
		}
	}
	return nil
}
