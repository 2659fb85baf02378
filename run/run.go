package run

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"aeir/data"
	"aeir/data/formats"
	"aeir/internal/atomicfile"
	"aeir/model"
	"aeir/onnx"
	"aeir/train"
)

// Run is a run directory written by aeir train: its options, and from
// them its task and its models.
type Run struct {
	Dir     string
	Options train.Options
	Limits  *formats.Limits // for loading its data (nil: defaults)

	task *data.Task
}

// Open reads dir/options.json. Errors say what dir is missing.
func Open(dir string) (*Run, error) {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("run directory %s does not exist (train one with: aeir train -out %s)", dir, dir)
		}
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory: want a run directory written by aeir train", dir)
	}
	p := filepath.Join(dir, train.OptionsFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s is not a run directory: no %s (written by aeir train)", dir, train.OptionsFile)
	}
	r := &Run{Dir: dir}
	if err := json.Unmarshal(b, &r.Options); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return r, nil
}

// Label is the run's name in tables and legends.
func (r *Run) Label() string {
	if r.Options.Method == "oracle" {
		return "oracle (upper bound)"
	}
	return r.Options.Method
}

// Task rebuilds the run's task from its options (once; later calls return
// the same task). Data that changed since training is refused.
func (r *Run) Task() (*data.Task, error) {
	if r.task != nil {
		return r.task, nil
	}
	d := r.Options.Data
	t, err := Task(&d, r.Limits)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", r.Dir, err)
	}
	r.task = t
	return t, nil
}

// Model loads a model file of the run ("" for best.aeir): a network, or
// the CCA baseline's projections.
func (r *Run) Model(file string) (train.Encoder, error) {
	if file == "" {
		file = train.BestFile
	}
	p := filepath.Join(r.Dir, file)
	if strings.ContainsRune(file, filepath.Separator) || strings.ContainsRune(file, '/') {
		p = file // a model file elsewhere (e.g. adapted in the page), evaluated on the run's data
	}
	if _, err := os.Stat(p); err != nil {
		if p == file {
			return nil, err
		}
		return nil, fmt.Errorf("%s has no %s: is its training finished?", r.Dir, file)
	}
	if r.Options.Method == "cca" {
		return train.LoadCCA(p)
	}
	m, _, _, err := model.Load(p)
	return m, err
}

// History reads the run's per-epoch history (nil for CCA, which is fitted).
func (r *Run) History() ([]train.Epoch, error) {
	if r.Options.Method == "cca" {
		return nil, nil
	}
	p := filepath.Join(r.Dir, train.HistoryFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s has no %s: has it trained an epoch?", r.Dir, train.HistoryFile)
	}
	var h []train.Epoch
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return h, nil
}

// Prepare validates opt, builds its task and fills in what the data
// decides: the content hashes and holdout (opt.Data), and for images that
// are feature vectors (precomp, or a backbone) a feature model without
// image augmentation whose structural neighbours are searched in the
// common space (appearance descriptors need pixels).
func Prepare(opt *train.Options, lim *formats.Limits) (*data.Task, error) {
	if opt.Data.Backbone != nil && opt.Data.Backbone.Path != PixelsBackbone {
		sum, err := fileSHA256(opt.Data.Backbone.Path)
		if err != nil {
			return nil, fmt.Errorf("image backbone: %w", err)
		}
		opt.Data.Backbone.SHA256 = sum
	}
	task, err := Task(&opt.Data, lim)
	if err != nil {
		return nil, err
	}
	if im := task.Train.Source.Images; !im.IsPixels() {
		opt.Model.FeatureDim = im.Dim
		opt.Model.Fit = false
		opt.Augment = false
		opt.StyleAug = 0
		if opt.StrSpace != "embedding" {
			opt.StrSpace = "embedding"
		}
	} else {
		opt.Model.FeatureDim = 0 // pixels: the CNN (a -config of a feature run may say otherwise)
		if opt.Model.FeatureHidden > 0 {
			return nil, fmt.Errorf("-feature-hidden %d applies to feature images (precomp data or -image-backbone); these are %d-px pixel images", opt.Model.FeatureHidden, im.W)
		}
		if im.W != opt.Model.ImageSize {
			return nil, fmt.Errorf("the data's images are %d px, the model reads %d px (aeir train -size)", im.W, opt.Model.ImageSize)
		}
	}
	// a small data set: batches no larger than what there is
	opt.Batch = max(2, min(opt.Batch, len(task.Train.Source.Texts)))
	opt.TargetBatch = max(2, min(opt.TargetBatch, task.Train.TargetImages.N, len(task.Train.TargetTexts)))
	if opt.NameAug > 0 && task.Train.Source.Short == nil {
		return nil, fmt.Errorf("name augmentation %v: the source sentences (%s) have no short forms (a short column or field)", opt.NameAug, task.Train.Source.Domain)
	}
	return task, opt.Validate()
}

// FitCCA fits the CCA baseline on the task's source pairs and saves it as
// the run's model in dir, with options.json beside it like a trained run.
func FitCCA(task *data.Task, opt train.Options, dir string) (*train.CCA, error) {
	if err := train.CheckFresh(dir); err != nil {
		return nil, err
	}
	c, err := train.FitCCA(task.Train.Source, 128, 64, opt.Model.Fit)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ob, _ := json.MarshalIndent(opt, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(dir, train.OptionsFile), ob); err != nil {
		return nil, err
	}
	return c, c.Save(filepath.Join(dir, train.BestFile))
}

// PixelsBackbone is the backbone that uses the composited RGB values
// themselves as features (3·S·S per image): a linear image encoder on raw
// pixels, and the way VendorMoji is written in the precomp format.
const PixelsBackbone = "pixels"

// openBackbone returns the image mapping of d.Backbone.
func openBackbone(d train.Data) (func(*data.Images) (*data.Images, error), error) {
	b := d.Backbone
	for c := range 3 {
		if b.Std[c] == 0 {
			return nil, fmt.Errorf("image backbone %s: std %v has a zero", b.Path, b.Std)
		}
	}
	if b.Path == PixelsBackbone {
		return func(im *data.Images) (*data.Images, error) { return data.PixelFeatures(im, b.Mean, b.Std) }, nil
	}
	if b.SHA256 != "" {
		sum, err := fileSHA256(b.Path)
		if err != nil {
			return nil, fmt.Errorf("image backbone: %w", err)
		}
		if sum != b.SHA256 {
			return nil, fmt.Errorf("image backbone %s changed since the run was trained (SHA-256 %s, recorded %s)", b.Path, sum, b.SHA256)
		}
	}
	bb, err := onnx.OpenBackbone(b.Path)
	if err != nil {
		return nil, err
	}
	bb.Mean, bb.Std = b.Mean, b.Std
	return bb.Features, nil
}

func applyBackbone(task *data.Task, d *train.Data) error {
	f, err := openBackbone(*d)
	if err != nil {
		return err
	}
	return task.MapImages(f)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
