package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"aeir/data"
	"aeir/data/vendormoji"
	"aeir/internal/atomicfile"
)

// Options configure a build.
type Options struct {
	Cache string    // directory of npm tarballs (fetched when missing)
	Out   string    // output directory (package vendormoji's files/)
	Size  int       // tile size in pixels, at most 64 (default 32)
	Seed  uint64    // split seed (default 1)
	Val   int       // target validation concepts (default 200)
	Test  int       // target test concepts (default 400)
	Log   io.Writer // progress
}

// Build makes the data set in o.Out.
func Build(o Options) error {
	if o.Size == 0 {
		o.Size = 32
	}
	if o.Size < 8 || o.Size > 64 {
		return fmt.Errorf("size %d: must be between 8 and 64 (the sources are 64 px)", o.Size)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Val == 0 {
		o.Val = 200
	}
	if o.Test == 0 {
		o.Test = 400
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if _, err := exec.LookPath("rsvg-convert"); err != nil {
		return fmt.Errorf("rsvg-convert not found: install Debian's librsvg2-bin (`apt-get install librsvg2-bin`)")
	}
	if err := Fetch(o.Cache, o.Log); err != nil {
		return err
	}
	tgz := map[string]map[string][]byte{}
	keep := map[string]func(string) bool{
		"emoji-datasource":         func(n string) bool { return n == "package/emoji.json" || n == "package/LICENSE" },
		"emoji-datasource-twitter": func(n string) bool { return strings.HasPrefix(n, "package/img/twitter/64/") || n == "package/LICENSE" },
		"emoji-datasource-google":  func(n string) bool { return strings.HasPrefix(n, "package/img/google/64/") || n == "package/LICENSE" },
		"openmoji": func(n string) bool {
			return strings.HasPrefix(n, "package/color/svg/") || n == "package/data/openmoji.json" || n == "package/LICENSE.txt"
		},
		"cldr-annotations-full":         func(n string) bool { return strings.HasSuffix(n, "/annotations.json") || n == "package/LICENSE" },
		"cldr-annotations-derived-full": func(n string) bool { return strings.HasSuffix(n, "/annotations.json") || n == "package/LICENSE" },
		"emojibase-data":                func(n string) bool { return n == "package/en/shortcodes/emojibase.json" || n == "package/LICENSE" },
	}
	for _, p := range Packages {
		fmt.Fprintf(o.Log, "reading %s\n", p.Tarball())
		f, err := tarFiles(filepath.Join(o.Cache, p.Tarball()), keep[p.Name])
		if err != nil {
			return err
		}
		tgz[p.Name] = f
	}
	locs, err := assemble(tgz["emoji-datasource"], tgz["cldr-annotations-full"], tgz["cldr-annotations-derived-full"], tgz["emojibase-data"], tgz["openmoji"])
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Log, "%d concepts\n", len(locs))

	imgs := map[string]*data.Images{}
	for _, v := range vendormoji.Vendors {
		im, err := vendorImages(v, locs, tgz, o.Size, o.Log)
		if err != nil {
			return err
		}
		imgs[v] = im
	}

	out := map[string][]byte{}
	var cb bytes.Buffer
	concepts := make([]vendormoji.Concept, len(locs))
	for i, l := range locs {
		concepts[i] = l.concept
		b, err := json.Marshal(l.concept)
		if err != nil {
			return err
		}
		cb.Write(b)
		cb.WriteByte('\n')
	}
	out["concepts.jsonl"] = cb.Bytes()
	sp := MakeSplits(concepts, o.Seed, o.Val, o.Test)
	if out["splits.json"], err = json.MarshalIndent(sp, "", " "); err != nil {
		return err
	}
	man := vendormoji.Manifest{
		Name: vendormoji.Name, Size: o.Size, Concepts: len(locs), Vendors: vendormoji.Vendors,
		Styles: vendormoji.Styles, Columns: vendormoji.Columns,
		Files: map[string]string{}, Pixels: map[string]string{},
		Builder: "aeir data build (package aeir/data/build); OpenMoji rasterised with rsvg-convert; area-averaged to size",
	}
	for _, v := range vendormoji.Vendors {
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, vendormoji.EncodeSheet(imgs[v], vendormoji.Columns)); err != nil {
			return err
		}
		out[v+".png"] = buf.Bytes()
		man.Pixels[v] = vendormoji.PixelHash(imgs[v])
	}
	licName := map[string]string{"openmoji": "package/LICENSE.txt"}
	for _, p := range Packages {
		man.Sources = append(man.Sources, vendormoji.Source{Package: p.Name + "@" + p.Version, Integrity: p.Integrity, Licence: p.Licence, Use: p.Use})
		ln := licName[p.Name]
		if ln == "" {
			ln = "package/LICENSE"
		}
		lic, ok := tgz[p.Name][ln]
		if !ok {
			return fmt.Errorf("%s: no licence file %s", p.Tarball(), ln)
		}
		out["licenses/"+p.Name+".txt"] = lic
	}
	out["ATTRIBUTION.md"] = attribution()
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h := sha256.Sum256(out[n])
		man.Files[n] = hex.EncodeToString(h[:])
	}
	if out["manifest.json"], err = json.MarshalIndent(man, "", " "); err != nil {
		return err
	}
	names = append(names, "manifest.json")
	// the manifest, written last, marks a complete build: an interrupted
	// rebuild over an old one must not leave the old manifest in place
	if err := os.Remove(filepath.Join(o.Out, "manifest.json")); err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, n := range names {
		if err := atomicfile.WriteFile(filepath.Join(o.Out, n), out[n]); err != nil {
			return err
		}
	}
	fmt.Fprintf(o.Log, "wrote %d files to %s\n", len(names), o.Out)
	return nil
}

func vendorImages(v string, locs []located, tgz map[string]map[string][]byte, size int, log io.Writer) (*data.Images, error) {
	tiles := make([]*image.NRGBA, len(locs))
	errs := make([]error, len(locs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				tiles[i], errs[i] = tile(v, locs[i], tgz, size)
			}
		}()
	}
	for i := range locs {
		next <- i
		if (i+1)%500 == 0 {
			fmt.Fprintf(log, "%s: %d/%d images\n", v, i+1, len(locs))
		}
	}
	close(next)
	wg.Wait()
	im := &data.Images{W: size, H: size}
	for i, t := range tiles {
		if errs[i] != nil {
			return nil, errs[i]
		}
		im.Append(t)
	}
	return im, nil
}

func tile(v string, l located, tgz map[string]map[string][]byte, size int) (*image.NRGBA, error) {
	var pngBytes []byte
	var name string
	switch v {
	case "twemoji":
		name = l.twitter
		pngBytes = tgz["emoji-datasource-twitter"][name]
	case "noto":
		name = l.google
		pngBytes = tgz["emoji-datasource-google"][name]
	case "openmoji":
		name = l.openmoji
		svg, ok := tgz["openmoji"][name]
		if !ok {
			return nil, fmt.Errorf("openmoji: %s missing", name)
		}
		cmd := exec.Command("rsvg-convert", "--width", "64", "--height", "64", "--format", "png")
		cmd.Stdin = bytes.NewReader(svg)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("rsvg-convert %s: %v: %s", name, err, stderr.String())
		}
		pngBytes = out
	}
	if pngBytes == nil {
		return nil, fmt.Errorf("%s: %s missing", v, name)
	}
	m, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", v, name, err)
	}
	if b := m.Bounds(); b.Dx() != 64 || b.Dy() != 64 {
		return nil, fmt.Errorf("%s: %s is %dx%d, want 64x64", v, name, b.Dx(), b.Dy())
	}
	return data.Resize(m, size, size), nil
}

// MakeSplits draws the target validation and test concepts, stratified by
// category (largest-remainder quotas, seeded shuffle within each
// category), and writes both protocols out explicitly.
func MakeSplits(cs []vendormoji.Concept, seed uint64, nVal, nTest int) vendormoji.Splits {
	byCat := map[string][]int{}
	var cats []string
	for _, c := range cs {
		if _, ok := byCat[c.Category]; !ok {
			cats = append(cats, c.Category)
		}
		byCat[c.Category] = append(byCat[c.Category], c.ID)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for _, c := range cats {
		ids := byCat[c]
		rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	}
	quota := func(total int) map[string]int {
		q := map[string]int{}
		type rem struct {
			cat string
			r   float64
		}
		var rs []rem
		got := 0
		for _, c := range cats {
			exact := float64(total) * float64(len(byCat[c])) / float64(len(cs))
			q[c] = int(exact)
			got += q[c]
			rs = append(rs, rem{c, exact - float64(q[c])})
		}
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].r > rs[j].r })
		for i := 0; got < total; i++ {
			q[rs[i].cat]++
			got++
		}
		return q
	}
	qt, qv := quota(nTest), quota(nVal)
	var train, val, test []int
	for _, c := range cats {
		ids := byCat[c]
		test = append(test, ids[:qt[c]]...)
		val = append(val, ids[qt[c]:qt[c]+qv[c]]...)
		train = append(train, ids[qt[c]+qv[c]:]...)
	}
	sort.Ints(train)
	sort.Ints(val)
	sort.Ints(test)
	all := make([]int, len(cs))
	for i := range all {
		all[i] = i
	}
	return vendormoji.Splits{
		Seed:   seed,
		Method: fmt.Sprintf("target val %d and test %d concepts drawn per category by largest-remainder quotas, PCG(seed) shuffle", nVal, nTest),
		Protocols: map[string]vendormoji.Split{
			vendormoji.Shared: {Source: all, TargetTrain: train, Val: val, Test: test},
			vendormoji.Novel:  {Source: train, TargetTrain: train, Val: val, Test: test},
		},
	}
}

func attribution() []byte {
	var b strings.Builder
	b.WriteString("# VendorMoji-1906: sources, licences and attribution\n\n")
	b.WriteString("Built by `make data` (package aeir/data/build) from these npm packages, fetched with `npm pack` at the exact versions and integrities listed in manifest.json. Each package's own licence is in licenses/.\n\n")
	b.WriteString("| what | package | licence | attribution |\n|---|---|---|---|\n")
	b.WriteString("| Twemoji images (twemoji.png) | emoji-datasource-twitter 16.0.0 | CC-BY 4.0 | Twemoji graphics © Twitter, Inc. and other contributors, licensed CC-BY 4.0 |\n")
	b.WriteString("| Google Noto images (noto.png) | emoji-datasource-google 16.0.0 | Apache-2.0 | Noto Emoji graphics © Google Inc., Apache License 2.0 |\n")
	b.WriteString("| OpenMoji images (openmoji.png) | openmoji 17.0.0 | CC-BY-SA 4.0 | OpenMoji – the open-source emoji and icon project, CC BY-SA 4.0; the rasterised sheet is shared under the same licence |\n")
	b.WriteString("| concept list, names, categories, short names | emoji-datasource 16.0.0 | MIT | © Cal Henderson (iamcal) |\n")
	b.WriteString("| CLDR names and keywords (en, de, es, fr, ja, zh) | cldr-annotations-full, cldr-annotations-derived-full 48.2.0 | Unicode-3.0 | © Unicode, Inc. |\n")
	b.WriteString("| emojibase shortcodes | emojibase-data 17.0.0 | MIT | © Miles Johnson |\n")
	b.WriteString("| OpenMoji tags | openmoji 17.0.0 | CC-BY-SA 4.0 | OpenMoji |\n\n")
	b.WriteString("Images were scaled from 64 px (OpenMoji: rasterised from SVG at 64 px with rsvg-convert) by area averaging. Apple's and Facebook's emoji images are not included.\n")
	return []byte(b.String())
}

// SHA256 is the hex SHA-256 of b.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
