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
	Model   string   // model file (float32 or float16), e.g. runs/X/best.aeir
	Run     string   // optional run directory; its options.json gives the scenario and protocol
	Out     string   // assets directory, e.g. site/assets
	Vendors []string // galleries to export; nil: all three, the model's target first
	MaxDrop float64  // largest accepted rsum loss of float16 against float32 (default 2)
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
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format, a...)
		}
	}
	if o.Out == "" {
		return nil, errors.New("export: no output directory")
	}
	if o.MaxDrop == 0 {
		o.MaxDrop = 2
	}
	if o.Model == "" && o.Run != "" {
		o.Model = filepath.Join(o.Run, "best.aeir")
	}
	if o.Run != "" {
		ro, err := readRunOptions(o.Run)
		if err != nil {
			return nil, err
		}
		if ro.Method == "cca" {
			return nil, fmt.Errorf("run %s is the CCA baseline, whose projections of fixed image and sentence features the page's engine cannot run: export a run trained with a network method (source-only, aeir, …)", o.Run)
		}
		if s, err := run.ParseSpec(ro.Data.Target); err == nil && s.Vendor == nil {
			return exportFiles(o, logf)
		}
	}
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
	sc, protocol, err := scenarioOf(o.Run, meta)
	if err != nil {
		return nil, err
	}
	if err := setViews(m32, &o); err != nil {
		return nil, err
	}
	// ds has the model's input size (the evaluation, the embeddings and
	// the probes); the page shows the embedded 32-px sprites (sheets).
	ds, err := vendormoji.LoadSize(o.DataRoot, m32.Config.ImageSize)
	if err != nil {
		return nil, fmt.Errorf("%s reads %d-px images: %w", o.Model, m32.Config.ImageSize, err)
	}
	sheets, err := vendormoji.Load()
	if err != nil {
		return nil, err
	}
	vendors := o.Vendors
	if len(vendors) == 0 {
		vendors = []string{sc.Target.Vendor}
		for _, v := range vendormoji.Vendors {
			if v != sc.Target.Vendor {
				vendors = append(vendors, v)
			}
		}
	}
	for _, v := range vendors {
		if !slices.Contains(vendormoji.Vendors, v) {
			return nil, fmt.Errorf("unknown vendor %q (have %s)", v, strings.Join(vendormoji.Vendors, ", "))
		}
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}

	// The float16 model file, and the engine the browser will run on it.
	var mb bytes.Buffer
	if err := encodeModel(&mb, m32, meta, nn.Float16); err != nil {
		return nil, err
	}
	modelName := "model.aeir"
	eng, err := web.NewEngine(modelName, mb.Bytes())
	if err != nil {
		return nil, fmt.Errorf("export: reading back the float16 model: %w", err)
	}
	m16 := eng.Model()
	man := &Manifest{
		Format: ManifestFormat, Kind: KindVendorMoji, Dataset: vendormoji.Name,
		Model: ModelDesc{
			File: modelName, SHA256: eng.Info().SHA256, Bytes: mb.Len(), Dtype: "float16",
			Params: m32.Config.NumParams(), Method: meta.Method, Scenario: meta.Scenario,
			Source: sc.Source.String(), Target: sc.Target.String(), Protocol: protocol,
			ImageSize: m32.Config.ImageSize, DataPixels: ds.Manifest.Pixels, GalleryViews: m32.Config.GalleryViews,
		},
		TextStyle: sc.Target.Style, Corpus: "corpus.json", DefaultGallery: vendors[0],
	}
	if man.Model.Method == "" {
		man.Model.Method = "unknown"
	}

	// Evaluate float32 against float16.
	logf("evaluating float32 and float16 weights…\n")
	var evals []*evalSet
	if protocol != "" {
		task, err := ds.Task(sc, protocol, 1)
		if err != nil {
			return nil, err
		}
		how := protocol + " protocol"
		if protocol == vendormoji.Deploy && readsTarget(meta.Method) {
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
	case !readsTarget(meta.Method):
	case meta.Method == "oracle":
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
	evals = append(evals, gallery...)
	// The page ranks with the hubness correction (web.HubK); these rows
	// measure exactly what it shows.
	for _, ev := range gallery {
		evals = append(evals, &evalSet{name: ev.name + fmt.Sprintf(", ranked as the page ranks (hubness-corrected: CSLS, k = %d)", web.HubK), c: ev.c, hub: true})
	}
	if man.Model.Eval, err = compareWeights(m32, m16, evals, o.MaxDrop, logf); err != nil {
		return nil, err
	}

	// Corpus.
	corpus := Corpus{Style: sc.Target.Style}
	for _, c := range ds.Concepts {
		corpus.Concepts = append(corpus.Concepts, CorpusConcept{Emoji: c.Emoji, Unified: c.Unified, Name: c.Name, Category: c.Category, Text: c.Texts[sc.Target.Style]})
	}
	cb, err := json.Marshal(corpus)
	if err != nil {
		return nil, err
	}

	texts := make([]string, len(corpus.Concepts))
	for i, c := range corpus.Concepts {
		texts[i] = c.Text
	}
	if err := eng.SetTexts(texts, nil); err != nil {
		return nil, err
	}

	// Galleries.
	galleries := map[string][]byte{}
	for _, v := range vendors {
		im := ds.Images[v]
		emb := m16.EncodeGallery(im, nil)
		// with the hubness terms against the corpus, as the engine
		// computes them, so the page need not
		gb, err := eng.GalleryWithHubs(web.GalleryMeta{Vendor: v, Count: im.N, Dim: m16.Config.Dim, ModelSHA256: eng.Info().SHA256}, emb)
		if err != nil {
			return nil, err
		}
		role := "unseen"
		switch v {
		case sc.Target.Vendor:
			role = "target"
		case sc.Source.Vendor:
			role = "source"
		}
		g := Gallery{
			Vendor: v, Title: vendormoji.VendorTitle[v], Role: role, Sprite: v + ".png", SpriteSHA: sheets.Manifest.Files[v+".png"],
			Tile: sheets.Manifest.Size, Columns: sheets.Manifest.Columns, Count: im.N,
			Embeddings: "gallery-" + v + ".aeir", SHA256: sha(gb), Licence: licences[v],
		}
		if err := atomicfile.WriteFile(filepath.Join(o.Out, g.Embeddings), gb); err != nil {
			return nil, err
		}
		galleries[v] = gb
		man.Galleries = append(man.Galleries, g)
		logf("  gallery %s: %d embeddings, %d bytes\n", v, im.N, len(gb))
	}

	// The demo's quality targets, on the float16 engine the page runs.
	if targetGallery := galleries[sc.Target.Vendor]; targetGallery != nil {
		if err := eng.SetGallery("gallery-"+sc.Target.Vendor+".aeir", targetGallery); err != nil {
			return nil, err
		}
		man.Model.Probes, err = Probes(eng, ds, sc.Target.Vendor, sc.Source.Vendor, targetGallery, galleries[sc.Source.Vendor])
		if err != nil {
			return nil, err
		}
		for _, p := range man.Model.Probes {
			logf("  demo: %s\n", p)
		}
	}
	man.CorpusSHA256 = sha(cb)
	if err := atomicfile.WriteFile(filepath.Join(o.Out, man.Corpus), cb); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(o.Out, modelName), mb.Bytes()); err != nil {
		return nil, err
	}
	if err := writeManifest(o.Out, man); err != nil {
		return nil, err
	}
	logf("wrote %s: %s model (%s, %d bytes float16), galleries %s, corpus of %d %s sentences\n",
		o.Out, man.Model.Method, man.Model.Scenario, mb.Len(), strings.Join(vendors, ", "), len(corpus.Concepts), corpus.Style)
	return man, nil
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

// scenarioOf reads the scenario from a run's options.json, or else from
// the model file's Meta.Scenario ("twemoji/en→openmoji/en", optionally
// followed by " (protocol)").
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
