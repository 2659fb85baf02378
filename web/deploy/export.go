package deploy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"aeir/data"
	"aeir/data/vendormoji"
	"aeir/eval"
	"aeir/internal/atomicfile"
	"aeir/model"
	"aeir/nn"
	"aeir/run"
	"aeir/web"
)

// ManifestFile is the name of the exported assets' manifest.
const ManifestFile = "manifest.json"

// ManifestFormat is the version of the manifest written here.
const ManifestFormat = 1

// Manifest describes exported demo assets: the model, the galleries and
// the sentence corpus. The page reads it first.
//
// Kind says whose data the galleries show: KindVendorMoji (also when it
// is empty, as in manifests written before there was a kind) or
// KindFiles, a run on a user's files (see Export), whose one gallery is
// the whole target domain, whose corpus lists Corpus.Sentences and whose
// Attribution the page shows in place of the emoji vendors' licences.
type Manifest struct {
	Format         int       `json:"format"`
	Kind           string    `json:"kind,omitempty"`
	Dataset        string    `json:"dataset"`
	Model          ModelDesc `json:"model"`
	TextStyle      string    `json:"text_style"` // the corpus' text style, e.g. "en"
	Corpus         string    `json:"corpus"`     // file name
	CorpusSHA256   string    `json:"corpus_sha256"`
	DefaultGallery string    `json:"default_gallery"` // vendor
	Galleries      []Gallery `json:"galleries"`
	// Attribution is the licence and attribution notice of the data of a
	// KindFiles export, shown on the page as it is.
	Attribution string `json:"attribution,omitempty"`
	// Sentences names the corpus's sentence embeddings file
	// (web.EncodeSentences), computed with the model at export so the
	// page need not encode the corpus at load; SentencesSHA256 is its
	// SHA-256. The page loads it after the first result (it is not part
	// of the first load) and computes the embeddings itself when the
	// manifest names none (written before, or a user's corpus too large
	// for the gallery budget) or the file is unusable.
	Sentences       string `json:"sentences,omitempty"`
	SentencesSHA256 string `json:"sentences_sha256,omitempty"`
	// Adapt names the source pairs the page adapts the model to a
	// visitor's gallery with (package web/adapt); none: the page has no
	// Adapt button. Downloaded only when used.
	Adapt *AdaptDesc `json:"adapt,omitempty"`
}

// AdaptDesc describes a site's source pairs file (adapt.EncodeSource).
type AdaptDesc struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Bytes  int    `json:"bytes"`
	Domain string `json:"domain"` // e.g. "twemoji/en"
	Pairs  int    `json:"pairs"`
}

// Manifest kinds.
const (
	KindVendorMoji = "vendormoji"
	KindFiles      = "files"
)

// IsFiles reports whether the manifest is of an export of a user's files.
func (m *Manifest) IsFiles() bool { return m.Kind == KindFiles }

// ModelDesc describes the exported model file.
type ModelDesc struct {
	File     string `json:"file"`
	SHA256   string `json:"sha256"`
	Bytes    int    `json:"bytes"`
	Dtype    string `json:"dtype"`
	Params   int    `json:"params"`
	Method   string `json:"method"` // from the model file's Meta.Method
	Scenario string `json:"scenario"`
	Source   string `json:"source"`   // vendor/style of the aligned pairs
	Target   string `json:"target"`   // vendor/style the model was adapted to
	Protocol string `json:"protocol"` // protocol of the run ("" if unknown)
	// ImageSize is the model's input size; DataPixels the SHA-256 of each
	// vendor's decoded tiles at that size (vendormoji.PixelHash) that the
	// galleries were embedded from — for 64 px an uncommitted build, so a
	// later check can tell whether a rebuild has the same pixels.
	ImageSize  int               `json:"image_size"`
	DataPixels map[string]string `json:"data_pixels,omitempty"`
	// GalleryViews is how many views each gallery image's embedding
	// averages (test-time augmentation; 0: one).
	GalleryViews int `json:"gallery_views,omitempty"`
	// FeatureDim is, for a model of precomputed image features (a
	// precomp data set or an image backbone), their width: the page
	// cannot search with a picture (ImageSize is then 0).
	FeatureDim int `json:"feature_dim,omitempty"`
	// TargetSHA256 is, for a run on files, the SHA-256 of the target
	// domain's content the gallery and corpus were made from (the run's
	// options.json data.target_sha256, see run.Hash).
	TargetSHA256 string `json:"target_sha256,omitempty"`
	// Eval holds retrieval metrics of the original (float32) and the
	// exported (float16) weights, measured at export.
	Eval []EvalRow `json:"eval"`
	// Probes are the demo's quality targets measured at export (Probes).
	Probes []Probe `json:"probes,omitempty"`
}

// EvalRow is one evaluation at export.
type EvalRow struct {
	Name    string  `json:"name"`
	Images  int     `json:"images"`
	Texts   int     `json:"texts"`
	Float32 Metrics `json:"float32"`
	Float16 Metrics `json:"float16"`
}

// Metrics are the recalls the page shows (percentages).
type Metrics struct {
	I2T  [3]float64 `json:"i2t"` // R@1, R@5, R@10
	T2I  [3]float64 `json:"t2i"`
	RSum float64    `json:"rsum"`
}

// Gallery is one vendor's images with their embeddings — or, in a
// KindFiles manifest, the target domain's (Vendor is then the domain's
// name). A gallery of feature vectors has no sprite sheet (Sprite "")
// and is shown by its Labels.
type Gallery struct {
	Vendor     string `json:"vendor"`
	Title      string `json:"title"`
	Role       string `json:"role"` // "target", "source" or "unseen" relative to the model's scenario
	Sprite     string `json:"sprite,omitempty"`
	SpriteSHA  string `json:"sprite_sha256,omitempty"`
	Tile       int    `json:"tile,omitempty"`
	Columns    int    `json:"columns,omitempty"`
	Count      int    `json:"count"`
	Embeddings string `json:"embeddings"`
	SHA256     string `json:"sha256"` // of the embeddings file
	Licence    string `json:"licence"`
	// Labels names a JSON file (Labels) of one short text per image,
	// shown as its name, and for a gallery without a sprite sheet in its
	// place; LabelsSHA is its SHA-256. KindFiles only.
	Labels    string `json:"labels,omitempty"`
	LabelsSHA string `json:"labels_sha256,omitempty"`
}

// Labels is a gallery's labels file: Labels[i] names image i.
type Labels struct {
	Labels []string `json:"labels"`
}

// Corpus is the sentence corpus file: for VendorMoji one entry per
// concept, in gallery order (sentence i describes gallery image i of
// every vendor); for a user's files (KindFiles) every sentence of the
// target domain with the gallery image it describes.
type Corpus struct {
	Style     string           `json:"style"`
	Concepts  []CorpusConcept  `json:"concepts,omitempty"`
	Sentences []CorpusSentence `json:"sentences,omitempty"`
}

// CorpusSentence is one sentence of a KindFiles corpus.
type CorpusSentence struct {
	Text  string `json:"text"`
	Image int    `json:"image"`           // index into the gallery
	Short string `json:"short,omitempty"` // its short form, when the data has them
}

// CorpusConcept is one concept of the corpus.
type CorpusConcept struct {
	Emoji    string `json:"emoji"`
	Unified  string `json:"unified"`
	Name     string `json:"name"`
	Category string `json:"category"`
	Text     string `json:"text"`
}

var licences = map[string]string{"twemoji": "CC BY 4.0", "noto": "Apache-2.0", "openmoji": "CC BY-SA 4.0"}

// ExportOptions say what Export writes.
type ExportOptions struct {
	Model string // model file (float32 or float16), e.g. runs/X/best.aeir
	Run   string // optional run directory; its options.json gives the scenario and protocol
	// Scenario, when set, replaces the model file's (and the run's)
	// VendorMoji scenario, "source→target" with an optional " (protocol)":
	// for a model adapted in the page, whose file names the visitor's
	// gallery as its target.
	Scenario string
	Out      string   // assets directory, e.g. site/assets
	Vendors  []string // galleries to export; nil: all three, the model's target first
	MaxDrop  float64  // largest accepted rsum loss of float16 against float32 (default 2)
	// Views > 1 embeds every gallery image as the mean of that many views
	// (model.Config.GalleryViews, saved in the exported model file), 1
	// one view, 0 whatever the model file says; ViewStyle is the views'
	// line-art probability, < 0 for the run's -style-aug (0 without a
	// run).
	Views     int
	ViewStyle float32
	Log       io.Writer // progress; nil for silence
	// DataRoot is the directory a data set build of the model's input
	// size (vendormoji.VariantDir) is under; "" for the working directory.
	DataRoot string

	// For a run on a user's files (KindFiles):
	//
	// Attribution is the licence and attribution notice of the data,
	// shown on the page ("": a notice naming the data file, saying its
	// owners' terms apply).
	Attribution string
	// MaxGalleryBytes is the budget of the gallery's files (embeddings,
	// thumbnails or labels, and sentences, uncompressed); 0 means
	// DefaultGalleryBytes.
	MaxGalleryBytes int
}

// runOptions is the part of a run's options.json Export reads.
type runOptions struct {
	Method   string  `json:"method"`
	StyleAug float32 `json:"style_aug"`
	Data     struct {
		Source   string `json:"source"`
		Target   string `json:"target"`
		Protocol string `json:"protocol"`
	} `json:"data"`
}

// Export writes the demo's assets for a trained model into o.Out: the
// model with float16 weights, one gallery embeddings file per vendor
// (computed with those float16 weights, exactly as the browser will use
// them), the sentence corpus of the model's target text style and the
// manifest, written last. Each file is written atomically. It evaluates
// the float32 and float16 weights on the target test split and on the
// whole target gallery, and fails if float16 loses more than o.MaxDrop
// rsum.
//
// A run trained on a user's files (o.Run's options.json names no
// VendorMoji domain) is exported as one gallery, the whole target domain,
// with its sentences, thumbnails or labels and the data's attribution: a
// manifest of kind KindFiles (see the package documentation). The CCA
// baseline, which the page's engine cannot run, is refused either way.
func Export(o ExportOptions) (*Manifest, error) {
	logf := progress(o.Log)
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	if o.Run != "" {
		onFiles, err := runOnFiles(o.Run)
		if err != nil {
			return nil, err
		}
		if onFiles {
			return exportFiles(o, logf)
		}
	}
	x, err := loadVendorMojiModel(o, logf)
	if err != nil {
		return nil, err
	}
	if err := x.loadData(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(x.o.Out, 0o755); err != nil {
		return nil, err
	}
	if err := x.float16(); err != nil {
		return nil, err
	}
	if err := x.measureLoss(); err != nil {
		return nil, err
	}
	if err := x.makeCorpus(); err != nil {
		return nil, err
	}
	if err := x.embedGalleries(); err != nil {
		return nil, err
	}
	if err := x.probe(); err != nil {
		return nil, err
	}
	if err := x.writeSource(); err != nil {
		return nil, err
	}
	if err := x.write(); err != nil {
		return nil, err
	}
	return x.man, nil
}

// progress returns a printf to w, which does nothing when w is nil.
func progress(w io.Writer) func(string, ...any) {
	return func(format string, a ...any) {
		if w != nil {
			fmt.Fprintf(w, format, a...)
		}
	}
}

// setDefaults requires an output directory and fills in MaxDrop and,
// from Run, Model.
func (o *ExportOptions) setDefaults() error {
	if o.Out == "" {
		return errors.New("export: no output directory")
	}
	if o.MaxDrop == 0 {
		o.MaxDrop = 2
	}
	if o.Model == "" && o.Run != "" {
		o.Model = filepath.Join(o.Run, "best.aeir")
	}
	return nil
}

// runOnFiles reads the options.json of the run directory dir: it refuses
// the CCA baseline, and reports whether the run was trained on a user's
// files (its target names no VendorMoji domain).
func runOnFiles(dir string) (bool, error) {
	ro, err := readRunOptions(dir)
	if err != nil {
		return false, err
	}
	if ro.Method == "cca" {
		return false, fmt.Errorf("run %s is the CCA baseline, whose projections of fixed image and sentence features the page's engine cannot run: export a run trained with a network method (source-only, aeir, …)", dir)
	}
	s, err := run.ParseSpec(ro.Data.Target)
	return err == nil && s.Vendor == nil, nil
}

// modelFile is the name of the exported model file.
const modelFile = "model.aeir"

// sentencesFile is the name of the exported sentence embeddings file.
const sentencesFile = "sentences.aeir"

// float16Model encodes m with float16 weights, as the model file the page
// downloads, and reads that file back into the engine the browser runs.
func float16Model(m *model.Model, meta model.Meta) ([]byte, *web.Engine, error) {
	var mb bytes.Buffer
	if err := encodeModel(&mb, m, meta, nn.Float16); err != nil {
		return nil, nil, err
	}
	eng, err := web.NewEngine(modelFile, mb.Bytes())
	if err != nil {
		return nil, nil, fmt.Errorf("export: reading back the float16 model: %w", err)
	}
	return mb.Bytes(), eng, nil
}

// withPageRanking returns the gallery's evaluations followed by each
// again ranked with the hubness correction the page ranks with
// (web.HubK): those rows measure exactly what it shows.
func withPageRanking(gallery []*evalSet) []*evalSet {
	evals := slices.Clone(gallery)
	for _, ev := range gallery {
		evals = append(evals, &evalSet{name: ev.name + fmt.Sprintf(", ranked as the page ranks (hubness-corrected: CSLS, k = %d)", web.HubK), c: ev.c, hub: true})
	}
	return evals
}

// vendorMojiExport is a VendorMoji export (Export) in progress: what each
// step makes, the next reads.
type vendorMojiExport struct {
	o    ExportOptions
	logf func(string, ...any)

	m32      *model.Model
	meta     model.Meta
	sc       vendormoji.Scenario
	protocol string

	ds      *vendormoji.Dataset // at the model's input size: evaluation, embeddings, probes
	sheets  *vendormoji.Dataset // the embedded 32-px sprite sheets the page shows
	vendors []string            // the galleries, the default first

	modelBytes []byte      // the float16 model file
	eng        *web.Engine // on modelBytes, as the browser runs it
	m16        *model.Model
	man        *Manifest

	corpus     Corpus
	corpusFile []byte
	sentences  []byte            // the corpus's embeddings file
	galleries  map[string][]byte // vendor → embeddings file
}

// loadVendorMojiModel loads and checks the model file of o: a model of
// pixels with a VendorMoji scenario, its gallery views set as o says.
func loadVendorMojiModel(o ExportOptions, logf func(string, ...any)) (*vendorMojiExport, error) {
	m32, meta, _, err := model.Load(o.Model)
	if err != nil {
		if o.Run != "" && errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%v (is %s a run directory of aeir train?)", err, o.Run)
		}
		return nil, err
	}
	if m32.Config.FeatureDim > 0 {
		return nil, fmt.Errorf("%s reads precomputed features; the VendorMoji demo needs a model of pixels", o.Model)
	}
	if o.Scenario != "" { // e.g. a model adapted in the page, whose file names the visitor's gallery
		meta.Scenario = o.Scenario
		o.Run = ""
	}
	sc, protocol, err := scenarioOf(o.Run, meta)
	if err != nil {
		return nil, err
	}
	if err := setViews(m32, &o); err != nil {
		return nil, err
	}
	return &vendorMojiExport{o: o, logf: logf, m32: m32, meta: meta, sc: sc, protocol: protocol}, nil
}

// loadData loads the data set at the model's input size and the sprite
// sheets, and settles the galleries: o.Vendors, checked, or all three,
// the model's target first.
func (x *vendorMojiExport) loadData() error {
	var err error
	if x.ds, err = vendormoji.LoadSize(x.o.DataRoot, x.m32.Config.ImageSize); err != nil {
		return fmt.Errorf("%s reads %d-px images: %w", x.o.Model, x.m32.Config.ImageSize, err)
	}
	if x.sheets, err = vendormoji.Load(); err != nil {
		return err
	}
	x.vendors = x.o.Vendors
	if len(x.vendors) == 0 {
		x.vendors = []string{x.sc.Target.Vendor}
		for _, v := range vendormoji.Vendors {
			if v != x.sc.Target.Vendor {
				x.vendors = append(x.vendors, v)
			}
		}
	}
	for _, v := range x.vendors {
		if !slices.Contains(vendormoji.Vendors, v) {
			return fmt.Errorf("unknown vendor %q (have %s)", v, strings.Join(vendormoji.Vendors, ", "))
		}
	}
	return nil
}

// float16 builds the float16 model file and the engine the browser will
// run on it, and starts the manifest describing them.
func (x *vendorMojiExport) float16() error {
	var err error
	if x.modelBytes, x.eng, err = float16Model(x.m32, x.meta); err != nil {
		return err
	}
	x.m16 = x.eng.Model()
	x.man = &Manifest{
		Format: ManifestFormat, Kind: KindVendorMoji, Dataset: vendormoji.Name,
		Model: ModelDesc{
			File: modelFile, SHA256: x.eng.Info().SHA256, Bytes: len(x.modelBytes), Dtype: "float16",
			Params: x.m32.Config.NumParams(), Method: x.meta.Method, Scenario: x.meta.Scenario,
			Source: x.sc.Source.String(), Target: x.sc.Target.String(), Protocol: x.protocol,
			ImageSize: x.m32.Config.ImageSize, DataPixels: x.ds.Manifest.Pixels, GalleryViews: x.m32.Config.GalleryViews,
		},
		TextStyle: x.sc.Target.Style, Corpus: "corpus.json", DefaultGallery: x.vendors[0],
	}
	if x.man.Model.Method == "" {
		x.man.Model.Method = "unknown"
	}
	return nil
}

// measureLoss evaluates the float32 and float16 weights (evalSets) into
// the manifest, and fails if float16 loses more than o.MaxDrop rsum.
func (x *vendorMojiExport) measureLoss() error {
	x.logf("evaluating float32 and float16 weights…\n")
	evals, err := x.evalSets()
	if err != nil {
		return err
	}
	x.man.Model.Eval, err = compareWeights(x.m32, x.m16, evals, x.o.MaxDrop, x.logf)
	return err
}

// evalSets are the evaluations at export: with a protocol, the target's
// test split and the source's same concepts; then the whole target
// gallery, with its short names when it has them, each also as the page
// ranks.
func (x *vendorMojiExport) evalSets() ([]*evalSet, error) {
	sc, protocol, ds, method := x.sc, x.protocol, x.ds, x.meta.Method
	var evals []*evalSet
	if protocol != "" {
		task, err := ds.Task(sc, protocol, 1)
		if err != nil {
			return nil, err
		}
		how := protocol + " protocol"
		if protocol == vendormoji.Deploy && readsTarget(method) {
			how = "deploy protocol: seen unaligned in training, so transductive"
		}
		evals = append(evals, &evalSet{name: fmt.Sprintf("%s test split: %d concepts (%s)", vendormoji.VendorTitle[sc.Target.Vendor], task.Test.Images.N, how), c: task.Test})
		pairs := "their pairs seen in training"
		if protocol == vendormoji.Novel {
			pairs = "held out"
		}
		evals = append(evals, &evalSet{name: fmt.Sprintf("%s (source domain), the same %d concepts, %s", vendormoji.VendorTitle[sc.Source.Vendor], task.SourceTest.Images.N, pairs), c: task.SourceTest})
	}
	all := make([]int, len(ds.Concepts))
	for i := range all {
		all[i] = i
	}
	seen := ""
	switch {
	case !readsTarget(method):
	case method == "oracle":
		seen = ", the training split's seen aligned (an upper bound)"
	case protocol == vendormoji.Deploy:
		seen = ", all seen unaligned in training"
	case protocol != "":
		seen = fmt.Sprintf(", %s seen unaligned in training", thousands(len(ds.Splits.Protocols[protocol].TargetTrain)))
	}
	whole := ds.Collection(sc.Target, all, "all")
	gallery := []*evalSet{{name: fmt.Sprintf("whole %s gallery: %s images × %s %s sentences%s", vendormoji.VendorTitle[sc.Target.Vendor], thousands(len(all)), thousands(len(all)), sc.Target.Style, seen),
		c: whole}}
	if names := whole.ShortForms(); names != nil {
		// What people type into the search box is closer to an emoji's
		// short name ("dog face") than to its whole CLDR sentence.
		gallery = append(gallery, &evalSet{name: `the same with each concept's short name as its sentence ("dog face", what people type)`, c: names})
	}
	return append(evals, withPageRanking(gallery)...), nil
}

// makeCorpus makes the corpus file, one sentence of the target style per
// concept, and gives its sentences to the engine.
func (x *vendorMojiExport) makeCorpus() error {
	x.corpus = Corpus{Style: x.sc.Target.Style}
	for _, c := range x.ds.Concepts {
		x.corpus.Concepts = append(x.corpus.Concepts, CorpusConcept{Emoji: c.Emoji, Unified: c.Unified, Name: c.Name, Category: c.Category, Text: c.Texts[x.sc.Target.Style]})
	}
	var err error
	if x.corpusFile, err = json.Marshal(x.corpus); err != nil {
		return err
	}
	texts := make([]string, len(x.corpus.Concepts))
	for i, c := range x.corpus.Concepts {
		texts[i] = c.Text
	}
	if err := x.eng.SetTexts(texts, nil); err != nil {
		return err
	}
	x.sentences, err = x.eng.SentencesFile()
	return err
}

// embedGalleries embeds each vendor's images with the float16 model and
// writes its gallery file, adding it to the manifest.
func (x *vendorMojiExport) embedGalleries() error {
	x.galleries = map[string][]byte{}
	for _, v := range x.vendors {
		im := x.ds.Images[v]
		emb := x.m16.EncodeGallery(im, nil)
		// with the hubness terms against the corpus, as the engine
		// computes them, so the page need not
		gb, err := x.eng.GalleryWithHubs(web.GalleryMeta{Vendor: v, Count: im.N, Dim: x.m16.Config.Dim, ModelSHA256: x.eng.Info().SHA256}, emb)
		if err != nil {
			return err
		}
		role := "unseen"
		switch v {
		case x.sc.Target.Vendor:
			role = "target"
		case x.sc.Source.Vendor:
			role = "source"
		}
		sheets := x.sheets.Manifest
		g := Gallery{
			Vendor: v, Title: vendormoji.VendorTitle[v], Role: role, Sprite: v + ".png", SpriteSHA: sheets.Files[v+".png"],
			Tile: sheets.Size, Columns: sheets.Columns, Count: im.N,
			Embeddings: "gallery-" + v + ".aeir", SHA256: sha(gb), Licence: licences[v],
		}
		if err := atomicfile.WriteFile(filepath.Join(x.o.Out, g.Embeddings), gb); err != nil {
			return err
		}
		x.galleries[v] = gb
		x.man.Galleries = append(x.man.Galleries, g)
		x.logf("  gallery %s: %d embeddings, %d bytes\n", v, im.N, len(gb))
	}
	return nil
}

// probe measures the demo's quality targets (Probes) on the float16
// engine the page runs, when the target's gallery is exported.
func (x *vendorMojiExport) probe() error {
	targetGallery := x.galleries[x.sc.Target.Vendor]
	if targetGallery == nil {
		return nil
	}
	if err := x.eng.SetGallery("gallery-"+x.sc.Target.Vendor+".aeir", targetGallery); err != nil {
		return err
	}
	var err error
	x.man.Model.Probes, err = Probes(x.eng, x.ds, x.sc.Target.Vendor, x.sc.Source.Vendor, targetGallery, x.galleries[x.sc.Source.Vendor])
	if err != nil {
		return err
	}
	for _, p := range x.man.Model.Probes {
		x.logf("  demo: %s\n", p)
	}
	return nil
}

// write writes the corpus, its sentence embeddings, the model and, last,
// the manifest.
func (x *vendorMojiExport) write() error {
	x.man.CorpusSHA256 = sha(x.corpusFile)
	if err := atomicfile.WriteFile(filepath.Join(x.o.Out, x.man.Corpus), x.corpusFile); err != nil {
		return err
	}
	x.man.Sentences, x.man.SentencesSHA256 = sentencesFile, sha(x.sentences)
	if err := atomicfile.WriteFile(filepath.Join(x.o.Out, sentencesFile), x.sentences); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(x.o.Out, modelFile), x.modelBytes); err != nil {
		return err
	}
	if err := writeManifest(x.o.Out, x.man); err != nil {
		return err
	}
	x.logf("wrote %s: %s model (%s, %d bytes float16), galleries %s, corpus of %d %s sentences\n",
		x.o.Out, x.man.Model.Method, x.man.Model.Scenario, len(x.modelBytes), strings.Join(x.vendors, ", "), len(x.corpus.Concepts), x.corpus.Style)
	return nil
}

// AddSentences adds the corpus's sentence embeddings file (see
// Manifest.Sentences) to an assets directory exported before there was
// one: computed with its model file for its corpus, as Export computes
// them, written, and named in the manifest, which is written last and
// otherwise unchanged. The model and corpus must match the manifest's
// SHA-256. It changes nothing when the manifest already names such a
// file. (For a user's files it does not apply Export's gallery budget.)
func AddSentences(dir string) (*Manifest, error) {
	man, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if man.Sentences != "" {
		return man, nil
	}
	var kind struct {
		Kind string `json:"kind"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, ManifestFile)); err != nil {
		return nil, err
	} else if err := json.Unmarshal(b, &kind); err != nil {
		return nil, err
	}
	mb, c, err := readModelCorpus(dir, man)
	if err != nil {
		return nil, err
	}
	var texts []string
	if man.IsFiles() {
		for _, x := range c.Sentences {
			texts = append(texts, x.Text)
		}
	} else {
		for _, x := range c.Concepts {
			texts = append(texts, x.Text)
		}
	}
	eng, err := web.NewEngine(man.Model.File, mb)
	if err != nil {
		return nil, err
	}
	if err := eng.SetTexts(texts, nil); err != nil {
		return nil, err
	}
	sb, err := eng.SentencesFile()
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, sentencesFile), sb); err != nil {
		return nil, err
	}
	man.Sentences, man.SentencesSHA256 = sentencesFile, sha(sb)
	out := *man
	out.Kind = kind.Kind // as it was (ReadManifest fills in an old manifest's)
	if err := writeManifest(dir, &out); err != nil {
		return nil, err
	}
	return man, nil
}

// readChecked reads the asset name of dir and checks it against the
// manifest's SHA-256 sum.
func readChecked(dir, name, sum string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	if sha(b) != sum {
		return nil, fmt.Errorf("%s does not match %s (SHA-256 %.12s…, manifest says %.12s…)", filepath.Join(dir, name), ManifestFile, sha(b), sum)
	}
	return b, nil
}

// ReadManifest reads an assets directory's manifest.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("%s: format %d, this build reads %d (re-run aeir export web)", filepath.Join(dir, ManifestFile), m.Format, ManifestFormat)
	}
	switch m.Kind {
	case "":
		m.Kind = KindVendorMoji // written before manifests had a kind
	case KindVendorMoji, KindFiles:
	default:
		return nil, fmt.Errorf("%s: kind %q, this build reads %q and %q (re-run aeir export web)", filepath.Join(dir, ManifestFile), m.Kind, KindVendorMoji, KindFiles)
	}
	if len(m.Galleries) == 0 {
		return nil, fmt.Errorf("%s lists no gallery (re-run aeir export web)", filepath.Join(dir, ManifestFile))
	}
	return &m, nil
}

// writeManifest writes the manifest into dir, atomically: the last file
// of an export.
func writeManifest(dir string, man *Manifest) error {
	mj, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ManifestFile), append(mj, '\n'))
}

// setViews applies o.Views and o.ViewStyle to m (see ExportOptions).
func setViews(m *model.Model, o *ExportOptions) error {
	if o.Views < 0 {
		return fmt.Errorf("export: %d gallery views", o.Views)
	}
	if o.Views == 1 {
		m.Config.GalleryViews, m.Config.ViewStyle = 0, 0
	}
	if o.Views > 1 {
		if m.Config.FeatureDim > 0 {
			return fmt.Errorf("export: %d gallery views: %s reads precomputed image features, which have no augmented views", o.Views, o.Model)
		}
		if o.ViewStyle < 0 {
			o.ViewStyle = 0
			if o.Run != "" {
				ro, err := readRunOptions(o.Run)
				if err != nil {
					return err
				}
				o.ViewStyle = ro.StyleAug
			}
		}
		m.Config.GalleryViews, m.Config.ViewStyle = o.Views, o.ViewStyle
		if err := m.Config.Validate(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

// compareWeights evaluates the float32 and float16 weights on every set
// and fails if float16 loses more than maxDrop rsum on one.
func compareWeights(m32, m16 *model.Model, evals []*evalSet, maxDrop float64, logf func(string, ...any)) ([]EvalRow, error) {
	var rows []EvalRow
	emb32, emb16 := map[*data.Images][]float32{}, map[*data.Images][]float32{} // a gallery embedded once per model
	for _, ev := range evals {
		r32, err := evaluate(m32, ev, emb32)
		if err != nil {
			return nil, err
		}
		r16, err := evaluate(m16, ev, emb16)
		if err != nil {
			return nil, err
		}
		rows = append(rows, EvalRow{Name: ev.name, Images: ev.c.Images.N, Texts: len(ev.c.Texts), Float32: r32, Float16: r16})
		logf("  %s: rsum float32 %.2f, float16 %.2f\n", ev.name, r32.RSum, r16.RSum)
		if r32.RSum-r16.RSum > maxDrop {
			return nil, fmt.Errorf("float16 weights lose %.2f rsum on the %s (float32 %.2f, float16 %.2f), more than %.2f: export float32 instead", r32.RSum-r16.RSum, ev.name, r32.RSum, r16.RSum, maxDrop)
		}
	}
	return rows, nil
}

func encodeModel(w io.Writer, m *model.Model, meta model.Meta, dt nn.Dtype) error {
	meta.Version = model.FileVersion
	meta.Config = m.Config
	meta.Extra = nil
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return nn.SaveAs(w, b, m.Tensors(), dt)
}

// readRunOptions reads what Export needs of a run's options.json.
func readRunOptions(run string) (runOptions, error) {
	var ro runOptions
	p := filepath.Join(run, "options.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return ro, fmt.Errorf("%v (is %s a run directory of aeir train?)", err, run)
	}
	if err := json.Unmarshal(b, &ro); err != nil {
		return ro, fmt.Errorf("%s: %w", p, err)
	}
	return ro, nil
}

// scenarioOf reads the scenario from a run's options.json, or else from
// the model file's Meta.Scenario ("twemoji/en→openmoji/en", optionally
// followed by " (protocol)").
func scenarioOf(run string, meta model.Meta) (vendormoji.Scenario, string, error) {
	var src, tgt, protocol string
	if run != "" {
		ro, err := readRunOptions(run)
		if err != nil {
			return vendormoji.Scenario{}, "", err
		}
		src, tgt, protocol = ro.Data.Source, ro.Data.Target, ro.Data.Protocol
	} else {
		s := meta.Scenario
		if i := strings.Index(s, " ("); i >= 0 && strings.HasSuffix(s, ")") {
			protocol = s[i+2 : len(s)-1]
			s = s[:i]
		}
		var ok bool
		if src, tgt, ok = strings.Cut(s, "→"); !ok {
			return vendormoji.Scenario{}, "", fmt.Errorf("the model file names no scenario (%q); pass -run with its run directory", meta.Scenario)
		}
	}
	s, err := vendormoji.ParseDomain(src)
	if err == nil {
		var t vendormoji.Domain
		if t, err = vendormoji.ParseDomain(tgt); err == nil {
			return vendormoji.Scenario{Source: s, Target: t}, vendorProtocol(protocol), nil
		}
	}
	if run == "" {
		return vendormoji.Scenario{}, "", fmt.Errorf("the model file's scenario %q is not of VendorMoji domains (%w): a model trained on files is exported with its run, -run <its run directory>", meta.Scenario, err)
	}
	return vendormoji.Scenario{}, "", err
}

// vendorProtocol keeps a VendorMoji protocol name, else "".
func vendorProtocol(protocol string) string {
	if protocol != "" && protocol != vendormoji.Shared && protocol != vendormoji.Novel && protocol != vendormoji.Deploy {
		protocol = ""
	}
	return protocol
}

type evalSet struct {
	name string
	c    *data.Collection
	hub  bool // rank with the hubness correction, as the engine does
}

// evaluate scores m on ev, its images embedded as the page's galleries
// hold them; embedded keeps each *data.Images' embeddings for reuse (a
// collection and its short forms share their images).
func evaluate(m *model.Model, ev *evalSet, embedded map[*data.Images][]float32) (Metrics, error) {
	c := ev.c
	u, ok := embedded[c.Images]
	if !ok {
		u = m.EncodeGallery(c.Images, nil)
		embedded[c.Images] = u
	}
	v := m.EncodeTexts(c.Texts)
	sim := eval.Similarity(nil, u, c.Images.N, v, len(c.Texts), m.Config.Dim)
	if ev.hub {
		sim = eval.CSLS(sim, c.Images.N, len(c.Texts), web.HubK)
	}
	r, err := eval.Evaluate(sim, c.Images.N, len(c.Texts), c.TextImage)
	if err != nil {
		return Metrics{}, err
	}
	out := Metrics{I2T: [3]float64{r.I2T.R1, r.I2T.R5, r.I2T.R10}, T2I: [3]float64{r.T2I.R1, r.T2I.R5, r.T2I.R10}, RSum: r.RSum}
	for _, x := range append(out.I2T[:], append(out.T2I[:], out.RSum)...) {
		if math.IsNaN(x) {
			return out, fmt.Errorf("evaluation on %s gave NaN", ev.name)
		}
	}
	return out, nil
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// readsTarget reports whether a training method reads target data (the
// baselines trained on source pairs alone do not).
func readsTarget(method string) bool {
	return method != "source-only" && method != "cca"
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
