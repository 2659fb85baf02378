package onnx

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"aeir/internal/atomicfile"
	"aeir/model"
	"aeir/nn"
	"aeir/text"
)

// Opset is the ONNX operator-set version of exported graphs, and IRVersion
// the file-format version that goes with it.
const (
	Opset     = 13
	IRVersion = 7
)

// ExportVersion is the version of this package's graph layout and
// metadata, written as metadata "aeir.export_version".
const ExportVersion = 1

// Names of the graphs' inputs and outputs, and of the batch dimension.
const (
	ImageInput   = "image"     // float32 [batch, 3, S, S]: RGB in [0, 1], composited on white (data.Composite; after data.FitTile for a model with Config.Fit)
	FeatureInput = "features"  // float32 [batch, F] (models on precomputed features)
	TextInput    = "bag"       // float32 [batch, buckets]: how often each hashed id occurs in the sentence
	Output       = "embedding" // float32 [batch, D], unit rows
	BatchDim     = "batch"
)

// File names Export writes into its directory.
const (
	ImageFile = "image_encoder.onnx"
	TextFile  = "text_encoder.onnx"
)

// ImageEncoder returns the image encoder f of m as an ONNX model: the
// layers of m.Img in eval mode (Dropout is the identity and is left out),
// Conv2D → Conv, ReLU → Relu, MaxPool2D → MaxPool, Flatten → Flatten,
// Linear → MatMul + Add, L2Norm → Identity, Mul, MatMul, Sqrt, Sub, Relu,
// Add, Div (see l2norm).
func ImageEncoder(m *model.Model, meta model.Meta) (*ModelProto, error) {
	cfg := m.Config
	b := newBuilder("aeir_image_encoder")
	var x string
	var in *ValueInfo
	if cfg.FeatureDim > 0 {
		x = FeatureInput
		in = &ValueInfo{Name: x, ElemType: Float, HasShape: true,
			Shape: []Dim{{Param: BatchDim}, {Value: int64(cfg.FeatureDim)}}}
	} else {
		x = ImageInput
		s := int64(cfg.ImageSize)
		in = &ValueInfo{Name: x, ElemType: Float, HasShape: true,
			Shape: []Dim{{Param: BatchDim}, {Value: 3}, {Value: s}, {Value: s}}}
	}
	b.g.Inputs = []*ValueInfo{in}
	x, err := layers(b, x, "img", m.Img.Layers)
	if err != nil {
		return nil, fmt.Errorf("image encoder: %w", err)
	}
	b.rename(Output)
	b.g.Outputs = []*ValueInfo{outputInfo(cfg.Dim)}
	doc := fmt.Sprintf("AEIR image encoder: %s [batch, 3, %d, %d] float32, RGB planes in [0, 1] composited on white → %s [batch, %d], L2-normalised.",
		ImageInput, cfg.ImageSize, cfg.ImageSize, Output, cfg.Dim)
	if cfg.Fit {
		doc += " Each image is first cropped to its content (aeir data.FitTile): the graph does not crop."
	}
	if cfg.FeatureDim > 0 {
		doc = fmt.Sprintf("AEIR image encoder on precomputed features: %s [batch, %d] → %s [batch, %d], L2-normalised.", FeatureInput, cfg.FeatureDim, Output, cfg.Dim)
	}
	b.g.DocString = doc
	return wrap(b.g, "image", doc, m, meta)
}

// TextEncoder returns the sentence encoder g of m from the tokeniser's
// output onward. The tokeniser (text.Tokenizer, whose settings are in the
// metadata) turns a sentence into a bag of hashed ids; the graph takes the
// bag as a dense row of counts over the buckets (BagCounts), so that
//
//	mean = (counts · E) / max(Σ counts, 1)
//
// is two MatMuls, a floor at 1 (Sub, Relu, Add) and a Div — the EmbeddingBag's mean, an empty bag
// giving a zero row — followed by Linear → Relu → Linear → L2 norm. This
// form needs no Gather, ScatterElements or ReduceSum (onnx-go v0.5.0 has
// none of them), runs unchanged on every runtime, and keeps a dynamic
// batch without ragged id lists.
func TextEncoder(m *model.Model, meta model.Meta) (*ModelProto, error) {
	cfg := m.Config
	nb := cfg.Tokenizer.Buckets
	b := newBuilder("aeir_text_encoder")
	b.g.Inputs = []*ValueInfo{{Name: TextInput, ElemType: Float, HasShape: true,
		Shape: []Dim{{Param: BatchDim}, {Value: int64(nb)}}}}
	e := m.Bag
	if e.Buckets != nb {
		return nil, fmt.Errorf("text encoder: embedding bag has %d buckets, tokeniser %d", e.Buckets, nb)
	}
	sum := b.op("MatMul", []string{TextInput, b.weight("txt.bag.weight", append([]float32(nil), e.W.W...), int64(nb), int64(e.Dim))})
	cnt := b.op("MatMul", []string{TextInput, b.column(nb)})
	cnt = b.floor(cnt, "bag_min_count", 1)
	x := b.op("Div", []string{sum, cnt})
	x, err := layers(b, x, "txt", m.Txt.Layers)
	if err != nil {
		return nil, fmt.Errorf("text encoder: %w", err)
	}
	b.rename(Output)
	b.g.Outputs = []*ValueInfo{outputInfo(cfg.Dim)}
	tj, _ := json.Marshal(cfg.Tokenizer)
	doc := fmt.Sprintf("AEIR sentence encoder from the tokeniser's output: %s [batch, %d] float32, the count of each hashed id of the sentence (tokeniser %s, metadata aeir.tokenizer) → %s [batch, %d], L2-normalised.",
		TextInput, nb, tj, Output, cfg.Dim)
	b.g.DocString = doc
	return wrap(b.g, "text", doc, m, meta)
}

// layers appends the eval-mode graph of a chain of nn layers.
func layers(b *builder, x, prefix string, ls []nn.Layer) (string, error) {
	for i, l := range ls {
		name := prefix + "." + strconv.Itoa(i)
		switch l := l.(type) {
		case *nn.Conv2D:
			k, p, s := int64(l.K), int64(l.Pad), int64(l.Stride)
			w := b.weight(name+".weight", append([]float32(nil), l.W.W...), int64(l.OutC), int64(l.InC), k, k)
			bias := b.weight(name+".bias", append([]float32(nil), l.B.W...), int64(l.OutC))
			x = b.op("Conv", []string{x, w, bias},
				intsAttr("kernel_shape", k, k), intsAttr("pads", p, p, p, p), intsAttr("strides", s, s), intsAttr("dilations", 1, 1), intAttr("group", 1))
		case *nn.ReLU:
			x = b.op("Relu", []string{x})
		case *nn.MaxPool2D:
			k := int64(l.K)
			x = b.op("MaxPool", []string{x}, intsAttr("kernel_shape", k, k), intsAttr("strides", k, k), intsAttr("pads", 0, 0, 0, 0))
		case *nn.Flatten:
			x = b.op("Flatten", []string{x}, intAttr("axis", 1))
		case *nn.Dropout:
			// identity at inference
		case *nn.Linear:
			x = b.linear(x, name, l.W.W, l.B.W, l.In, l.Out)
		case *nn.L2Norm:
			if i != len(ls)-1 {
				return "", fmt.Errorf("layer %d: L2Norm before the last layer", i)
			}
			d, ok := lastWidth(ls)
			if !ok {
				return "", fmt.Errorf("layer %d: L2Norm without a Linear before it", i)
			}
			x = b.l2norm(x, d, l.Eps)
		default:
			return "", fmt.Errorf("layer %d (%T) has no ONNX export", i, l)
		}
	}
	if len(b.g.Nodes) == 0 {
		return "", fmt.Errorf("no layers")
	}
	return x, nil
}

func lastWidth(ls []nn.Layer) (int, bool) {
	for i := len(ls) - 1; i >= 0; i-- {
		if l, ok := ls[i].(*nn.Linear); ok {
			return l.Out, true
		}
	}
	return 0, false
}

func outputInfo(d int) *ValueInfo {
	return &ValueInfo{Name: Output, ElemType: Float, HasShape: true, Shape: []Dim{{Param: BatchDim}, {Value: int64(d)}}}
}

// wrap makes the model around a graph, with the metadata a user needs to
// feed it: which encoder, dimensions, preprocessing, data set, method,
// versions and the tokeniser's settings.
func wrap(g *GraphProto, which, doc string, m *model.Model, meta model.Meta) (*ModelProto, error) {
	cfg := m.Config
	cj, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	tj, _ := json.Marshal(cfg.Tokenizer)
	md := []StringPair{
		{"aeir.encoder", which},
		{"aeir.dim", strconv.Itoa(cfg.Dim)},
		{"aeir.export_version", strconv.Itoa(ExportVersion)},
		{"aeir.model_file_version", strconv.Itoa(model.FileVersion)},
		{"aeir.dataset", meta.Dataset},
		{"aeir.method", meta.Method},
		{"aeir.scenario", meta.Scenario},
		{"aeir.config", string(cj)},
		{"aeir.tokenizer", string(tj)},
		{"aeir.output", Output + ": float32 [batch, " + strconv.Itoa(cfg.Dim) + "], unit rows; score = dot product"},
	}
	switch {
	case which == "text":
		md = append(md,
			StringPair{"aeir.input", TextInput + ": float32 [batch, " + strconv.Itoa(cfg.Tokenizer.Buckets) + "], counts of the sentence's hashed ids"},
			StringPair{"aeir.tokenizer.algorithm", "NFKC, lower case, words split at runes that are not letters, marks or digits (words of marks only dropped); per word: the word id, then the ids of its character n-grams min_n…max_n of '<'+word+'>' (n < the marked length), then one id per Han/Hiragana/Katakana/Hangul rune; id = FNV-1a-32 over (kind byte 'w'/'n'/'c', then each rune's non-zero bytes little end first followed by 0xff) mod buckets; reference implementation: package aeir/text"})
	case cfg.FeatureDim > 0:
		md = append(md, StringPair{"aeir.input", FeatureInput + ": float32 [batch, " + strconv.Itoa(cfg.FeatureDim) + "], image features"})
	default:
		md = append(md,
			StringPair{"aeir.image_size", strconv.Itoa(cfg.ImageSize)},
			StringPair{"aeir.input", ImageInput + ": float32 [batch, 3, " + strconv.Itoa(cfg.ImageSize) + ", " + strconv.Itoa(cfg.ImageSize) + "], RGB planes (NCHW) in [0, 1]: straight-alpha RGBA composited over white (v·a + 1 − a), images centre-cropped and area-resized to the size"})
	}
	var kept []StringPair
	for _, p := range md {
		if p.Value != "" {
			kept = append(kept, p)
		}
	}
	return &ModelProto{
		IRVersion: IRVersion, Opsets: []OpsetID{{Version: Opset}},
		ProducerName: "aeir", ProducerVersion: strconv.Itoa(ExportVersion),
		Domain: "aeir", ModelVersion: 1, DocString: doc, Graph: g, Metadata: kept,
	}, nil
}

// BagCounts writes the text encoder's input for sentences: row i holds,
// for each bucket, how often the tokeniser yields that id for texts[i].
// dst is reused when large enough; the result is len(texts)×Buckets.
func BagCounts(tok text.Tokenizer, texts []string, dst []float32) []float32 {
	n := len(texts) * tok.Buckets
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	clear(dst)
	var ids []int32
	for i, t := range texts {
		ids = tok.IDs(t, ids[:0])
		row := dst[i*tok.Buckets : (i+1)*tok.Buckets]
		for _, id := range ids {
			row[id]++
		}
	}
	return dst
}

// Export writes both encoders of m into dir as ImageFile and TextFile
// (each written to a temporary file, then renamed) and returns the paths.
func Export(m *model.Model, meta model.Meta, dir string) ([]string, error) {
	im, err := ImageEncoder(m, meta)
	if err != nil {
		return nil, err
	}
	tx, err := TextEncoder(m, meta)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range []struct {
		name string
		m    *ModelProto
	}{{ImageFile, im}, {TextFile, tx}} {
		p := filepath.Join(dir, f.name)
		if err := atomicfile.WriteFile(p, f.m.Marshal()); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// OpTypes lists a graph's operators in node order, each once.
func OpTypes(m *ModelProto) []string {
	seen := map[string]bool{}
	var ops []string
	for _, n := range m.Graph.Nodes {
		if !seen[n.OpType] {
			seen[n.OpType] = true
			ops = append(ops, n.OpType)
		}
	}
	return ops
}

// MetadataValue returns the value of a metadata key, or "".
func (m *ModelProto) MetadataValue(key string) string {
	for _, p := range m.Metadata {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}
