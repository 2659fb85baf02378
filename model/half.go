package model

import (
	"encoding/json"

	"aeir/nn"
)

// SaveAs is Save with the weights stored as dt. nn.Float16 halves the file
// (the browser demo ships its model that way); Load reads either. The
// float16 file holds exactly the weights RoundHalf leaves in memory.
func (m *Model) SaveAs(path string, meta Meta, dt nn.Dtype) error {
	meta.Version = FileVersion
	meta.Config = m.Config
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return nn.SaveFileAs(path, b, m.Tensors(), dt)
}

// RoundHalf rounds every weight to the nearest float16 in place, so the
// model computes what its float16 file will. It returns the name of the
// first tensor with a value a float16 cannot hold, or "".
func (m *Model) RoundHalf() string {
	bad := ""
	for _, p := range m.Tensors() {
		if nn.RoundHalf(p.W) >= 0 && bad == "" {
			bad = p.Name
		}
	}
	return bad
}
