package onnx

import "testing"

// FuzzUnmarshal feeds arbitrary bytes to the decoder that reads users'
// backbone files: it must return an error or a model, never panic, and a
// decoded model must encode again.
func FuzzUnmarshal(f *testing.F) {
	m := testModel(f)
	p, err := ImageEncoder(m, testMeta)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.Marshal()[:2000])
	f.Add([]byte{0x3a, 0x05, 0x0a, 0x03, 'a', 'b', 'c'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err != nil {
			return
		}
		_ = m.Marshal()
		_ = OpTypes(m)
	})
}
