package deploy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"aeir/data/vendormoji"
	"aeir/internal/atomicfile"
	"aeir/web/adapt"
)

// sourceFile is the source pairs file of a VendorMoji export (the page's
// Adapt button): the scenario's source tiles at the model's input size
// and their sentences.
const sourceFile = "source-pairs.bin"

// SourcePairs is how many source pairs a site ships for adapting: a
// seeded sample, sorted, of the scenario's source domain. All 1,906
// VendorMoji tiles at 64 px make a 5.0 MB file; 1,000 are plenty for the
// page's budget (a few thousand pairs visited), at half the download.
const SourcePairs = 1000

// writeSource writes the source pairs file of the export's scenario and
// names it in the manifest.
func (x *vendorMojiExport) writeSource() error {
	desc, err := writeSourcePairs(x.o.Out, x.ds, x.sc, x.protocol)
	if err != nil {
		return err
	}
	x.man.Adapt = desc
	return nil
}

func writeSourcePairs(dir string, ds *vendormoji.Dataset, sc vendormoji.Scenario, protocol string) (*AdaptDesc, error) {
	if protocol == "" { // a model file that names no protocol: the shared protocol's source pairs
		protocol = vendormoji.Shared
	}
	p, err := ds.Parts(sc, protocol)
	if err != nil {
		return nil, err
	}
	src := p.Source
	if n := len(src.Texts); n > SourcePairs && src.Images.N == n {
		idx := rand.New(rand.NewPCG(1, 0x5e1ec7)).Perm(n)[:SourcePairs]
		slices.Sort(idx)
		src = src.Subset(idx)
	}
	b, err := adapt.EncodeSource(src)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, sourceFile), b); err != nil {
		return nil, err
	}
	return &AdaptDesc{File: sourceFile, SHA256: sha(b), Bytes: len(b), Domain: src.Domain, Pairs: len(src.Texts)}, nil
}

// AddSource adds the source pairs file (see Manifest.Adapt) to a
// VendorMoji assets directory exported before there was one, from the
// data set build at dataRoot (vendormoji.LoadSize; "" for the default
// place): written, and named in the manifest, which is written last and
// otherwise unchanged.
func AddSource(dir, dataRoot string) (*Manifest, error) {
	man, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if man.IsFiles() {
		return nil, fmt.Errorf("%s: adapting in the page needs a VendorMoji export", dir)
	}
	var sc vendormoji.Scenario
	if sc.Source, err = vendormoji.ParseDomain(man.Model.Source); err != nil {
		return nil, err
	}
	if sc.Target, err = vendormoji.ParseDomain(man.Model.Target); err != nil {
		return nil, err
	}
	ds, err := vendormoji.LoadSize(dataRoot, man.Model.ImageSize)
	if err != nil {
		return nil, err
	}
	if man.Adapt, err = writeSourcePairs(dir, ds, sc, man.Model.Protocol); err != nil {
		return nil, err
	}
	return man, writeManifest(dir, man)
}

// AdaptAssets are what `aeir adapt` replays the page's adaptation with,
// read from an exported site's assets and checked against its manifest:
// the model file, the source pairs file and the corpus's sentences (the
// page's default sentences of a user's gallery).
type AdaptAssets struct {
	Manifest  *Manifest
	Model     []byte
	Source    []byte
	Sentences []string
}

// ReadAdaptAssets reads the AdaptAssets of the assets directory dir.
func ReadAdaptAssets(dir string) (*AdaptAssets, error) {
	man, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if man.Adapt == nil {
		return nil, fmt.Errorf("%s has no source pairs file: its manifest names none (export it again with aeir export web)", dir)
	}
	a := &AdaptAssets{Manifest: man}
	if a.Model, err = readChecked(dir, man.Model.File, man.Model.SHA256); err != nil {
		return nil, err
	}
	if a.Source, err = readChecked(dir, man.Adapt.File, man.Adapt.SHA256); err != nil {
		return nil, err
	}
	cb, err := readChecked(dir, man.Corpus, man.CorpusSHA256)
	if err != nil {
		return nil, err
	}
	var c Corpus
	if err := json.Unmarshal(cb, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, man.Corpus), err)
	}
	for _, x := range c.Concepts {
		a.Sentences = append(a.Sentences, x.Text)
	}
	for _, x := range c.Sentences {
		a.Sentences = append(a.Sentences, x.Text)
	}
	return a, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
