package web

import (
	"bytes"
	"encoding/json"
	"fmt"

	"aeir/nn"
)

// GalleryKind is the "kind" of a gallery embeddings file.
const GalleryKind = "aeir-gallery"

// GalleryMeta is the JSON header of a gallery embeddings file. The file
// itself uses the model file format (nn.SaveAs, float16, checksummed) with
// one tensor "embeddings" of shape [Count, Dim].
type GalleryMeta struct {
	Kind        string `json:"kind"`
	Vendor      string `json:"vendor"`       // image domain, e.g. "openmoji"
	Count       int    `json:"count"`        // images, in concept order
	Dim         int    `json:"dim"`          // embedding width (the model's D)
	ModelSHA256 string `json:"model_sha256"` // hex SHA-256 of the model file that computed them
}

// EncodeGallery returns the gallery file of count×dim embeddings emb,
// stored as float16.
func EncodeGallery(meta GalleryMeta, emb []float32) ([]byte, error) {
	meta.Kind = GalleryKind
	if meta.Count < 1 || meta.Dim < 1 || len(emb) != meta.Count*meta.Dim {
		return nil, fmt.Errorf("gallery: %d values for %d embeddings of width %d", len(emb), meta.Count, meta.Dim)
	}
	cfg, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	t := &nn.Param{Name: "embeddings", Shape: []int{meta.Count, meta.Dim}, W: emb}
	if err := nn.SaveAs(&buf, cfg, []*nn.Param{t}, nn.Float16); err != nil {
		return nil, fmt.Errorf("gallery: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeGallery reads a gallery file.
func DecodeGallery(b []byte) (GalleryMeta, []float32, error) {
	var meta GalleryMeta
	cfg, ts, err := nn.LoadBytes(b)
	if err != nil {
		return meta, nil, fmt.Errorf("gallery embeddings: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(cfg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&meta); err != nil || meta.Kind != GalleryKind {
		return meta, nil, fmt.Errorf("gallery embeddings: not a gallery file (header %.60q)", cfg)
	}
	if len(ts) != 1 || ts[0].Name != "embeddings" || len(ts[0].Shape) != 2 ||
		ts[0].Shape[0] != meta.Count || ts[0].Shape[1] != meta.Dim || meta.Count < 1 {
		return meta, nil, fmt.Errorf("gallery embeddings: want one tensor \"embeddings\" of shape [%d %d]", meta.Count, meta.Dim)
	}
	return meta, ts[0].W, nil
}
