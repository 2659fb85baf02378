package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"

	"aeir/nn"
)

// GalleryKind is the "kind" of a gallery embeddings file.
const GalleryKind = "aeir-gallery"

// GalleryMeta is the JSON header of a gallery embeddings file. The file
// itself uses the model file format (nn.SaveAs, float16, checksummed) with
// one tensor "embeddings" of shape [Count, Dim] and, when Hub is set, the
// hubness terms the engine ranks with, precomputed against one corpus:
// "hub_images" [Count] and "hub_sentences" [Hub.Sentences], float16 like
// the embeddings.
type GalleryMeta struct {
	Kind        string     `json:"kind"`
	Vendor      string     `json:"vendor"`        // image domain, e.g. "openmoji"
	Count       int        `json:"count"`         // images, in concept order
	Dim         int        `json:"dim"`           // embedding width (the model's D)
	ModelSHA256 string     `json:"model_sha256"`  // hex SHA-256 of the model file that computed them
	Hub         *HubHeader `json:"hub,omitempty"` // precomputed hubness terms, if any
}

// HubHeader says which corpus and neighbourhood a gallery file's hubness
// terms were computed for.
type HubHeader struct {
	K            int    `json:"k"`             // neighbours (HubK)
	Sentences    int    `json:"sentences"`     // corpus size
	CorpusSHA256 string `json:"corpus_sha256"` // CorpusHash of the sentences
}

// Hubs are precomputed hubness terms (see eval.Hubness): of each gallery
// image against the corpus, and of each corpus sentence against the
// gallery.
type Hubs struct {
	Images, Sentences []float32
}

// CorpusHash identifies a sentence corpus for HubHeader: the hex SHA-256
// of the sentences, each preceded by its length.
func CorpusHash(texts []string) string {
	h := sha256.New()
	for _, s := range texts {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// EncodeGallery returns the gallery file of count×dim embeddings emb,
// stored as float16, with hubness terms when hubs is not nil (meta.Hub
// must then describe them).
func EncodeGallery(meta GalleryMeta, emb []float32, hubs *Hubs) ([]byte, error) {
	meta.Kind = GalleryKind
	if meta.Count < 1 || meta.Dim < 1 || len(emb) != meta.Count*meta.Dim {
		return nil, fmt.Errorf("gallery: %d values for %d embeddings of width %d", len(emb), meta.Count, meta.Dim)
	}
	ts := []*nn.Param{{Name: "embeddings", Shape: []int{meta.Count, meta.Dim}, W: emb}}
	if (hubs == nil) != (meta.Hub == nil) {
		return nil, fmt.Errorf("gallery: hubness terms and their header must come together")
	}
	if hubs != nil {
		if len(hubs.Images) != meta.Count || len(hubs.Sentences) != meta.Hub.Sentences || meta.Hub.K < 1 {
			return nil, fmt.Errorf("gallery: %d image and %d sentence hubness terms for %d images and %d sentences (k %d)",
				len(hubs.Images), len(hubs.Sentences), meta.Count, meta.Hub.Sentences, meta.Hub.K)
		}
		ts = append(ts, &nn.Param{Name: "hub_images", Shape: []int{meta.Count}, W: hubs.Images},
			&nn.Param{Name: "hub_sentences", Shape: []int{meta.Hub.Sentences}, W: hubs.Sentences})
	}
	cfg, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := nn.SaveAs(&buf, cfg, ts, nn.Float16); err != nil {
		return nil, fmt.Errorf("gallery: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeGallery reads a gallery file: its header, embeddings and hubness
// terms (nil if it has none).
func DecodeGallery(b []byte) (GalleryMeta, []float32, *Hubs, error) {
	var meta GalleryMeta
	cfg, ts, err := nn.LoadBytes(b)
	if err != nil {
		return meta, nil, nil, fmt.Errorf("gallery embeddings: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(cfg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&meta); err != nil || meta.Kind != GalleryKind {
		return meta, nil, nil, fmt.Errorf("gallery embeddings: not a gallery file (header %.60q)", cfg)
	}
	want := 1
	if meta.Hub != nil {
		want = 3
	}
	if len(ts) != want || ts[0].Name != "embeddings" || len(ts[0].Shape) != 2 ||
		ts[0].Shape[0] != meta.Count || ts[0].Shape[1] != meta.Dim || meta.Count < 1 {
		return meta, nil, nil, fmt.Errorf("gallery embeddings: want a tensor \"embeddings\" of shape [%d %d] (and hubness terms only with their header)", meta.Count, meta.Dim)
	}
	if meta.Hub == nil {
		return meta, ts[0].W, nil, nil
	}
	if ts[1].Name != "hub_images" || len(ts[1].W) != meta.Count || ts[2].Name != "hub_sentences" || len(ts[2].W) != meta.Hub.Sentences || meta.Hub.K < 1 {
		return meta, nil, nil, fmt.Errorf("gallery embeddings: want hubness terms \"hub_images\" [%d] and \"hub_sentences\" [%d]", meta.Count, meta.Hub.Sentences)
	}
	for _, t := range ts[1:] {
		for i, v := range t.W {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return meta, nil, nil, fmt.Errorf("gallery embeddings: %s[%d] is %v", t.Name, i, v)
			}
		}
	}
	return meta, ts[0].W, &Hubs{Images: ts[1].W, Sentences: ts[2].W}, nil
}

// SentencesKind is the "kind" of a sentence embeddings file.
const SentencesKind = "aeir-sentences"

// SentencesMeta is the JSON header of a sentence embeddings file: the
// embeddings of a corpus's sentences, precomputed by `aeir export web` so
// the page need not encode the corpus at load. The file uses the model
// file format (nn.SaveAs, checksummed) with one tensor "embeddings" of
// shape [Count, Dim], stored as float32 — exactly the values the engine
// computes natively (SetTexts), so the page ranks sentences as native Go
// does (float16 would move scores by about 1e-3).
type SentencesMeta struct {
	Kind         string `json:"kind"`
	Count        int    `json:"count"`         // sentences, in corpus order
	Dim          int    `json:"dim"`           // embedding width (the model's D)
	ModelSHA256  string `json:"model_sha256"`  // hex SHA-256 of the model file that computed them
	CorpusSHA256 string `json:"corpus_sha256"` // CorpusHash of the sentences
}

// EncodeSentences returns the sentence embeddings file of count×dim
// embeddings emb.
func EncodeSentences(meta SentencesMeta, emb []float32) ([]byte, error) {
	meta.Kind = SentencesKind
	if meta.Count < 1 || meta.Dim < 1 || len(emb) != meta.Count*meta.Dim {
		return nil, fmt.Errorf("sentences: %d values for %d embeddings of width %d", len(emb), meta.Count, meta.Dim)
	}
	cfg, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	ts := []*nn.Param{{Name: "embeddings", Shape: []int{meta.Count, meta.Dim}, W: emb}}
	if err := nn.SaveAs(&buf, cfg, ts, nn.Float32); err != nil {
		return nil, fmt.Errorf("sentences: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeSentences reads a sentence embeddings file: its header and
// embeddings, checked to be finite.
func DecodeSentences(b []byte) (SentencesMeta, []float32, error) {
	var meta SentencesMeta
	cfg, ts, err := nn.LoadBytes(b)
	if err != nil {
		return meta, nil, fmt.Errorf("sentence embeddings: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(cfg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&meta); err != nil || meta.Kind != SentencesKind {
		return meta, nil, fmt.Errorf("sentence embeddings: not a sentence embeddings file (header %.60q)", cfg)
	}
	if len(ts) != 1 || ts[0].Name != "embeddings" || len(ts[0].Shape) != 2 ||
		ts[0].Shape[0] != meta.Count || ts[0].Shape[1] != meta.Dim || meta.Count < 1 {
		return meta, nil, fmt.Errorf("sentence embeddings: want one tensor \"embeddings\" of shape [%d %d]", meta.Count, meta.Dim)
	}
	for i, v := range ts[0].W {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return meta, nil, fmt.Errorf("sentence embeddings: embedding %d holds %v", i/meta.Dim, v)
		}
	}
	return meta, ts[0].W, nil
}
