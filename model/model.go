package model

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"aeir/data"
	"aeir/nn"
	"aeir/text"
)

// Config fixes a model's shape. It is saved in the model file, so a file
// rebuilds exactly the network that wrote it.
type Config struct {
	Dim        int   `json:"dim"`                   // D, the common space
	ImageSize  int   `json:"image_size"`            // pixel input is 3×S×S (composited on white)
	Channels   []int `json:"channels"`              // CNN widths, one 3×3 conv + ReLU + 2×2 max-pool each
	FeatureDim int   `json:"feature_dim,omitempty"` // > 0: images are precomputed features of this length (no CNN)
	// FeatureHidden > 0 makes the projection of feature images an MLP
	// (Linear → ReLU → Dropout → Linear) with this many hidden units; 0: one
	// Linear.
	FeatureHidden int            `json:"feature_hidden,omitempty"`
	Fit           bool           `json:"fit,omitempty"` // crop each pixel image to its content first (data.FitTile)
	Tokenizer     text.Tokenizer `json:"tokenizer"`
	TextEmbed     int            `json:"text_embed"`  // embedding-bag width
	TextHidden    int            `json:"text_hidden"` // hidden width of the sentence MLP
	Dropout       float32        `json:"dropout"`     // before each encoder's last Linear

	// Gallery images (EncodeGallery) are embedded as the mean of this many
	// views: the image itself and GalleryViews−1 copies under the training
	// augmentation (DefaultAugment, line-art style with probability
	// ViewStyle). 0 or 1: the image alone. Queries are always one view.
	GalleryViews int     `json:"gallery_views,omitempty"`
	ViewStyle    float32 `json:"view_style,omitempty"`
}

// DefaultConfig is the model the project trains on VendorMoji.
func DefaultConfig() Config {
	return Config{
		Dim: 128, ImageSize: 32, Channels: []int{16, 32, 64},
		Tokenizer: text.Default(), TextEmbed: 64, TextHidden: 256, Dropout: 0.1,
	}
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	if c.ImageSize < 0 || c.ImageSize > 1024 {
		return fmt.Errorf("model config: image size %d out of [1, 1024]", c.ImageSize)
	}
	if c.Dim < 2 || c.Dim > 4096 {
		return fmt.Errorf("model config: dim %d out of [2, 4096]", c.Dim)
	}
	if c.FeatureDim == 0 {
		if len(c.Channels) == 0 || len(c.Channels) > 6 {
			return fmt.Errorf("model config: %d conv stages, want 1…6", len(c.Channels))
		}
		if c.ImageSize>>len(c.Channels) < 1 || c.ImageSize%(1<<len(c.Channels)) != 0 {
			return fmt.Errorf("model config: image size %d not divisible by 2^%d", c.ImageSize, len(c.Channels))
		}
		for _, ch := range c.Channels {
			if ch < 1 || ch > 1024 {
				return fmt.Errorf("model config: %d channels", ch)
			}
		}
	} else if c.FeatureDim < 0 || c.FeatureDim > 1<<16 {
		return fmt.Errorf("model config: feature dim %d", c.FeatureDim)
	} else if c.Fit {
		return fmt.Errorf("model config: fit crops pixel images, but this model reads features (dim %d)", c.FeatureDim)
	}
	if c.FeatureHidden < 0 || c.FeatureHidden > 8192 || (c.FeatureHidden > 0 && c.FeatureDim == 0) {
		return fmt.Errorf("model config: feature hidden width %d: want 0…8192, and only for feature images (precomp data or an image backbone)", c.FeatureHidden)
	}
	if err := c.Tokenizer.Validate(); err != nil {
		return fmt.Errorf("model config: %w", err)
	}
	if c.TextEmbed < 1 || c.TextEmbed > 4096 || c.TextHidden < 1 || c.TextHidden > 8192 {
		return fmt.Errorf("model config: text widths %d/%d", c.TextEmbed, c.TextHidden)
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		return fmt.Errorf("model config: dropout %v not in [0, 1)", c.Dropout)
	}
	if c.GalleryViews < 0 || c.GalleryViews > 64 || c.ViewStyle < 0 || c.ViewStyle > 1 {
		return fmt.Errorf("model config: %d gallery views with style %v (want 0…64 views, style in [0, 1])", c.GalleryViews, c.ViewStyle)
	}
	if c.GalleryViews > 1 && c.FeatureDim > 0 {
		return fmt.Errorf("model config: %d gallery views of feature inputs (views augment pixels)", c.GalleryViews)
	}
	if n := c.NumParams(); n > MaxParams {
		return fmt.Errorf("model config: %d weights, more than the limit %d", n, MaxParams)
	}
	return nil
}

// MaxParams bounds a model's size (512 MB of float32).
const MaxParams = 1 << 27

// NumParams is the number of weights the configuration needs, computed
// without building the model (model files are checked against it before
// anything is allocated). Call it on a validated shape: it does not guard
// against overflow of absurd sizes beyond Validate's field limits.
func (c Config) NumParams() int {
	n := 0
	if c.FeatureDim > 0 && c.FeatureHidden > 0 {
		n += c.FeatureDim*c.FeatureHidden + c.FeatureHidden + c.FeatureHidden*c.Dim + c.Dim
	} else if c.FeatureDim > 0 {
		n += c.FeatureDim*c.Dim + c.Dim
	} else {
		in, s := 3, c.ImageSize
		for _, ch := range c.Channels {
			n += in*ch*9 + ch
			in, s = ch, s/2
		}
		n += in*s*s*c.Dim + c.Dim
	}
	n += c.Tokenizer.Buckets * c.TextEmbed
	n += c.TextEmbed*c.TextHidden + c.TextHidden + c.TextHidden*c.Dim + c.Dim
	return n
}

// Model is the pair of encoders f (images) and g (sentences) into the
// common space. Both end in L2 normalisation, so the score of an image and
// a sentence, their dot product, is a cosine in [−1, 1].
//
//	f: 3×S×S → [Conv3×3 → ReLU → MaxPool2]ⁿ → Flatten → Dropout → Linear → L2Norm → ℝᴰ
//	   (or, for feature images: ℝᶠ → Dropout → Linear → L2Norm, or with
//	   FeatureHidden h: ℝᶠ → Linear → ReLU → Dropout → Linear(h→D) → L2Norm)
//	g: ids → EmbeddingBag(mean) → Linear → ReLU → Dropout → Linear → L2Norm → ℝᴰ
type Model struct {
	Config Config
	Img    *nn.Sequential
	Bag    *nn.EmbeddingBag
	Txt    *nn.Sequential

	x       *nn.Tensor // image input scratch
	fit     []uint8    // fitted tile scratch (Config.Fit)
	ids     []int32
	offsets []int32
}

// New builds a model with seeded initial weights.
func New(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x0de1))
	m := &Model{Config: cfg}
	var img []nn.Layer
	if cfg.FeatureDim > 0 && cfg.FeatureHidden > 0 {
		img = append(img, nn.NewLinear(rng, cfg.FeatureDim, cfg.FeatureHidden), nn.NewReLU(),
			nn.NewDropout(cfg.Dropout, seed+1), nn.NewLinear(rng, cfg.FeatureHidden, cfg.Dim))
	} else if cfg.FeatureDim > 0 {
		img = append(img, nn.NewDropout(cfg.Dropout, seed+1), nn.NewLinear(rng, cfg.FeatureDim, cfg.Dim))
	} else {
		in, s := 3, cfg.ImageSize
		for i, ch := range cfg.Channels {
			conv := nn.NewConv2D(rng, in, ch, 3, 1, 1)
			conv.NoInputGrad = i == 0 // pixels need no gradient
			img = append(img, conv, nn.NewReLU(), nn.NewMaxPool2D(2))
			in, s = ch, s/2
		}
		img = append(img, nn.NewFlatten(), nn.NewDropout(cfg.Dropout, seed+1), nn.NewLinear(rng, in*s*s, cfg.Dim))
	}
	img = append(img, nn.NewL2Norm())
	m.Img = nn.NewSequential(img...)
	nn.Prefix("img.", nn.Tensors(m.Img))
	m.Bag = nn.NewEmbeddingBag(rng, cfg.Tokenizer.Buckets, cfg.TextEmbed)
	nn.Prefix("txt.bag.", m.Bag.Params())
	m.Txt = nn.NewSequential(
		nn.NewLinear(rng, cfg.TextEmbed, cfg.TextHidden), nn.NewReLU(),
		nn.NewDropout(cfg.Dropout, seed+2), nn.NewLinear(rng, cfg.TextHidden, cfg.Dim),
		nn.NewL2Norm())
	nn.Prefix("txt.", nn.Tensors(m.Txt))
	return m, nil
}

// Params returns the trainable parameters: image encoder, then sentence
// encoder.
func (m *Model) Params() []*nn.Param {
	ps := append([]*nn.Param{}, m.Img.Params()...)
	ps = append(ps, m.Bag.Params()...)
	return append(ps, m.Txt.Params()...)
}

// Tensors returns everything a model file holds (parameters and buffers).
func (m *Model) Tensors() []*nn.Param {
	ps := nn.Tensors(m.Img)
	ps = append(ps, m.Bag.Params()...)
	return append(ps, nn.Tensors(m.Txt)...)
}

// ImageBatch fills the encoder input for images idx of im: pixels
// (fitted to their content when Config.Fit) composited on white and
// augmented when aug is non-nil, or feature rows.
func (m *Model) ImageBatch(im *data.Images, idx []int, aug *Augment) *nn.Tensor {
	return m.ImageBatchOf([]*data.Images{im}, [][]int{idx}, aug)
}

// ImageBatchOf stacks several selections into one input batch: the rows
// of ims[0] at idxs[0], then those of ims[1] at idxs[1], and so on (the
// transfer methods encode source and target images in one pass).
func (m *Model) ImageBatchOf(ims []*data.Images, idxs [][]int, aug *Augment) *nn.Tensor {
	n := 0
	for _, idx := range idxs {
		n += len(idx)
	}
	if f := m.Config.FeatureDim; f > 0 {
		m.x = nn.Ensure(m.x, n, f)
		r := 0
		for p, im := range ims {
			if im.IsPixels() || im.Dim != f {
				panic(fmt.Sprintf("model: feature model (dim %d) given images of dim %d", f, im.Dim))
			}
			for _, i := range idxs[p] {
				copy(m.x.Data[r*f:(r+1)*f], im.Feat[i*f:(i+1)*f])
				r++
			}
		}
		return m.x
	}
	s := m.Config.ImageSize
	m.x = nn.Ensure(m.x, n, 3, s, s)
	sz := 3 * s * s
	r := 0
	for p, im := range ims {
		if !im.IsPixels() || im.W != s || im.H != s {
			panic(fmt.Sprintf("model: %d-px model given %dx%d images", s, im.W, im.H))
		}
		for _, i := range idxs[p] {
			dst := m.x.Data[r*sz : (r+1)*sz]
			pix := im.Pix[i*s*s*4 : (i+1)*s*s*4]
			if m.Config.Fit {
				m.fit = slices.Grow(m.fit[:0], s*s*4)[:s*s*4]
				data.FitTile(m.fit, pix, s)
				pix = m.fit
			}
			data.Composite(dst, pix, s, s)
			if aug != nil {
				aug.Apply(dst, s)
			}
			r++
		}
	}
	return m.x
}

// TextBatch tokenises sentences into the embedding bag's flat ids and
// offsets (reusing the model's buffers) and returns the bag output.
func (m *Model) TextBatch(texts []string, train bool) *nn.Tensor {
	m.ids, m.offsets = m.ids[:0], m.offsets[:0]
	for _, t := range texts {
		m.offsets = append(m.offsets, int32(len(m.ids)))
		m.ids = m.Config.Tokenizer.IDs(t, m.ids)
	}
	return m.Bag.ForwardBag(m.ids, m.offsets)
}

// EmbedDim is D, the dimension of the common space.
func (m *Model) EmbedDim() int { return m.Config.Dim }

// EncodeTexts returns the N×D embeddings of sentences (eval mode).
func (m *Model) EncodeTexts(texts []string) []float32 {
	out := make([]float32, 0, len(texts)*m.Config.Dim)
	for i := 0; i < len(texts); i += 256 {
		j := min(i+256, len(texts))
		y := m.Txt.Forward(m.TextBatch(texts[i:j], false), false)
		out = append(out, y.Data...)
	}
	return out
}

// EncodeGallery returns the embeddings of images idx of im (nil: all of
// them) as a gallery holds them: with Config.GalleryViews > 1, each is the
// normalised mean of the image's own embedding and GalleryViews−1
// augmented views (test-time augmentation). The views of image i are
// drawn from seeds (i, view), so an image's embedding does not depend on
// which others are encoded with it. With one view it is EncodeImages.
func (m *Model) EncodeGallery(im *data.Images, idx []int) []float32 {
	return m.EncodeViews(im, idx, m.Config.GalleryViews, m.Config.ViewStyle)
}

// EncodeViews is EncodeGallery with the number of views v and their
// line-art probability given rather than read from the Config.
func (m *Model) EncodeViews(im *data.Images, idx []int, v int, style float32) []float32 {
	if idx == nil {
		idx = make([]int, im.N)
		for i := range idx {
			idx[i] = i
		}
	}
	if v <= 1 {
		return m.EncodeImages(im.Subset(idx))
	}
	d, s := m.Config.Dim, m.Config.ImageSize
	sum := nn.NewTensor(len(idx), d)
	aug := DefaultAugment()
	aug.Outline = float64(style)
	for lo := 0; lo < len(idx); lo += 128 {
		chunk := idx[lo:min(lo+128, len(idx))]
		for view := 0; view < v; view++ {
			x := m.ImageBatch(im, chunk, nil)
			if view > 0 {
				sz := x.Cols()
				for r, i := range chunk {
					aug.Rng = rand.New(rand.NewPCG(uint64(i), uint64(view)))
					aug.Apply(x.Data[r*sz:(r+1)*sz], s)
				}
			}
			y := m.Img.Forward(x, false)
			for k, e := range y.Data {
				sum.Data[lo*d+k] += e
			}
		}
	}
	return nn.NewL2Norm().Forward(sum, false).Data
}

// EncodeImages returns the N×D embeddings of all images (eval mode).
func (m *Model) EncodeImages(im *data.Images) []float32 {
	out := make([]float32, 0, im.N*m.Config.Dim)
	idx := make([]int, 0, 128)
	for i := 0; i < im.N; i += 128 {
		idx = idx[:0]
		for k := i; k < min(i+128, im.N); k++ {
			idx = append(idx, k)
		}
		y := m.Img.Forward(m.ImageBatch(im, idx, nil), false)
		out = append(out, y.Data...)
	}
	return out
}
