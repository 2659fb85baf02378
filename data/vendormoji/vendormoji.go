// Package vendormoji is the project's default data set, VendorMoji-1906: the
// 1,906 base emoji concepts of Unicode Emoji 16.0 drawn by three vendors
// (Twemoji, Google Noto, OpenMoji) — three image domains — with texts in
// several styles and languages — the text domains.
//
// The files are built by package build (`make data`) from pinned npm
// packages, committed, and embedded here, so a fresh clone trains with no
// network. See files/ATTRIBUTION.md for licences.
package vendormoji

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"aeir/data"
)

// Name is the data set's name.
const Name = "VendorMoji-1906"

// Vendors are the image domains, in file order.
var Vendors = []string{"twemoji", "noto", "openmoji"}

// VendorTitle is a vendor's display name.
var VendorTitle = map[string]string{"twemoji": "Twemoji", "noto": "Google Noto", "openmoji": "OpenMoji"}

// Styles are the text domains. "en" is the English sentence made from the
// CLDR name and keywords (the source style); "tags" is English tag text
// from sources independent of CLDR (emoji-datasource short names,
// emojibase shortcodes, OpenMoji's own tags, the subgroup); the others are
// CLDR names and keywords in that language.
var Styles = []string{"en", "tags", "de", "es", "fr", "ja", "zh"}

// Columns is the number of tiles per row in the sprite sheets.
const Columns = 44

// Concept is one emoji concept.
type Concept struct {
	ID       int               `json:"id"`      // 0-based, data set order
	Unified  string            `json:"unified"` // code points, e.g. "1F436"
	Emoji    string            `json:"emoji"`
	Name     string            `json:"name"` // CLDR English name
	Category string            `json:"category"`
	Subgroup string            `json:"subgroup"`
	Texts    map[string]string `json:"texts"` // style → text
}

// Manifest describes the committed files.
type Manifest struct {
	Name     string            `json:"name"`
	Size     int               `json:"size"`
	Concepts int               `json:"concepts"`
	Vendors  []string          `json:"vendors"`
	Styles   []string          `json:"styles"`
	Columns  int               `json:"columns"`
	Files    map[string]string `json:"files"`  // file → sha256 of its bytes
	Pixels   map[string]string `json:"pixels"` // vendor → sha256 of its decoded RGBA tiles
	Sources  []Source          `json:"sources"`
	Builder  string            `json:"builder"`
}

// Source is one input package.
type Source struct {
	Package   string `json:"package"`
	Integrity string `json:"integrity"`
	Licence   string `json:"licence"`
	Use       string `json:"use"`
}

// Dataset is the loaded data set.
type Dataset struct {
	Manifest Manifest
	Concepts []Concept
	Images   map[string]*data.Images // vendor → images in concept order
	Splits   Splits
}

//go:embed files/*
var files embed.FS

// EmbeddedSize is the tile size of the embedded files.
const EmbeddedSize = 32

var (
	mu     sync.Mutex
	loaded = map[string]*Dataset{} // "" for the embedded files, else the directory
)

// Load decodes the embedded data set (once; later calls share the result,
// which callers must not modify).
func Load() (*Dataset, error) { return cached("", func() (*Dataset, error) { return load(embedded) }) }

func embedded(name string) ([]byte, error) { return files.ReadFile("files/" + name) }

// VariantDir is where a build of the data set at another tile size lives,
// relative to the repository root: `aeir data build -size N -out
// .cache/vendormoji-N` (make data-64 for the 64-px build the demo model
// reads). The sources are 64 px; only the 32-px build is committed.
func VariantDir(size int) string { return filepath.Join(".cache", fmt.Sprintf("vendormoji-%d", size)) }

// LoadSize returns the data set with size-px tiles: the embedded files
// for EmbeddedSize (or 0), otherwise the build in VariantDir(size) under
// root (a path relative to the working directory; "" for it).
func LoadSize(root string, size int) (*Dataset, error) {
	if size == 0 || size == EmbeddedSize {
		return Load()
	}
	dir := filepath.Join(root, VariantDir(size))
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		return nil, fmt.Errorf("vendormoji: no %d-px build in %s (build it with `aeir data build -size %d -out %s`, or make data-64)", size, dir, size, VariantDir(size))
	}
	ds, err := LoadDir(dir)
	if err == nil && ds.Manifest.Size != size {
		err = fmt.Errorf("vendormoji: %s holds %d-px tiles, want %d (rebuild it with `aeir data build -size %d -out %s`)",
			filepath.Join(root, VariantDir(size)), ds.Manifest.Size, size, size, VariantDir(size))
	}
	return ds, err
}

// LoadDir decodes a build of the data set written by `aeir data build
// -out dir` (once per directory). Every file must have the SHA-256 its
// manifest lists, and the concepts and splits must be the embedded ones,
// so its image i is the embedded set's concept i.
func LoadDir(dir string) (*Dataset, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	base, err := Load() // before cached's lock: it takes the lock too
	if err != nil {
		return nil, err
	}
	return cached(abs, func() (*Dataset, error) {
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
			return nil, fmt.Errorf("vendormoji: no data set in %s (build it with `aeir data build -size N -out %s`)", dir, dir)
		}
		var man Manifest
		read := func(name string) ([]byte, error) {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || name == "manifest.json" {
				return b, err
			}
			if want, ok := man.Files[name]; !ok || hash(b) != want {
				return nil, fmt.Errorf("vendormoji: %s does not match its manifest (damaged or stale: rebuild the directory)", filepath.Join(dir, name))
			}
			return b, nil
		}
		b, err := read("manifest.json")
		if err == nil {
			err = json.Unmarshal(b, &man)
		}
		if err != nil {
			return nil, fmt.Errorf("vendormoji: %s: %w", filepath.Join(dir, "manifest.json"), err)
		}
		if !slices.Equal(man.Vendors, Vendors) || man.Columns < 1 || man.Size < 1 {
			return nil, fmt.Errorf("vendormoji: %s: vendors %v, %d columns, %d-px tiles: not a build of this data set", filepath.Join(dir, "manifest.json"), man.Vendors, man.Columns, man.Size)
		}
		ds, err := load(read)
		if err != nil {
			return nil, err
		}
		same := ds.Manifest.Files["concepts.jsonl"] == base.Manifest.Files["concepts.jsonl"] &&
			ds.Manifest.Files["splits.json"] == base.Manifest.Files["splits.json"] &&
			slices.Equal(ds.Manifest.Sources, base.Manifest.Sources) && slices.Equal(ds.Manifest.Vendors, base.Manifest.Vendors)
		if !same {
			return nil, fmt.Errorf("vendormoji: %s has other sources, concepts or splits than the embedded data set (rebuild it with this version)", dir)
		}
		return ds, nil
	})
}

func cached(key string, f func() (*Dataset, error)) (*Dataset, error) {
	mu.Lock()
	defer mu.Unlock()
	if ds := loaded[key]; ds != nil {
		return ds, nil
	}
	ds, err := f()
	if err == nil {
		loaded[key] = ds
	}
	return ds, err
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func load(read func(name string) ([]byte, error)) (*Dataset, error) {
	var ds Dataset
	b, err := read("manifest.json")
	if err != nil {
		return nil, fmt.Errorf("vendormoji: %w (run `make data`)", err)
	}
	if err := json.Unmarshal(b, &ds.Manifest); err != nil {
		return nil, fmt.Errorf("vendormoji: manifest.json: %w", err)
	}
	if b, err = read("concepts.jsonl"); err != nil {
		return nil, err
	}
	if ds.Concepts, err = ParseConcepts(b); err != nil {
		return nil, err
	}
	if b, err = read("splits.json"); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &ds.Splits); err != nil {
		return nil, fmt.Errorf("vendormoji: splits.json: %w", err)
	}
	ds.Images = map[string]*data.Images{}
	for _, v := range ds.Manifest.Vendors {
		b, err := read(v + ".png")
		if err != nil {
			return nil, err
		}
		im, err := DecodeSheet(b, len(ds.Concepts), ds.Manifest.Size, ds.Manifest.Columns)
		if err != nil {
			return nil, fmt.Errorf("vendormoji: %s.png: %w", v, err)
		}
		ds.Images[v] = im
	}
	return &ds, nil
}

// ParseConcepts reads concepts.jsonl.
func ParseConcepts(b []byte) ([]Concept, error) {
	var out []Concept
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var c Concept
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("concepts.jsonl:%d: %w", line, err)
		}
		if c.ID != len(out) {
			return nil, fmt.Errorf("concepts.jsonl:%d: id %d, want %d", line, c.ID, len(out))
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// DecodeSheet cuts a sprite sheet into n size×size tiles, row-major with
// cols tiles per row.
func DecodeSheet(b []byte, n, size, cols int) (*data.Images, error) {
	if n < 0 || size < 1 || cols < 1 {
		return nil, fmt.Errorf("sheet of %d tiles of %d px, %d a row: bad layout", n, size, cols)
	}
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	rows := (n + cols - 1) / cols
	if r := m.Bounds(); r.Dx() != cols*size || r.Dy() != rows*size {
		return nil, fmt.Errorf("sheet is %dx%d, want %dx%d for %d tiles of %d px", r.Dx(), r.Dy(), cols*size, rows*size, n, size)
	}
	nm := data.ToNRGBA(m)
	im := &data.Images{W: size, H: size, Pix: make([]uint8, 0, n*size*size*4)}
	for i := 0; i < n; i++ {
		x0, y0 := (i%cols)*size, (i/cols)*size
		im.Append(nm.SubImage(image.Rect(x0, y0, x0+size, y0+size)).(*image.NRGBA))
	}
	return im, nil
}

// EncodeSheet lays n tiles out in a sprite sheet.
func EncodeSheet(im *data.Images, cols int) *image.NRGBA {
	rows := (im.N + cols - 1) / cols
	s := im.W
	sheet := image.NewNRGBA(image.Rect(0, 0, cols*s, rows*s))
	for i := 0; i < im.N; i++ {
		x0, y0 := (i%cols)*s, (i/cols)*s
		src := im.Pix[i*s*s*4 : (i+1)*s*s*4]
		for y := 0; y < s; y++ {
			copy(sheet.Pix[sheet.PixOffset(x0, y0+y):], src[y*s*4:(y+1)*s*4])
		}
	}
	return sheet
}

// Protocol names.
const (
	Shared = "shared" // shared concepts: source pairs for every concept (the default)
	Novel  = "novel"  // novel concepts: target val/test concepts appear in no training data
	// Deploy trains as a user would deploy: every target image and sentence
	// is handed over unaligned (val and test included), so its test numbers
	// are transductive and are never reported as results.
	Deploy = "deploy"
)

// Split lists concept ids for one protocol.
type Split struct {
	Source      []int `json:"source"`       // concepts with aligned source pairs
	TargetTrain []int `json:"target_train"` // concepts of the unaligned target training sets
	Val         []int `json:"val"`          // target validation concepts (aligned, for model selection)
	Test        []int `json:"test"`         // target test concepts (aligned, for evaluation only)
}

// Splits is the committed splits.json.
type Splits struct {
	Seed      uint64           `json:"seed"`
	Method    string           `json:"method"`
	Protocols map[string]Split `json:"protocols"`
}

// PixelHash is the SHA-256 of the images' raw RGBA bytes.
func PixelHash(im *data.Images) string { return hash(im.Pix) }

// ReadFile returns one embedded file (e.g. "ATTRIBUTION.md", "twemoji.png").
func ReadFile(name string) ([]byte, error) { return files.ReadFile("files/" + name) }

// Domain is one (vendor, text style) pair, written "vendor/style".
type Domain struct{ Vendor, Style string }

func (d Domain) String() string { return d.Vendor + "/" + d.Style }

// ParseDomain reads "vendor/style", e.g. "twemoji/en".
func ParseDomain(s string) (Domain, error) {
	v, st, ok := strings.Cut(s, "/")
	if !ok {
		return Domain{}, fmt.Errorf("domain %q: want vendor/style, e.g. twemoji/en", s)
	}
	if !slices.Contains(Vendors, v) {
		return Domain{}, fmt.Errorf("domain %q: unknown vendor %q (have %s)", s, v, strings.Join(Vendors, ", "))
	}
	if !slices.Contains(Styles, st) {
		return Domain{}, fmt.Errorf("domain %q: unknown text style %q (have %s)", s, st, strings.Join(Styles, ", "))
	}
	return Domain{v, st}, nil
}

// Scenario is a transfer problem: aligned Source → unaligned Target.
type Scenario struct{ Source, Target Domain }

func (s Scenario) String() string { return s.Source.String() + "→" + s.Target.String() }

// Default is the project's default scenario: Twemoji with CLDR English
// sentences → OpenMoji with CLDR English sentences (image shift).
var Default = Scenario{Domain{"twemoji", "en"}, Domain{"openmoji", "en"}}

// Collection returns the concepts ids of one domain as an aligned
// collection (one image and one sentence per concept).
func (d *Dataset) Collection(dom Domain, ids []int, split string) *data.Collection {
	c := &data.Collection{Domain: dom.String(), Split: split, Images: d.Images[dom.Vendor].Subset(ids)}
	for i, id := range ids {
		c.ImageIDs = append(c.ImageIDs, d.Concepts[id].Unified)
		c.Texts = append(c.Texts, d.Concepts[id].Texts[dom.Style])
		c.TextImage = append(c.TextImage, i)
		if dom.Style == "en" { // the English sentence starts with the CLDR name
			c.Short = append(c.Short, d.Concepts[id].Name)
		}
	}
	return c
}

// Task builds the train/evaluate problem of a scenario under a protocol
// (Shared, Novel or Deploy). seed drives the shuffling of the target sets.
func (d *Dataset) Task(sc Scenario, protocol string, seed uint64) (*data.Task, error) {
	p, err := d.Parts(sc, protocol)
	if err != nil {
		return nil, err
	}
	t, err := data.NewTask(sc.String()+" ("+protocol+")", p.Source, p.TargetTrain, p.Val, p.Test, p.SourceTest, seed)
	if err != nil {
		return nil, err
	}
	t.ConceptIDs = true
	return t, nil
}

// Parts are the aligned collections a task is made of, before the target
// training split is hidden (data.NewTask): what aeir data export writes.
type Parts struct {
	Source, TargetTrain, Val, Test, SourceTest *data.Collection
}

// Parts returns the collections of a scenario under a protocol.
func (d *Dataset) Parts(sc Scenario, protocol string) (Parts, error) {
	sp, ok := d.Splits.Protocols[protocol]
	if protocol == Deploy {
		sp, ok = d.Splits.Protocols[Shared]
		sp.TargetTrain = sp.Source // all concepts
	}
	if !ok {
		return Parts{}, fmt.Errorf("unknown protocol %q (have %s, %s, %s)", protocol, Shared, Novel, Deploy)
	}
	return Parts{
		Source:      d.Collection(sc.Source, sp.Source, "train"),
		TargetTrain: d.Collection(sc.Target, sp.TargetTrain, "train"),
		Val:         d.Collection(sc.Target, sp.Val, "val"),
		Test:        d.Collection(sc.Target, sp.Test, "test"),
		SourceTest:  d.Collection(sc.Source, sp.Test, "test"),
	}, nil
}

// Sample picks n concept ids spread over the categories: categories in
// turn, a seeded random concept of each.
func (d *Dataset) Sample(n int, seed uint64) []int {
	byCat := map[string][]int{}
	var cats []string
	for _, c := range d.Concepts {
		if byCat[c.Category] == nil {
			cats = append(cats, c.Category)
		}
		byCat[c.Category] = append(byCat[c.Category], c.ID)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5a3e))
	for _, c := range cats {
		ids := byCat[c]
		rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	}
	var out []int
	for k := 0; len(out) < n && len(out) < len(d.Concepts); k++ {
		for _, c := range cats {
			if k < len(byCat[c]) && len(out) < n {
				out = append(out, byCat[c][k])
			}
		}
	}
	return out
}
