package formats

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	slashpath "path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"aeir/data"
	"aeir/internal/clip"
)

// WriteTable writes cs as a table of image–text pairs that LoadTable
// (with imageDir "" and size the images' side) reads back as the same
// collections: a .csv, .tsv or .jsonl file, by path's extension, with the
// columns image, text, domain and split, and short when a collection has
// short forms (empty in the rows of domains without). Split "" is written
// empty.
//
// Every image is written as a PNG file under imageDir ("" means a folder
// "images" beside the table), at <domain>/<id>.png with domain and id
// reduced to safe file names (made unique when two reduce to the same
// name), and named in the table by its path relative to the table's
// folder, e.g. "images/photos/a.png"; that path is the image's id when
// the table is loaded. Tables hold image files, so feature collections
// are refused. The images must be square and all of one size.
//
// The rows of a collection are its texts in order when that order meets
// the images in their order (image i's first text comes before image
// i+1's), so both orders come back unchanged; otherwise the rows are
// grouped by image, which keeps the image order, and the texts come back
// grouped by image. A domain's collections must all have short forms or
// none.
//
// Neither path nor imageDir may exist; both are written under temporary
// names in their folders (which must exist) and renamed into place, so
// that an error leaves nothing behind.
func WriteTable(path string, cs []*data.Collection, imageDir string) error {
	op := "WriteTable " + path
	kind, ok := tableKindOf(path)
	if !ok {
		return werr(op, "unknown table format: name the file .csv, .tsv or .jsonl")
	}
	if imageDir == "" {
		imageDir = filepath.Join(filepath.Dir(path), "images")
	}
	if _, err := checkPixelSet(op, cs, "write feature collections with WritePrecomp"); err != nil {
		return err
	}
	type domSplit struct{ domain, split string }
	seen := map[domSplit]bool{}
	shortOf := map[string]*data.Collection{} // domain → a collection showing whether it has short forms
	anyShort := false
	for _, c := range cs {
		name := collName(c)
		if err := checkDomain(op, c.Domain); err != nil {
			return err
		}
		switch c.Split {
		case "", splitTrain, splitVal, splitTest:
		default:
			return werr(op, "collection %s: split %s cannot be written to a table: tables know train, val, test and unsplit (\"\")", name, clip.Quote(c.Split))
		}
		k := domSplit{c.Domain, c.Split}
		if seen[k] {
			return werr(op, "two collections of domain %s and split %s: the loader would merge them; merge them first", clip.Quote(c.Domain), clip.Quote(c.Split))
		}
		seen[k] = true
		if p := shortOf[c.Domain]; p == nil {
			shortOf[c.Domain] = c
		} else if (p.Short == nil) != (c.Short == nil) {
			return werr(op, "domain %s: collection %s has short forms and collection %s has none; a table gives short forms to every row of a domain or to none",
				clip.Quote(c.Domain), collName(withShort(p, c)), collName(withoutShort(p, c)))
		}
		anyShort = anyShort || c.Short != nil
		lineSafe := kind != kindJSONL // CSV and TSV readers turn "\r\n" into "\n"
		if err := checkTexts(op, c, lineSafe, false); err != nil {
			return err
		}
		type pair struct {
			image int
			text  string
		}
		texts := map[pair]int{}
		for j, t := range c.Texts {
			if p, dup := texts[pair{c.TextImage[j], t}]; dup {
				return werr(op, "collection %s: texts %d and %d are the same text of the same image; a table refuses duplicate rows (they would count twice in evaluation)", name, p, j)
			}
			texts[pair{c.TextImage[j], t}] = j
		}
	}

	// Image files: <domain>/<id>.png, unique names within each folder.
	rel, err := relSlash(filepath.Dir(path), imageDir)
	if err != nil || imagePathProblem(rel) != "" {
		return werr(op, "image folder %s is not inside the table's folder, and image paths must be (%s): put it beside the table", imageDir, imagePathFix)
	}
	domDirs := newNamer()
	domDir := map[string]string{}
	files := make([][]string, len(cs)) // collection → image → path below imageDir
	names := map[string]*namer{}
	for ci, c := range cs {
		d, ok := domDir[c.Domain]
		if !ok {
			d = domDirs.name(c.Domain)
			domDir[c.Domain] = d
			names[d] = newNamer()
		}
		files[ci] = make([]string, c.Images.N)
		for i, id := range c.ImageIDs {
			files[ci][i] = d + "/" + names[d].name(id) + ".png"
		}
	}
	writeImages := func(dir string) error {
		return writePNGs(dir, cs, files)
	}
	writeTable := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		var cw *csv.Writer
		if kind != kindJSONL {
			cw = csv.NewWriter(bw)
			if kind == kindTSV {
				cw.Comma = '\t'
			}
			head := []string{"image", "text", "domain", "split"}
			if anyShort {
				head = append(head, "short")
			}
			if err := cw.Write(head); err != nil {
				return err
			}
		}
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for ci, c := range cs {
			for _, j := range tableOrder(c) {
				img := slashpath.Clean(rel + "/" + files[ci][c.TextImage[j]])
				short := ""
				if c.Short != nil {
					short = c.Short[j]
				}
				if cw != nil {
					rec := []string{img, c.Texts[j], c.Domain, c.Split}
					if anyShort {
						rec = append(rec, short)
					}
					if err := cw.Write(rec); err != nil {
						return err
					}
					continue
				}
				row := struct {
					Image  string `json:"image"`
					Text   string `json:"text"`
					Domain string `json:"domain"`
					Split  string `json:"split"`
					Short  string `json:"short,omitempty"`
				}{img, c.Texts[j], c.Domain, c.Split, short}
				if err := enc.Encode(&row); err != nil {
					return err
				}
			}
		}
		if cw != nil {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		}
		return bw.Flush()
	}
	return publishWithImages(op, path, imageDir, writeImages, writeTable)
}

// WriteKarpathy writes cs, collections of one domain, as a Karpathy-style
// JSON file that LoadKarpathy (with imageDir "" and size the images'
// side) reads back as the same collections. The "dataset" field is
// dataset, or the collections' domain when dataset is ""; the loader
// takes it as the domain. Every collection needs a split, train, val or
// test: Karpathy files have no unsplit images.
//
// Images are written as PNG files named after their ids (reduced to safe
// file names, made unique) in imageDir ("" means a folder "images" beside
// the JSON); each image's "filepath" is imageDir relative to the JSON's
// folder, so the loaded ids are e.g. "images/a.png". The images must be
// square and all of one size. Sentences carry raw (the text), tokens (the
// text lower-cased and split at white space), imgid, sentid and, when the
// collections have short forms, short (all collections must have them,
// or none). Sentences are listed by image, so the texts come back grouped
// by image in image order: unchanged when they were already.
//
// Neither jsonPath nor imageDir may exist; both are written under
// temporary names in their folders (which must exist) and renamed into
// place, so that an error leaves nothing behind.
func WriteKarpathy(jsonPath string, dataset string, cs []*data.Collection, imageDir string) error {
	op := "WriteKarpathy " + jsonPath
	if imageDir == "" {
		imageDir = filepath.Join(filepath.Dir(jsonPath), "images")
	}
	if _, err := checkPixelSet(op, cs, "write feature collections with WritePrecomp"); err != nil {
		return err
	}
	if err := checkOneDomain(op, cs, "a Karpathy file"); err != nil {
		return err
	}
	if dataset == "" {
		dataset = cs[0].Domain
	}
	if strings.TrimSpace(dataset) == "" {
		return werr(op, "no dataset name and the collections' domain is empty: give the dataset's name")
	}
	if !utf8.ValidString(dataset) {
		return werr(op, "dataset name is not valid UTF-8")
	}
	seen := map[string]bool{}
	for _, c := range cs {
		switch c.Split {
		case splitTrain, splitVal, splitTest:
		case "":
			return werr(op, "collection %s is unsplit: Karpathy files have no unsplit images; give every collection a split (train, val or test)", collName(c))
		default:
			return werr(op, "collection %s: split %s cannot be written to a Karpathy file: give train, val or test", collName(c), clip.Quote(c.Split))
		}
		if seen[c.Split] {
			return werr(op, "two collections of split %s: the loader would merge them; merge them first", clip.Quote(c.Split))
		}
		seen[c.Split] = true
		if (c.Short == nil) != (cs[0].Short == nil) {
			return werr(op, "collection %s has short forms and collection %s has none; a Karpathy file gives short forms to every sentence or to none",
				collName(withShort(c, cs[0])), collName(withoutShort(c, cs[0])))
		}
		if err := checkTexts(op, c, false, false); err != nil {
			return err
		}
	}
	fp, err := relSlash(filepath.Dir(jsonPath), imageDir)
	if err != nil || imagePathProblem(fp) != "" {
		return werr(op, "image folder %s is not inside the JSON's folder, and image paths must be (%s): put it beside the JSON", imageDir, imagePathFix)
	}
	order := slices.Clone(cs)
	slices.SortStableFunc(order, func(a, b *data.Collection) int { return splitRank(a.Split) - splitRank(b.Split) })
	names := newNamer()
	files := make([][]string, len(order))
	for ci, c := range order {
		files[ci] = make([]string, c.Images.N)
		for i, id := range c.ImageIDs {
			files[ci][i] = names.name(id) + ".png"
		}
	}
	type sentence struct {
		Raw    string   `json:"raw"`
		Tokens []string `json:"tokens"`
		Imgid  int      `json:"imgid"`
		Sentid int      `json:"sentid"`
		Short  string   `json:"short,omitempty"`
	}
	type image struct {
		Filepath  string     `json:"filepath"`
		Filename  string     `json:"filename"`
		Split     string     `json:"split"`
		Imgid     int        `json:"imgid"`
		Sentids   []int      `json:"sentids"`
		Sentences []sentence `json:"sentences"`
	}
	writeJSON := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		head, err := json.Marshal(dataset)
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "{\"dataset\": %s, \"images\": [\n", head)
		imgid, sentid := 0, 0
		for ci, c := range order {
			byImage := textsByImage(c)
			for i := range c.Images.N {
				im := image{Filepath: fp, Filename: files[ci][i], Split: c.Split, Imgid: imgid}
				for _, j := range byImage[i] {
					s := sentence{Raw: c.Texts[j], Tokens: strings.Fields(strings.ToLower(c.Texts[j])), Imgid: imgid, Sentid: sentid}
					if c.Short != nil {
						s.Short = c.Short[j]
					}
					im.Sentids = append(im.Sentids, sentid)
					im.Sentences = append(im.Sentences, s)
					sentid++
				}
				if imgid > 0 {
					bw.WriteString(",\n")
				}
				var b bytes.Buffer
				e := json.NewEncoder(&b)
				e.SetEscapeHTML(false)
				if err := e.Encode(&im); err != nil {
					return err
				}
				bw.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
				imgid++
			}
		}
		bw.WriteString("\n]}\n")
		return bw.Flush()
	}
	return publishWithImages(op, jsonPath, imageDir, func(dir string) error { return writePNGs(dir, order, files) }, writeJSON)
}

// WritePrecomp writes cs, feature collections of one domain, as a VSE++
// precomp directory dir that LoadPrecomp reads back: for each collection
// {split}_ims.npy (N×D little-endian float32), {split}_caps.txt and, when
// the collection has short forms, {split}_short.txt, line for line with
// the captions. Splits are train, val (written as dev), test and testall;
// precomp has no unsplit data. The loader names the domain after the
// directory, less a "_precomp" suffix, so write to <domain>_precomp to
// keep it (or load with Options.Domain); it gives image ids
// "{split}/{row}".
//
// The caption file holds k captions per image in image order, so every
// image needs the same number of texts and the texts are written grouped
// by image: they come back in the same order when they were already
// grouped by image in image order. Texts may not hold line breaks.
//
// dir may not exist; it is written under a temporary name in its parent
// folder (which must exist) and renamed into place, so that an error
// leaves nothing behind.
func WritePrecomp(dir string, cs []*data.Collection) error {
	op := "WritePrecomp " + dir
	if len(cs) == 0 {
		return werr(op, "no collections to write")
	}
	if err := checkOneDomain(op, cs, "a precomp directory"); err != nil {
		return err
	}
	type job struct {
		c     *data.Collection
		file  string
		order []int // texts by image
	}
	var jobs []job
	seen := map[string]bool{}
	for _, c := range cs {
		name := collName(c)
		if err := c.Validate(); err != nil {
			return werr(op, "%w", err)
		}
		if c.Images.IsPixels() {
			return werr(op, "collection %s holds pixel images, and precomp holds feature vectors: compute features first (one row per image), or write the pixels with WriteTable or WriteKarpathy", name)
		}
		if c.Images.N == 0 {
			return werr(op, "collection %s has no images; the loader returns no empty splits", name)
		}
		file := c.Split
		switch c.Split {
		case splitTrain, splitTest, "testall":
		case splitVal:
			file = "dev"
		case "":
			return werr(op, "collection %s is unsplit: precomp data is per split; give every collection a split (train, val, test or testall)", name)
		default:
			return werr(op, "collection %s: split %s cannot be written as precomp: give train, val, test or testall", name, clip.Quote(c.Split))
		}
		if seen[file] {
			return werr(op, "two collections of split %s; merge them first", clip.Quote(c.Split))
		}
		seen[file] = true
		if err := checkTexts(op, c, true, true); err != nil {
			return err
		}
		byImage := textsByImage(c)
		k := len(byImage[0])
		for i, ts := range byImage {
			if len(ts) != k {
				return werr(op, "collection %s: image %d (%s) has %d texts and image 0 (%s) has %d; precomp needs the same number of captions for every image",
					name, i, clip.Quote(c.ImageIDs[i]), len(ts), clip.Quote(c.ImageIDs[0]), k)
			}
		}
		jobs = append(jobs, job{c, file, slices.Concat(byImage...)})
	}
	if err := checkOutputs(op, dir); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return werr(op, "%w", err)
	}
	published := false
	defer func() {
		if !published {
			os.RemoveAll(tmp)
		}
	}()
	for _, j := range jobs {
		c := j.c
		err := writeNewFile(filepath.Join(tmp, j.file+"_ims.npy"), func(w io.Writer) error {
			return writeNpyF32(w, c.Images.Feat, c.Images.N, c.Images.Dim)
		})
		if err == nil {
			err = writeNewFile(filepath.Join(tmp, j.file+"_caps.txt"), func(w io.Writer) error { return writeLines(w, c.Texts, j.order) })
		}
		if err == nil && c.Short != nil {
			err = writeNewFile(filepath.Join(tmp, j.file+"_short.txt"), func(w io.Writer) error { return writeLines(w, c.Short, j.order) })
		}
		if err != nil {
			return werr(op, "%w", err)
		}
	}
	if err := hook("publish"); err != nil {
		return werr(op, "%w", err)
	}
	if err := publishDir(op, tmp, dir); err != nil {
		return err
	}
	published = true
	return nil
}

// writeHook, when set (by tests), is called before outputs are renamed
// into place; an error it returns aborts the write.
var writeHook func(stage string) error

func hook(stage string) error {
	if writeHook != nil {
		return writeHook(stage)
	}
	return nil
}

// werr is a writer's error, prefixed with the operation.
func werr(op, format string, args ...any) error {
	return fmt.Errorf("formats: %s: %w", op, fmt.Errorf(format, args...))
}

func collName(c *data.Collection) string {
	if c.Split == "" {
		return clip.Quote(c.Domain + " (unsplit)")
	}
	return clip.Quote(c.Domain + "/" + c.Split)
}

// withShort and withoutShort return whichever of a and b has (has not)
// short forms.
func withShort(a, b *data.Collection) *data.Collection {
	if a.Short != nil {
		return a
	}
	return b
}

func withoutShort(a, b *data.Collection) *data.Collection {
	if a.Short == nil {
		return a
	}
	return b
}

func checkDomain(op, d string) error {
	switch {
	case !utf8.ValidString(d):
		return werr(op, "domain %s is not valid UTF-8", clip.Quote(d))
	case strings.TrimSpace(d) == "":
		return werr(op, "a collection has an empty domain; name every collection's domain")
	case strings.TrimSpace(d) != d:
		return werr(op, "domain %s has leading or trailing white space, which the loader drops", clip.Quote(d))
	case strings.Contains(d, "\r\n"):
		return werr(op, "domain %s holds \"\\r\\n\", which the loader reads as \"\\n\"", clip.Quote(d))
	}
	return nil
}

// checkOneDomain checks that all collections share one domain.
func checkOneDomain(op string, cs []*data.Collection, format string) error {
	for _, c := range cs[1:] {
		if c.Domain != cs[0].Domain {
			return werr(op, "collections of domains %s and %s: %s holds one domain; write each domain separately", clip.Quote(cs[0].Domain), clip.Quote(c.Domain), format)
		}
	}
	return nil
}

// checkPixelSet checks collections for a format of image files: valid,
// non-empty, pixels, square, of one size. It returns the size.
func checkPixelSet(op string, cs []*data.Collection, featAdvice string) (int, error) {
	if len(cs) == 0 {
		return 0, werr(op, "no collections to write")
	}
	size := 0
	for _, c := range cs {
		name := collName(c)
		if err := c.Validate(); err != nil {
			return 0, werr(op, "%w", err)
		}
		if !c.Images.IsPixels() {
			return 0, werr(op, "collection %s holds feature vectors, and this format holds image files; %s", name, featAdvice)
		}
		if c.Images.N == 0 {
			return 0, werr(op, "collection %s has no images; the loader returns no empty collections", name)
		}
		if c.Images.W != c.Images.H {
			return 0, werr(op, "collection %s has %d×%d images; the loader crops images to a centred square, so only square images come back unchanged", name, c.Images.W, c.Images.H)
		}
		if size == 0 {
			size = c.Images.W
		} else if c.Images.W != size {
			return 0, werr(op, "collections of %d×%d and %d×%d images: the loader reads all images at one size; scale them to one size first (data.Images.Scaled)", size, size, c.Images.W, c.Images.W)
		}
	}
	return size, nil
}

// checkTexts checks that the texts and short forms of c come back
// unchanged from a loader: valid UTF-8, not empty, without leading or
// trailing white space, and without "\r\n" (which CSV and TSV readers
// read as "\n") or, for line files, any line break.
func checkTexts(op string, c *data.Collection, noCRLF, oneLine bool) error {
	check := func(noun string, j int, s string) error {
		problem := ""
		switch {
		case !utf8.ValidString(s):
			problem = "is not valid UTF-8"
		case strings.TrimSpace(s) == "":
			problem = "is empty"
		case strings.TrimSpace(s) != s:
			problem = "has leading or trailing white space, which the loader drops"
		case oneLine && strings.ContainsAny(s, "\r\n"):
			problem = "holds a line break, and the format holds one per line"
		case oneLine && j == 0 && strings.HasPrefix(s, "\ufeff"):
			problem = "starts with a byte order mark, which the loader drops"
		case noCRLF && strings.Contains(s, "\r\n"):
			problem = "holds \"\\r\\n\", which the loader reads as \"\\n\""
		}
		if problem != "" {
			return werr(op, "collection %s: %s %d (%s) %s", collName(c), noun, j, clip.Quote(s), problem)
		}
		return nil
	}
	for j, t := range c.Texts {
		if err := check("text", j, t); err != nil {
			return err
		}
	}
	for j, s := range c.Short {
		if err := check("short form", j, s); err != nil {
			return err
		}
	}
	return nil
}

// textsByImage returns, for each image, the indices of its texts in text
// order.
func textsByImage(c *data.Collection) [][]int {
	out := make([][]int, c.Images.N)
	for j, i := range c.TextImage {
		out[i] = append(out[i], j)
	}
	return out
}

// tableOrder is the order of a collection's rows: its texts in order when
// they meet the images in order (so the loader, which numbers images by
// first appearance, keeps both orders), else its texts grouped by image.
func tableOrder(c *data.Collection) []int {
	next := 0
	for _, i := range c.TextImage {
		if i > next {
			return slices.Concat(textsByImage(c)...)
		}
		if i == next {
			next++
		}
	}
	out := make([]int, len(c.Texts))
	for j := range out {
		out[j] = j
	}
	return out
}

// namer makes safe, unique file names (without extension) from ids.
// Names are unique ignoring case, for case-insensitive file systems.
type namer struct{ used map[string]bool }

func newNamer() *namer { return &namer{used: map[string]bool{}} }

func (n *namer) name(id string) string {
	base := safeName(id)
	name := base
	for k := 2; n.used[strings.ToLower(name)]; k++ {
		name = base + "~" + strconv.Itoa(k)
	}
	n.used[strings.ToLower(name)] = true
	return name
}

// safeName reduces s to a file name of at most 100 bytes: ASCII letters,
// digits, '-', '_' and '.' are kept, other ASCII characters become '_',
// other characters u<hex code point>; an image extension is dropped.
func safeName(s string) string {
	switch strings.ToLower(slashpath.Ext(s)) {
	case ".png", ".jpg", ".jpeg", ".gif":
		s = s[:len(s)-len(slashpath.Ext(s))]
	}
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 100 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		case r < utf8.RuneSelf:
			b.WriteByte('_')
		default:
			fmt.Fprintf(&b, "u%x", r)
		}
	}
	name := b.String()
	stem, _, _ := strings.Cut(strings.ToUpper(name), ".")
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		name = "_" + name // reserved on Windows
	}
	if name == "" || name[0] == '.' {
		name = "_" + name
	}
	return name
}

// relSlash returns target relative to base, with forward slashes.
func relSlash(base, target string) (string, error) {
	ab, err := filepath.Abs(base)
	if err != nil {
		return "", err
	}
	at, err := filepath.Abs(target)
	if err != nil {
		return "", err
	}
	r, err := filepath.Rel(ab, at)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(r), nil
}

// writePNGs writes image i of cs[ci] to dir/files[ci][i], making folders.
func writePNGs(dir string, cs []*data.Collection, files [][]string) error {
	for ci, c := range cs {
		for i := range c.Images.N {
			p := filepath.Join(dir, filepath.FromSlash(files[ci][i]))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			m := c.Images.At(i) // *image.NRGBA: PNG keeps straight alpha, and the colour of transparent pixels
			if err := writeNewFile(p, func(w io.Writer) error { return png.Encode(w, m) }); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeNewFile creates the file p, which must not exist, writes it with
// write and syncs it.
func writeNewFile(p string, write func(io.Writer) error) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if err := writeAndClose(f, write); err != nil {
		os.Remove(p)
		return err
	}
	return nil
}

func writeAndClose(f *os.File, write func(io.Writer) error) error {
	err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeLines writes texts[j] for j in order, one per line.
func writeLines(w io.Writer, texts []string, order []int) error {
	bw := bufio.NewWriter(w)
	for _, j := range order {
		bw.WriteString(texts[j])
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// writeNpyF32 writes an n×d little-endian float32 .npy (format 1.0).
func writeNpyF32(w io.Writer, feat []float32, n, d int) error {
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", n, d)
	pad := (64 - (10+len(dict)+1)%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("\x93NUMPY\x01\x00")
	var b [4]byte
	binary.LittleEndian.PutUint16(b[:2], uint16(len(dict)))
	bw.Write(b[:2])
	bw.WriteString(dict)
	for _, v := range feat {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		bw.Write(b[:])
	}
	return bw.Flush()
}

// checkOutputs checks that the outputs do not exist and that their
// folders do.
func checkOutputs(op string, paths ...string) error {
	for i, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return werr(op, "%s already exists; remove it first, or choose another path: %w", p, fs.ErrExist)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return werr(op, "%w", err)
		}
		parent := filepath.Dir(p)
		if st, err := os.Stat(parent); err != nil || !st.IsDir() {
			return werr(op, "folder %s does not exist; create it first", parent)
		}
		for _, q := range paths[:i] {
			if a, b, err := absPair(p, q); err == nil && a == b {
				return werr(op, "the output and the image folder are both %s", p)
			}
		}
	}
	return nil
}

func absPair(a, b string) (string, string, error) {
	x, err := filepath.Abs(a)
	if err != nil {
		return "", "", err
	}
	y, err := filepath.Abs(b)
	return x, y, err
}

// publishDir renames the finished temporary folder tmp to dir, which must
// not exist (a rename would replace an empty folder).
func publishDir(op, tmp, dir string) error {
	if err := os.Chmod(tmp, 0o755); err != nil {
		return werr(op, "%w", err)
	}
	if _, err := os.Lstat(dir); err == nil {
		return werr(op, "%s already exists; remove it first, or choose another path: %w", dir, fs.ErrExist)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return werr(op, "%w", err)
	}
	return nil
}

// publishFile renames the finished temporary file tmp to p without
// replacing an existing p: by a hard link where the file system has
// them, else by checking just before the rename.
func publishFile(op, tmp, p string) error {
	if err := os.Chmod(tmp, 0o644); err != nil {
		return werr(op, "%w", err)
	}
	exists := werr(op, "%s already exists; remove it first, or choose another path: %w", p, fs.ErrExist)
	err := os.Link(tmp, p)
	switch {
	case err == nil:
		os.Remove(tmp)
		return nil
	case errors.Is(err, fs.ErrExist):
		return exists
	}
	if _, err := os.Lstat(p); err == nil {
		return exists
	}
	if err := os.Rename(tmp, p); err != nil {
		return werr(op, "%w", err)
	}
	return nil
}

// publishWithImages writes a main file and its folder of images, each
// under a temporary name beside its final one, then renames both into
// place; on any error it removes what it wrote.
func publishWithImages(op, mainPath, imageDir string, writeImages func(dir string) error, writeMain func(io.Writer) error) error {
	if err := checkOutputs(op, mainPath, imageDir); err != nil {
		return err
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(imageDir), "."+filepath.Base(imageDir)+".tmp-*")
	if err != nil {
		return werr(op, "%w", err)
	}
	dirDone, fileDone := false, false
	defer func() {
		if !dirDone {
			os.RemoveAll(tmpDir)
		}
	}()
	if err := writeImages(tmpDir); err != nil {
		return werr(op, "writing images: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(mainPath), "."+filepath.Base(mainPath)+".tmp-*")
	if err != nil {
		return werr(op, "%w", err)
	}
	tmpFile := f.Name()
	defer func() {
		if !fileDone {
			os.Remove(tmpFile)
		}
	}()
	if err := writeAndClose(f, writeMain); err != nil {
		return werr(op, "%w", err)
	}
	if err := hook("publish"); err != nil {
		return werr(op, "%w", err)
	}
	if err := publishDir(op, tmpDir, imageDir); err != nil {
		return err
	}
	dirDone = true
	if err := hook("publish-main"); err != nil {
		os.RemoveAll(imageDir)
		return werr(op, "%w", err)
	}
	if err := publishFile(op, tmpFile, mainPath); err != nil {
		os.RemoveAll(imageDir)
		return err
	}
	fileDone = true
	return nil
}
