package vendormoji

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"aeir/data"
	"aeir/data/formats"
)

// Export formats.
var ExportFormats = []string{"csv", "tsv", "jsonl", "karpathy", "precomp"}

// ExportOptions choose what Export writes.
type ExportOptions struct {
	Format   string   // one of ExportFormats
	Scenario Scenario // the source domain (its pairs, split train) and the target (train, val, test)
	Protocol string   // Shared or Novel (Deploy's val and test overlap its training split, which no file format can hold)
	Concepts int      // > 0: only this many concepts, spread over the categories (Sample, seed 1); 0: all
	Out      string   // a new folder
}

// Export writes a scenario of the data set as a user's files would hold
// it, and returns the source and target data sources (run.ParseSpec
// syntax) that train on them: the source's pairs with split train, the
// target's training, val and test splits. Tables hold both domains in one
// file with the images beside it (images/); Karpathy files one domain
// each (dataset_<vendor>.<style>.json, its images in <vendor>.<style>/);
// precomp folders (<vendor>.<style>_precomp) one domain each, with the
// pixels themselves as features (data.PixelFeatures, mean 0, std 1: 3·S·S
// values), so they train as aeir train -image-backbone pixels does on the
// embedded set. The source's test concepts are not written (under the
// shared protocol they are among its training pairs, and an image has one
// split). ATTRIBUTION.md carries the sources' licences. Out must not
// exist; on error it is removed.
func (d *Dataset) Export(o ExportOptions) (source, target string, err error) {
	if !slices.Contains(ExportFormats, o.Format) {
		return "", "", fmt.Errorf("format %q: want %s", o.Format, strings.Join(ExportFormats, ", "))
	}
	if o.Protocol == Deploy {
		return "", "", fmt.Errorf("protocol deploy hands every target item over for training, so its val and test overlap the train split; a file gives each image one split: export shared or novel")
	}
	p, err := d.Parts(o.Scenario, o.Protocol)
	if err != nil {
		return "", "", err
	}
	if o.Concepts < 0 || o.Concepts > len(d.Concepts) {
		return "", "", fmt.Errorf("concepts %d: want 0 (all) to %d", o.Concepts, len(d.Concepts))
	}
	if o.Concepts > 0 {
		keep := map[string]bool{}
		for _, id := range d.Sample(o.Concepts, 1) {
			keep[d.Concepts[id].Unified] = true
		}
		for _, c := range []**data.Collection{&p.Source, &p.TargetTrain, &p.Val, &p.Test} {
			*c = keepConcepts(*c, keep)
		}
	}
	if _, err := os.Lstat(o.Out); err == nil {
		return "", "", fmt.Errorf("%s exists: give a new folder (nothing is overwritten)", o.Out)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return "", "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(o.Out)
		}
	}()
	att, err := ReadFile("ATTRIBUTION.md")
	if err != nil {
		return "", "", err
	}
	att = append([]byte(fmt.Sprintf("Exported from %s by aeir data export (%s → %s, protocol %s, format %s); the images and texts keep the licences below.\n\n", Name, o.Scenario.Source, o.Scenario.Target, o.Protocol, o.Format)), att...)
	if err := os.WriteFile(filepath.Join(o.Out, "ATTRIBUTION.md"), att, 0o644); err != nil {
		return "", "", err
	}
	src := []*data.Collection{p.Source}
	tgt := []*data.Collection{p.TargetTrain, p.Val, p.Test}
	name := func(dom Domain) string { return dom.Vendor + "." + dom.Style }
	switch o.Format {
	case "csv", "tsv", "jsonl":
		f := filepath.Join(o.Out, "vendormoji."+o.Format)
		if err := formats.WriteTable(f, append(src, tgt...), ""); err != nil {
			return "", "", err
		}
		return f + "#" + o.Scenario.Source.String(), f + "#" + o.Scenario.Target.String(), nil
	case "karpathy":
		var specs []string
		for i, cs := range [][]*data.Collection{src, tgt} {
			dom := []Domain{o.Scenario.Source, o.Scenario.Target}[i]
			f := filepath.Join(o.Out, "dataset_"+name(dom)+".json")
			if err := formats.WriteKarpathy(f, dom.String(), cs, filepath.Join(o.Out, name(dom))); err != nil {
				return "", "", err
			}
			specs = append(specs, f)
		}
		return specs[0], specs[1], nil
	default: // precomp
		var specs []string
		for i, cs := range [][]*data.Collection{src, tgt} {
			dom := []Domain{o.Scenario.Source, o.Scenario.Target}[i]
			fc := make([]*data.Collection, len(cs))
			for k, c := range cs {
				f, err := data.PixelFeatures(c.Images, [3]float32{}, [3]float32{1, 1, 1})
				if err != nil {
					return "", "", err
				}
				cc := *c
				cc.Images = f
				fc[k] = &cc
			}
			dir := filepath.Join(o.Out, name(dom)+"_precomp")
			if err := formats.WritePrecomp(dir, fc); err != nil {
				return "", "", err
			}
			specs = append(specs, dir+"#"+dom.String())
		}
		return specs[0], specs[1], nil
	}
}

// keepConcepts keeps the images whose ids are in keep.
func keepConcepts(c *data.Collection, keep map[string]bool) *data.Collection {
	var idx []int
	for i, id := range c.ImageIDs {
		if keep[id] {
			idx = append(idx, i)
		}
	}
	return c.Subset(idx)
}
