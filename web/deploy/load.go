package deploy

import (
	"encoding/json"
	"fmt"
	"path/filepath"
)

// readModelCorpus reads the model file and the corpus that man, the
// manifest of the assets directory dir, names, each checked against the
// manifest's SHA-256 sum.
func readModelCorpus(dir string, man *Manifest) ([]byte, *Corpus, error) {
	mb, err := readChecked(dir, man.Model.File, man.Model.SHA256)
	if err != nil {
		return nil, nil, err
	}
	cb, err := readChecked(dir, man.Corpus, man.CorpusSHA256)
	if err != nil {
		return nil, nil, err
	}
	var c Corpus
	if err := json.Unmarshal(cb, &c); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, man.Corpus), err)
	}
	return mb, &c, nil
}
