package run

import (
	"fmt"

	"aeir/data"
	"aeir/data/formats"
	"aeir/data/vendormoji"
	"aeir/train"
)

// A Kind is one family of data sources: it claims the specs it reads and
// builds the task of a (source, target) pair of its own specs. The
// registry, Kinds, is searched in order.
type Kind interface {
	Name() string
	// Owns reports whether the spec is of this kind.
	Owns(s Spec) bool
	// Task builds the task of d (whose Source and Target this kind owns),
	// filling in what it records (content hashes, the holdout).
	Task(d *train.Data, lim *formats.Limits) (*data.Task, error)
	// Whole returns the target domain of d whole (every split, aligned):
	// the gallery and corpus the demo page ranks. Evaluation only.
	Whole(d train.Data, lim *formats.Limits) (*data.Collection, error)
}

// Kinds is the registry of data sources: VendorMoji, then users' files.
var Kinds = []Kind{vendorMojiKind{}, fileKind{}}

// kindOf finds the kind that reads both of d's sources.
func kindOf(d train.Data) (Kind, Spec, Spec, error) {
	s, err := ParseSpec(d.Source)
	if err != nil {
		return nil, s, s, fmt.Errorf("source: %w", err)
	}
	t, err := ParseSpec(d.Target)
	if err != nil {
		return nil, s, t, fmt.Errorf("target: %w", err)
	}
	for _, k := range Kinds {
		if k.Owns(s) && k.Owns(t) {
			return k, s, t, nil
		}
	}
	return nil, s, t, fmt.Errorf("source %s and target %s are of different kinds (a VendorMoji domain and a file): export VendorMoji to a file first (aeir data export) and name both in files", s, t)
}

// Task builds the task d names, through the registry, and records in d
// what a later rebuild must find again (content hashes, the holdout): a
// run's Options.Data after Task is what options.json keeps. A recorded
// hash that no longer matches is an error naming the path.
func Task(d *train.Data, lim *formats.Limits) (*data.Task, error) {
	k, _, _, err := kindOf(*d)
	if err != nil {
		return nil, err
	}
	task, err := k.Task(d, lim)
	if err != nil {
		return nil, err
	}
	if d.Backbone != nil {
		if err := applyBackbone(task, d); err != nil {
			return nil, err
		}
	}
	return task, nil
}

// Whole returns the whole target domain of d (every split, aligned), with
// the run's backbone applied.
func Whole(d train.Data, lim *formats.Limits) (*data.Collection, error) {
	k, _, _, err := kindOf(d)
	if err != nil {
		return nil, err
	}
	c, err := k.Whole(d, lim)
	if err != nil {
		return nil, err
	}
	if d.Backbone != nil {
		bb, err := openBackbone(d)
		if err != nil {
			return nil, err
		}
		if c.Images, err = bb(c.Images); err != nil {
			return nil, err
		}
	}
	return c, nil
}

type vendorMojiKind struct{}

func (vendorMojiKind) Name() string     { return vendormoji.Name }
func (vendorMojiKind) Owns(s Spec) bool { return s.Vendor != nil }

func (vendorMojiKind) Task(d *train.Data, _ *formats.Limits) (*data.Task, error) {
	ds, err := vendormoji.LoadSize("", d.Size)
	if err != nil {
		return nil, err
	}
	if d.Holdout != nil {
		return nil, fmt.Errorf("-holdout applies to a file target without val/test splits; VendorMoji's splits come from -protocol")
	}
	s, _ := ParseSpec(d.Source)
	t, _ := ParseSpec(d.Target)
	d.Dataset = vendormoji.Name
	return ds.Task(vendormoji.Scenario{Source: *s.Vendor, Target: *t.Vendor}, d.Protocol, d.Seed)
}

func (vendorMojiKind) Whole(d train.Data, _ *formats.Limits) (*data.Collection, error) {
	ds, err := vendormoji.LoadSize("", d.Size)
	if err != nil {
		return nil, err
	}
	t, _ := ParseSpec(d.Target)
	all := make([]int, len(ds.Concepts))
	for i := range all {
		all[i] = i
	}
	return ds.Collection(*t.Vendor, all, "all"), nil
}

type fileKind struct{}

func (fileKind) Name() string     { return "file" }
func (fileKind) Owns(s Spec) bool { return s.Vendor == nil }

// FileProtocol is Data.Protocol of runs on files: the file's own splits (or
// the recorded holdout).
const FileProtocol = "file"

func (fileKind) load(d train.Data, lim *formats.Limits) (src, tgt *Domain, err error) {
	size := d.Size
	if size == 0 {
		size = formats.DefaultSize
	}
	s, _ := ParseSpec(d.Source)
	t, _ := ParseSpec(d.Target)
	cache := map[string][]*data.Collection{} // a table holding both domains is read once
	if src, err = loadDomain(s, size, lim, cache); err != nil {
		return nil, nil, fmt.Errorf("source: %w", err)
	}
	if tgt, err = loadDomain(t, size, lim, cache); err != nil {
		return nil, nil, fmt.Errorf("target: %w", err)
	}
	for _, c := range []struct {
		name, want, have, path string
	}{{"source", d.SourceSHA256, src.SHA256, s.Path}, {"target", d.TargetSHA256, tgt.SHA256, t.Path}} {
		if c.want != "" && c.want != c.have {
			return nil, nil, fmt.Errorf("%s %s changed since the run was trained: its content's SHA-256 is %s, the run recorded %s (restore the data the run was trained on at %s; paths are relative to the folder aeir runs in)", c.name, c.path, c.have, c.want, c.path)
		}
	}
	return src, tgt, nil
}

func (k fileKind) Task(d *train.Data, lim *formats.Limits) (*data.Task, error) {
	src, tgt, err := k.load(*d, lim)
	if err != nil {
		return nil, err
	}
	if src.SHA256 == tgt.SHA256 {
		return nil, fmt.Errorf("source %s and target %s hold the same data: the target must be another domain, whose alignment the learner does not see", src.Spec, tgt.Spec)
	}
	if d.Holdout == nil && tgt.Splits["val"] == nil && tgt.Splits["test"] == nil {
		d.Holdout = &train.Holdout{Val: 0.1, Test: 0.1}
	}
	task, err := fileTask(src, tgt, *d)
	if err != nil {
		return nil, err
	}
	d.Protocol = FileProtocol
	d.Dataset = ""
	d.SourceSHA256, d.TargetSHA256 = src.SHA256, tgt.SHA256
	return task, nil
}

func (k fileKind) Whole(d train.Data, lim *formats.Limits) (*data.Collection, error) {
	_, tgt, err := k.load(d, lim)
	if err != nil {
		return nil, err
	}
	return whole(tgt.Splits), nil
}
