package train

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"aeir/data"
	"aeir/nn"
	"aeir/text"
)

// Encoder maps images and sentences into a common space of EmbedDim
// dimensions; *model.Model and *CCA are encoders.
type Encoder interface {
	EncodeImages(im *data.Images) []float32
	EncodeTexts(texts []string) []float32
	EmbedDim() int
}

// CCA is the classic baseline: canonical correlation analysis between
// fixed features of the source images and sentences, fitted on the source
// pairs alone (gonum's stat.CC), then used on the target.
//
// Image features: the picture composited on white and box-averaged to
// 8×8×3 (192 values: colour layout). Sentence features: the tokeniser's
// hashed word and n-gram ids counted into 512 buckets, L2-normalised.
// Each side is reduced by PCA to at most PCA dimensions (eigenvectors of the covariance, mat.EigenSym) before
// CCA, which needs more pairs than dimensions; embeddings are the first K
// canonical variates scaled by their correlations, L2-normalised.
type CCA struct {
	Grid     int            `json:"grid"`
	Fit      bool           `json:"fit,omitempty"` // images cropped to their content first (data.FitTile), as a model with Config.Fit reads them
	Tok      text.Tokenizer `json:"tokenizer"`
	K        int            `json:"k"`
	imgMean  []float64
	imgProj  *mat.Dense // features × K
	txtMean  []float64
	txtProj  *mat.Dense
	featSize int
}

// EmbedDim is K.
func (c *CCA) EmbedDim() int { return c.K }

func (c *CCA) imageFeatures(im *data.Images) *mat.Dense {
	if c.Fit {
		im = im.Fitted()
	}
	g := c.Grid
	f := mat.NewDense(im.N, 3*g*g, nil)
	buf := make([]float32, 3*im.W*im.H)
	cell := im.W / g
	for n := 0; n < im.N; n++ {
		data.Composite(buf, im.Pix[n*im.W*im.H*4:(n+1)*im.W*im.H*4], im.W, im.H)
		row := f.RawRowView(n)
		for ch := 0; ch < 3; ch++ {
			for y := 0; y < im.H; y++ {
				for x := 0; x < im.W; x++ {
					row[ch*g*g+(y/cell)*g+x/cell] += float64(buf[ch*im.W*im.H+y*im.W+x])
				}
			}
		}
		for i := range row {
			row[i] /= float64(cell * cell)
		}
	}
	return f
}

func (c *CCA) textFeatures(texts []string) *mat.Dense {
	f := mat.NewDense(len(texts), c.Tok.Buckets, nil)
	var ids []int32
	for n, t := range texts {
		ids = c.Tok.IDs(t, ids[:0])
		row := f.RawRowView(n)
		for _, id := range ids {
			row[id]++
		}
		var s float64
		for _, v := range row {
			s += v * v
		}
		if s > 0 {
			s = 1 / math.Sqrt(s)
			for i := range row {
				row[i] *= s
			}
		}
	}
	return f
}

// FitCCA fits the baseline on an aligned source collection of 32-px images
// (with fit, each cropped to its content first, as Config.Fit does).
func FitCCA(src *data.Collection, pca, k int, fit bool) (*CCA, error) {
	if !src.Images.IsPixels() || src.Images.W%8 != 0 {
		return nil, fmt.Errorf("cca: needs pixel images with a side divisible by 8")
	}
	c := &CCA{Grid: 8, Fit: fit, Tok: text.Tokenizer{Buckets: 512, MinN: 3, MaxN: 4}, K: k}
	// one row per pair
	imgRows := make([]int, len(src.Texts))
	copy(imgRows, src.TextImage)
	x := c.imageFeatures(src.Images.Subset(imgRows))
	y := c.textFeatures(src.Texts)
	xp, xm, xv, err := pcaReduce(x, pca)
	if err != nil {
		return nil, fmt.Errorf("cca: image PCA: %w", err)
	}
	yp, ym, yv, err := pcaReduce(y, pca)
	if err != nil {
		return nil, fmt.Errorf("cca: text PCA: %w", err)
	}
	var cc stat.CC
	if err := cc.CanonicalCorrelations(xp, yp, nil); err != nil {
		return nil, fmt.Errorf("cca: %w", err)
	}
	corrs := cc.CorrsTo(nil)
	if k > len(corrs) {
		return nil, fmt.Errorf("cca: %d components asked, %d available", k, len(corrs))
	}
	var l, r mat.Dense
	cc.LeftTo(&l, false)
	cc.RightTo(&r, false)
	scale := func(m *mat.Dense) *mat.Dense {
		rows, _ := m.Dims()
		out := mat.NewDense(rows, k, nil)
		for i := 0; i < rows; i++ {
			for j := 0; j < k; j++ {
				out.Set(i, j, m.At(i, j)*corrs[j])
			}
		}
		return out
	}
	c.imgProj, c.txtProj = &mat.Dense{}, &mat.Dense{}
	c.imgProj.Mul(xv, scale(&l))
	c.txtProj.Mul(yv, scale(&r))
	c.imgMean, c.txtMean = xm, ym
	return c, nil
}

// pcaReduce centres x and projects it on its first ≤ p principal axes,
// found by the eigendecomposition of the f×f covariance (cheaper than an
// SVD of the n×f data when n > f, as here).
func pcaReduce(x *mat.Dense, p int) (*mat.Dense, []float64, *mat.Dense, error) {
	n, f := x.Dims()
	mean := make([]float64, f)
	for j := 0; j < f; j++ {
		mean[j] = stat.Mean(mat.Col(nil, j, x), nil)
	}
	xc := mat.DenseCopyOf(x)
	for i := 0; i < n; i++ {
		row := xc.RawRowView(i)
		for j := range row {
			row[j] -= mean[j]
		}
	}
	cov := mat.NewSymDense(f, nil)
	cov.SymOuterK(1/float64(n-1), xc.T())
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, nil, nil, fmt.Errorf("eigendecomposition failed")
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs) // ascending eigenvalues: the last columns are the principal axes
	p = min(p, f, n-1)
	v := mat.NewDense(f, p, nil)
	for k := 0; k < p; k++ {
		col := f - 1 - k
		for i := 0; i < f; i++ {
			v.Set(i, k, vecs.At(i, col))
		}
	}
	var out mat.Dense
	out.Mul(xc, v)
	return &out, mean, v, nil
}

func project(f *mat.Dense, mean []float64, proj *mat.Dense) []float32 {
	n, _ := f.Dims()
	for i := 0; i < n; i++ {
		row := f.RawRowView(i)
		for j := range row {
			row[j] -= mean[j]
		}
	}
	var out mat.Dense
	out.Mul(f, proj)
	_, k := out.Dims()
	res := make([]float32, n*k)
	for i := 0; i < n; i++ {
		row := out.RawRowView(i)
		var s float64
		for _, v := range row {
			s += v * v
		}
		s = 1 / math.Max(math.Sqrt(s), 1e-12)
		for j, v := range row {
			res[i*k+j] = float32(v * s)
		}
	}
	return res
}

// EncodeImages embeds pixel images.
func (c *CCA) EncodeImages(im *data.Images) []float32 {
	return project(c.imageFeatures(im), c.imgMean, c.imgProj)
}

// EncodeTexts embeds sentences.
func (c *CCA) EncodeTexts(texts []string) []float32 {
	return project(c.textFeatures(texts), c.txtMean, c.txtProj)
}

// Save writes the fitted projections as a model file (atomically).
func (c *CCA) Save(path string) error {
	cfg, err := json.Marshal(struct {
		Kind string `json:"kind"`
		*CCA
	}{"cca", c})
	if err != nil {
		return err
	}
	toParam := func(name string, m *mat.Dense, v []float64) *nn.Param {
		if m != nil {
			r, k := m.Dims()
			p := nn.NewParam(name, r, k)
			for i := 0; i < r; i++ {
				for j := 0; j < k; j++ {
					p.W[i*k+j] = float32(m.At(i, j))
				}
			}
			return p
		}
		p := nn.NewParam(name, len(v))
		for i, x := range v {
			p.W[i] = float32(x)
		}
		return p
	}
	return nn.SaveFile(path, cfg, []*nn.Param{
		toParam("img_mean", nil, c.imgMean), toParam("img_proj", c.imgProj, nil),
		toParam("txt_mean", nil, c.txtMean), toParam("txt_proj", c.txtProj, nil),
	})
}

// LoadCCA reads a file written by CCA.Save.
func LoadCCA(path string) (*CCA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, ts, err := nn.Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var hdr struct {
		Kind string `json:"kind"`
		CCA
	}
	if err := json.Unmarshal(cfg, &hdr); err != nil || hdr.Kind != "cca" {
		return nil, fmt.Errorf("%s: not a CCA model file", path)
	}
	c := hdr.CCA
	if err := c.Tok.Validate(); err != nil || c.Grid < 1 || c.Grid > 64 || c.K < 1 {
		return nil, fmt.Errorf("%s: bad CCA settings", path)
	}
	get := map[string]*nn.Param{}
	for _, t := range ts {
		get[t.Name] = t
	}
	fi, ft := 3*c.Grid*c.Grid, c.Tok.Buckets
	want := map[string][]int{"img_mean": {fi}, "img_proj": {fi, c.K}, "txt_mean": {ft}, "txt_proj": {ft, c.K}}
	for name, shape := range want {
		t, ok := get[name]
		if !ok || fmt.Sprint(t.Shape) != fmt.Sprint(shape) {
			return nil, fmt.Errorf("%s: tensor %s missing or not %v", path, name, shape)
		}
	}
	vec := func(p *nn.Param) []float64 {
		out := make([]float64, len(p.W))
		for i, x := range p.W {
			out[i] = float64(x)
		}
		return out
	}
	c.imgMean, c.txtMean = vec(get["img_mean"]), vec(get["txt_mean"])
	c.imgProj = mat.NewDense(fi, c.K, vec(get["img_proj"]))
	c.txtProj = mat.NewDense(ft, c.K, vec(get["txt_proj"]))
	return &c, nil
}
