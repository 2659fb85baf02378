package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"aeir/nn"
)

// FileVersion is the version of the model-file metadata written here.
const FileVersion = 1

// Meta is the JSON header of a model file: the configuration that rebuilds
// the network, and what it was trained on and how.
type Meta struct {
	Version  int             `json:"version"`
	Config   Config          `json:"config"`
	Method   string          `json:"method,omitempty"`
	Scenario string          `json:"scenario,omitempty"`
	Dataset  string          `json:"dataset,omitempty"`
	Extra    json.RawMessage `json:"extra,omitempty"` // trainer state in checkpoints
}

// Save writes the model to path atomically (temporary file, then rename).
// extra tensors (e.g. optimiser state) are stored after the model's.
func (m *Model) Save(path string, meta Meta, extra ...*nn.Param) error {
	meta.Version = FileVersion
	meta.Config = m.Config
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return nn.SaveFile(path, b, append(m.Tensors(), extra...))
}

// Write writes the model file Save would to w (the page saves its
// adapted model from memory).
func (m *Model) Write(w io.Writer, meta Meta) error {
	meta.Version = FileVersion
	meta.Config = m.Config
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return nn.Save(w, b, m.Tensors())
}

// Load reads a model file written by Save. Tensors whose names the model
// does not have are returned as extra (optimiser state of a checkpoint).
func Load(path string) (*Model, Meta, []*nn.Param, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Meta{}, nil, err
	}
	defer f.Close()
	m, meta, extra, err := Read(f)
	if err != nil {
		return nil, meta, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, meta, extra, nil
}

// Read is Load from a reader (the browser reads from fetched bytes).
func Read(r io.Reader) (*Model, Meta, []*nn.Param, error) {
	cfgb, ts, err := nn.Load(r)
	if err != nil {
		return nil, Meta{}, nil, err
	}
	var meta Meta
	dec := json.NewDecoder(bytes.NewReader(cfgb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&meta); err != nil {
		return nil, meta, nil, fmt.Errorf("model metadata: %w", err)
	}
	if meta.Version != FileVersion {
		return nil, meta, nil, fmt.Errorf("model metadata version %d; this build reads version %d", meta.Version, FileVersion)
	}
	if err := meta.Config.Validate(); err != nil {
		return nil, meta, nil, err
	}
	have := 0
	for _, t := range ts {
		have += len(t.W)
	}
	if need := meta.Config.NumParams(); need > have {
		return nil, meta, nil, fmt.Errorf("model config needs %d weights, the file holds %d", need, have)
	}
	m, err := New(meta.Config, 0)
	if err != nil {
		return nil, meta, nil, err
	}
	byName := map[string]*nn.Param{}
	for _, t := range ts {
		byName[t.Name] = t
	}
	for _, p := range m.Tensors() {
		t, ok := byName[p.Name]
		if !ok {
			return nil, meta, nil, fmt.Errorf("model file has no tensor %q", p.Name)
		}
		if !sameShape(t.Shape, p.Shape) {
			return nil, meta, nil, fmt.Errorf("tensor %q has shape %v, the config needs %v", p.Name, t.Shape, p.Shape)
		}
		copy(p.W, t.W)
		delete(byName, p.Name)
	}
	var extra []*nn.Param
	for _, t := range ts {
		if _, ok := byName[t.Name]; ok {
			extra = append(extra, t)
		}
	}
	return m, meta, extra, nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
