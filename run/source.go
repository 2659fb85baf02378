package run

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"aeir/data"
	"aeir/data/formats"
	"aeir/data/vendormoji"
	"aeir/internal/clip"
	"aeir/train"
)

// SpecHelp describes the data-source syntax for flag help texts.
const SpecHelp = `a data source: a VendorMoji domain vendor/style (e.g. twemoji/en), or PATH[#DOMAIN] for your own data: ` +
	`a .csv/.tsv/.jsonl table (image,text,domain[,split][,short]; #DOMAIN picks its domain), ` +
	`a Karpathy dataset_*.json (images beside it), or a VSE++ precomp folder ({split}_ims.npy + {split}_caps.txt); ` +
	`for one-domain formats #DOMAIN names the domain`

// Spec is a parsed data source: a VendorMoji domain, or a file or folder
// with an optional domain.
type Spec struct {
	Vendor *vendormoji.Domain // a VendorMoji domain, or nil
	Path   string             // a file or folder
	Domain string             // after '#': which domain of a table; the name of a one-domain file
}

func (s Spec) String() string {
	if s.Vendor != nil {
		return s.Vendor.String()
	}
	if s.Domain != "" {
		return s.Path + "#" + s.Domain
	}
	return s.Path
}

// ParseSpec reads a data source. A string that names a VendorMoji domain
// ("vendor/style" with a known vendor and style) is one; anything else is
// PATH or PATH#DOMAIN, split at the last '#' (write ./twemoji/en for a
// folder of that name).
// maxSpec bounds a data source's text: Linux's PATH_MAX and a domain.
const maxSpec = 4096 + 256

func ParseSpec(s string) (Spec, error) {
	if s == "" {
		return Spec{}, errors.New("empty data source: want " + SpecHelp)
	}
	if len(s) > maxSpec {
		return Spec{}, fmt.Errorf("data source %s is longer than %d bytes, more than a path can be", clip.Quote(s), maxSpec)
	}
	if v, st, ok := strings.Cut(s, "/"); ok && slices.Contains(vendormoji.Vendors, v) && !strings.Contains(st, "/") {
		d, err := vendormoji.ParseDomain(s)
		if err != nil {
			return Spec{}, err
		}
		return Spec{Vendor: &d}, nil
	}
	path, dom := s, ""
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		path, dom = s[:i], s[i+1:]
		if dom == "" {
			return Spec{}, fmt.Errorf("data source %s: empty domain after '#'; write PATH#DOMAIN or just PATH", clip.Quote(s))
		}
	}
	if path == "" {
		return Spec{}, fmt.Errorf("data source %s: no path before '#'", clip.Quote(s))
	}
	return Spec{Path: path, Domain: dom}, nil
}

// Domain is one domain of a user's data set, by split ("train", "val",
// "test" or "" for unsplit rows), as loaded.
type Domain struct {
	Spec   Spec
	Name   string
	Splits map[string]*data.Collection
	SHA256 string // of the content: see Hash
}

// splitOrder is the order splits are hashed and merged in. Precomp's
// testall (COCO's 5,000 test images, which hold its 1,000-image test
// split) is loaded only when asked for, and not used by runs.
var splitOrder = []string{"", "train", "val", "test"}

// LoadDomain loads the domain a file spec names, with images at size×size.
// An unknown domain is an error that lists the file's domains.
func LoadDomain(s Spec, size int, lim *formats.Limits) (*Domain, error) {
	return loadDomain(s, size, lim, nil)
}

func loadDomain(s Spec, size int, lim *formats.Limits, cache map[string][]*data.Collection) (*Domain, error) {
	if s.Vendor != nil {
		return nil, fmt.Errorf("LoadDomain: %s is a VendorMoji domain", s)
	}
	st, err := os.Stat(s.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("data source %s: %s does not exist (a relative path is read from the folder aeir runs in)", s, s.Path)
		}
		return nil, fmt.Errorf("data source %s: %w", s, err)
	}
	if !st.IsDir() && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("data source %s: %s is not a regular file or a folder", s, s.Path)
	}
	opts := formats.Options{Size: size, Limits: lim}
	table := false
	if !st.IsDir() {
		low := strings.ToLower(s.Path)
		table = strings.HasSuffix(low, ".csv") || strings.HasSuffix(low, ".tsv") || strings.HasSuffix(low, ".jsonl")
	}
	if !table {
		opts.Domain = s.Domain // one-domain formats: the selector names the domain
	}
	key := s.Path + "#" + opts.Domain
	cs, ok := cache[key]
	if !ok {
		if cs, err = formats.Load(s.Path, opts); err != nil {
			return nil, err
		}
		if cache != nil {
			cache[key] = cs
		}
	}
	var names []string
	for _, c := range cs {
		if !slices.Contains(names, c.Domain) {
			names = append(names, c.Domain)
		}
	}
	name := s.Domain
	switch {
	case name == "" && len(names) == 1:
		name = names[0]
	case name == "":
		return nil, fmt.Errorf("data source %s holds %d domains (%s): pick one with %s#DOMAIN", s, len(names), strings.Join(names, ", "), s.Path)
	case !slices.Contains(names, name):
		return nil, fmt.Errorf("data source %s: no domain %q; %s holds %s", s, name, s.Path, strings.Join(names, ", "))
	}
	d := &Domain{Spec: s, Name: name, Splits: map[string]*data.Collection{}}
	for _, c := range cs {
		if c.Domain != name {
			continue
		}
		if d.Splits[c.Split] != nil {
			return nil, fmt.Errorf("data source %s: split %q of domain %s appears twice", s, c.Split, name)
		}
		d.Splits[c.Split] = c
	}
	d.SHA256 = Hash(d.Splits)
	return d, nil
}

// Hash is the SHA-256 of a domain's content: for each split in a fixed
// order, its name, its images (pixels or feature bits), sentences, short
// forms and alignment. Image ids and file names do not count, so the same
// data in another format has the same hash.
func Hash(splits map[string]*data.Collection) string {
	h := sha256.New()
	var b [8]byte
	num := func(v int) {
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		h.Write(b[:])
	}
	str := func(s string) { num(len(s)); h.Write([]byte(s)) }
	for _, sp := range splitOrder {
		c := splits[sp]
		if c == nil {
			continue
		}
		str(sp)
		im := c.Images
		num(im.N)
		num(im.W)
		num(im.H)
		num(im.Dim)
		h.Write(im.Pix)
		buf := make([]byte, 0, 4096)
		for _, v := range im.Feat {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				h.Write(buf)
				buf = buf[:0]
			}
		}
		h.Write(buf)
		num(len(c.Texts))
		for j, t := range c.Texts {
			str(t)
			num(c.TextImage[j])
		}
		num(len(c.Short))
		for _, t := range c.Short {
			str(t)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileTask builds the task of two file domains: the source's training
// pairs (its "train" split, or its unsplit rows), the target's training
// split handed over unaligned, and its val and test splits. A target with
// no val or test split of its own is split by a seeded holdout (d.Holdout,
// recorded in options.json); a holdout of 0 and 0 gives a target without
// evaluation data, which trains (the last epoch is the model) but cannot
// be scored.
func fileTask(src, tgt *Domain, d train.Data) (*data.Task, error) {
	s := src.Splits["train"]
	if s == nil {
		s = src.Splits[""]
	}
	if s == nil {
		return nil, fmt.Errorf("source %s has no train split and no unsplit rows to learn pairs from (it has %s)", src.Spec, splitNames(src.Splits))
	}
	if src.Splits["train"] != nil && src.Splits[""] != nil {
		return nil, fmt.Errorf("source %s mixes rows with split train and rows with no split: give every row a split", src.Spec)
	}
	tt, val, test := tgt.Splits["train"], tgt.Splits["val"], tgt.Splits["test"]
	if d.Holdout != nil {
		if val != nil || test != nil {
			return nil, fmt.Errorf("target %s has its own val/test splits; a holdout split applies only to a target without them", tgt.Spec)
		}
		all := tgt.Splits[""]
		if all == nil {
			all = tt
		} else if tt != nil {
			return nil, fmt.Errorf("target %s mixes rows with split train and rows with no split: give every row a split", tgt.Spec)
		}
		if all == nil {
			return nil, fmt.Errorf("target %s has no rows to split (it has %s)", tgt.Spec, splitNames(tgt.Splits))
		}
		var err error
		tt, val, test, err = holdout(all, d.Holdout.Val, d.Holdout.Test, d.Seed)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", tgt.Spec, err)
		}
	} else if tt == nil {
		return nil, fmt.Errorf("target %s has no train split (it has %s): give its rows split train, val and test, or leave the split empty for a seeded holdout", tgt.Spec, splitNames(tgt.Splits))
	} else if val == nil || test == nil {
		return nil, fmt.Errorf("target %s has a train split but no %s split: give it val and test rows, or leave every split empty for a seeded holdout", tgt.Spec, map[bool]string{true: "val", false: "test"}[val == nil])
	}
	return data.NewTask(src.Name+"→"+tgt.Name, s, tt, val, test, src.Splits["test"], d.Seed)
}

// holdout splits an aligned collection by image into train, val and test
// with a seeded permutation; a split that would be empty is nil.
func holdout(c *data.Collection, fv, ft float64, seed uint64) (tr, val, test *data.Collection, err error) {
	if fv < 0 || ft < 0 || fv+ft >= 1 {
		return nil, nil, nil, fmt.Errorf("holdout fractions val %v, test %v: want each ≥ 0 and together < 1", fv, ft)
	}
	n := c.Images.N
	nv, nt := int(math.Round(fv*float64(n))), int(math.Round(ft*float64(n)))
	if (fv > 0 && nv == 0) || (ft > 0 && nt == 0) {
		return nil, nil, nil, fmt.Errorf("a holdout of val %v and test %v of %d images rounds a part to no image: give larger fractions (or 0 for none)", fv, ft, n)
	}
	if n-nv-nt < 2 {
		return nil, nil, nil, fmt.Errorf("%d images are too few for a holdout of val %v and test %v (fewer than 2 left to train on)", n, fv, ft)
	}
	perm := rand.New(rand.NewPCG(seed, 0x401d)).Perm(n)
	part := func(idx []int, split string) *data.Collection {
		if len(idx) == 0 {
			return nil
		}
		slices.Sort(idx) // keep the file's order inside each part
		p := c.Subset(idx)
		p.Split = split
		return p
	}
	return part(slices.Clone(perm[nv+nt:]), "train"), part(slices.Clone(perm[:nv]), "val"), part(slices.Clone(perm[nv:nv+nt]), "test"), nil
}

// whole joins a domain's splits into one aligned collection (the whole
// gallery and corpus); an id that two splits share is prefixed by its
// split ("test:" + id) in the later one.
func whole(splits map[string]*data.Collection) *data.Collection {
	var out *data.Collection
	seen := map[string]bool{}
	for _, sp := range splitOrder {
		c := splits[sp]
		if c == nil {
			continue
		}
		if out == nil {
			out = &data.Collection{Domain: c.Domain, Split: "all", Images: &data.Images{W: c.Images.W, H: c.Images.H, Dim: c.Images.Dim}}
			if c.Short != nil {
				out.Short = []string{}
			}
		}
		off := out.Images.N
		out.Images.N += c.Images.N
		out.Images.Pix = append(out.Images.Pix, c.Images.Pix...)
		out.Images.Feat = append(out.Images.Feat, c.Images.Feat...)
		for _, id := range c.ImageIDs {
			if seen[id] {
				id = sp + ":" + id
			}
			seen[id] = true
			out.ImageIDs = append(out.ImageIDs, id)
		}
		out.Texts = append(out.Texts, c.Texts...)
		for _, i := range c.TextImage {
			out.TextImage = append(out.TextImage, off+i)
		}
		if out.Short != nil && c.Short != nil {
			out.Short = append(out.Short, c.Short...)
		} else {
			out.Short = nil
		}
	}
	return out
}

func splitNames(m map[string]*data.Collection) string {
	var s []string
	for _, sp := range splitOrder {
		if m[sp] != nil {
			name := sp
			if name == "" {
				name = "unsplit rows"
			}
			s = append(s, name)
		}
	}
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}
