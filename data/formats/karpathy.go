package formats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"aeir/data"
	"aeir/internal/clip"
)

// LoadKarpathy loads a Karpathy-style dataset_*.json (the split files of
// Flickr8K, Flickr30K and MS-COCO) with its images: each image is read
// from imageDir/filepath/filename (imageDir/filename when filepath is
// absent; imageDir "" means the JSON's folder), its centred square is
// cropped and resized to size×size. Splits train and restval become
// "train", val "val", test "test"; collections come in that order, empty
// ones left out. The domain is the JSON's "dataset" field, else the name
// after "dataset_"; image ids are filepath/filename. The project's
// optional "short" field of a sentence, its short form, becomes
// Collection.Short; when one sentence of the file has one, every sentence
// must.
func LoadKarpathy(jsonPath, imageDir string, size int) ([]*data.Collection, error) {
	return loadKarpathy(jsonPath, imageDir, "", size, DefaultLimits())
}

func loadKarpathy(jsonPath, imageDir, domain string, size int, lim *Limits) ([]*data.Collection, error) {
	if err := checkSize(size, lim); err != nil {
		return nil, err
	}
	b, err := readAll(jsonPath, lim.MaxFileBytes, "give the path of a Karpathy dataset_*.json file")
	if err != nil {
		return nil, err
	}
	kf, err := parseKarpathy(jsonPath, b, lim)
	if err != nil {
		return nil, err
	}
	if domain == "" {
		domain = kf.dataset
	}
	if domain == "" {
		base := strings.TrimSuffix(filepath.Base(jsonPath), filepath.Ext(jsonPath))
		domain = strings.TrimPrefix(base, "dataset_")
	}
	if domain == "" {
		domain = "karpathy"
	}
	if imageDir == "" {
		imageDir = filepath.Dir(jsonPath)
	}
	return buildKarpathy(jsonPath, kf, domain, imageDir, readDisk, size, lim)
}

// kpImage and kpSentence are the fields of a Karpathy file this package
// reads; other fields (cocoid, tokens' ids...) are ignored.
type kpImage struct {
	Filename  *string      `json:"filename"`
	Filepath  string       `json:"filepath"`
	Split     *string      `json:"split"`
	Imgid     *int64       `json:"imgid"`
	Sentids   []int64      `json:"sentids"`
	Sentences []kpSentence `json:"sentences"`
}

type kpSentence struct {
	Raw    string   `json:"raw"`
	Tokens []string `json:"tokens"`
	Imgid  *int64   `json:"imgid"`
	Sentid *int64   `json:"sentid"`
	Short  *string  `json:"short"`
}

// kpEntry is one checked image of a Karpathy file.
type kpEntry struct {
	line  int    // line where the image's object starts
	index int    // position in images[]
	id    string // filepath/filename
	split string
	texts []string
	short []string // one per text, "" when absent
}

type kpFile struct {
	dataset  string
	entries  []kpEntry
	hasShort bool // every sentence has a short form
}

func (e *kpEntry) where() string {
	if e.id == "" {
		return fmt.Sprintf("images[%d]", e.index)
	}
	return fmt.Sprintf("images[%d] (%s)", e.index, clip.Quote(e.id))
}

// parseKarpathy parses and checks a Karpathy JSON document: UTF-8
// throughout; an object with an "images" array; every image with a
// filename, a known split and at least one sentence with text (raw, or
// tokens joined by spaces when raw is empty); imgid, sentid and file name
// unique; sentence imgids matching their image's; sentids listing exactly
// the image's sentences.
func parseKarpathy(name string, b []byte, lim *Limits) (*kpFile, error) {
	if err := checkEncoding(name, b[:min(len(b), headBytes)], false); err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		off := 0
		for off < len(b) {
			r, n := utf8.DecodeRune(b[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, &Error{File: name, Line: lineOf(b, int64(off)), Problem: "file is not valid UTF-8", Fix: "save the file as UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	// valueStart is the offset of the value the decoder reads next.
	valueStart := func() int64 {
		off := dec.InputOffset()
		for off < int64(len(b)) && strings.IndexByte(" \t\r\n,:", b[off]) >= 0 {
			off++
		}
		return off
	}
	// jsonErr locates a decoding error; start is the offset of the value
	// being decoded, as type errors are relative to it.
	jsonErr := func(err error, what string, start int64) *Error {
		off := dec.InputOffset()
		problem := "invalid JSON"
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = start + te.Offset
			problem = "wrong JSON type"
			err = typeError(te)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			err = errors.New("unexpected end of file")
			off = int64(len(b))
		}
		return &Error{File: name, Line: lineOf(b, off), Where: what, Problem: problem, Err: err,
			Fix: "a Karpathy file is {\"images\": [{\"filename\": ..., \"split\": ..., \"sentences\": [{\"raw\": ...}]}]}"}
	}
	shape := func(line int, problem string) *Error {
		return &Error{File: name, Line: line, Problem: problem,
			Fix: "a Karpathy file is {\"images\": [{\"filename\": ..., \"split\": ..., \"sentences\": [{\"raw\": ...}]}]}"}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(err, "", 0)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, shape(lineOf(b, dec.InputOffset()), "document is not a JSON object")
	}
	kf := &kpFile{}
	sawImages := false
	imgids := map[int64]int{}  // imgid → index into kf.entries
	sentids := map[int64]int{} // sentid → index into kf.entries
	files := map[string]int{}  // id → index into kf.entries
	nTexts := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonErr(err, "", 0)
		}
		key, _ := tok.(string)
		switch key {
		case "dataset":
			var s *string
			start := valueStart()
			if err := dec.Decode(&s); err != nil {
				return nil, jsonErr(err, "dataset", start)
			}
			if s != nil {
				kf.dataset = strings.TrimSpace(*s)
			}
		case "images":
			if sawImages {
				return nil, shape(lineOf(b, dec.InputOffset()), "key \"images\" given twice")
			}
			sawImages = true
			tok, err := dec.Token()
			if err != nil {
				return nil, jsonErr(err, "images", 0)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return nil, shape(lineOf(b, dec.InputOffset()), "\"images\" is not an array")
			}
			for i := 0; dec.More(); i++ {
				start := valueStart()
				line := lineOf(b, start)
				where := fmt.Sprintf("images[%d]", i)
				if i >= lim.MaxImages {
					return nil, &Error{File: name, Line: line, Where: where, Problem: fmt.Sprintf("more than %d images", lim.MaxImages), Fix: "raise Limits.MaxImages if the file is what you meant to load"}
				}
				var im kpImage
				if err := dec.Decode(&im); err != nil {
					return nil, jsonErr(err, where, start)
				}
				e, err := checkKpImage(name, line, i, &im, lim.MaxTexts-nTexts, imgids, sentids, files, kf.entries)
				if err != nil {
					return nil, err
				}
				nTexts += len(e.texts)
				kf.entries = append(kf.entries, e)
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonErr(err, "images", 0)
			}
		default:
			var skip json.RawMessage
			start := valueStart()
			if err := dec.Decode(&skip); err != nil {
				return nil, jsonErr(err, key, start)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, jsonErr(err, "", 0)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, shape(lineOf(b, dec.InputOffset()), "unexpected data after the JSON object")
	}
	if !sawImages {
		return nil, shape(0, "no \"images\" array")
	}
	if len(kf.entries) == 0 {
		return nil, shape(0, "\"images\" is empty")
	}
	if err := checkKpShort(name, kf); err != nil {
		return nil, err
	}
	return kf, nil
}

// checkKpShort checks that when one sentence has a short form every
// sentence has; the error names the first sentence without one.
func checkKpShort(name string, kf *kpFile) error {
	var first *kpEntry
	for i := range kf.entries {
		if slices.ContainsFunc(kf.entries[i].short, func(s string) bool { return s != "" }) {
			first = &kf.entries[i]
			break
		}
	}
	if first == nil {
		return nil
	}
	for i := range kf.entries {
		e := &kf.entries[i]
		for k, s := range e.short {
			if s == "" {
				return &Error{File: name, Line: e.line, Where: e.where(),
					Problem: fmt.Sprintf("sentences[%d]: no \"short\" form, but %s on line %d has one", k, first.where(), first.line),
					Fix:     "give every sentence of the file a short form, or none"}
			}
		}
	}
	kf.hasShort = true
	return nil
}

// checkKpImage checks one image of a Karpathy file against itself and the
// images before it, and records its ids.
func checkKpImage(name string, line, index int, im *kpImage, textBudget int, imgids, sentids map[int64]int, files map[string]int, prev []kpEntry) (kpEntry, error) {
	e := kpEntry{line: line, index: index}
	fail := func(problem, fix string) (kpEntry, error) {
		return kpEntry{}, &Error{File: name, Line: line, Where: e.where(), Problem: problem, Fix: fix}
	}
	if im.Filename == nil || strings.TrimSpace(*im.Filename) == "" {
		return fail("no \"filename\"", "every image needs the name of its file")
	}
	fn, fp := strings.TrimSpace(*im.Filename), strings.TrimSpace(im.Filepath)
	if p := nulProblem("file name", fp+fn); p != "" {
		return fail(p, "fix the file name")
	}
	for _, part := range []string{fp, fn, path.Join(filepath.ToSlash(fp), filepath.ToSlash(fn))} {
		if p := imagePathProblem(part); part != "" && p != "" {
			return fail(p, imagePathFix)
		}
	}
	e.id = path.Clean(filepath.ToSlash(path.Join(fp, fn)))
	if j, ok := files[e.id]; ok {
		return fail(fmt.Sprintf("same file as %s on line %d", prev[j].where(), prev[j].line), "list every image once")
	}
	if im.Split == nil {
		return fail("no \"split\"", "give every image a split: train, restval, val or test")
	}
	split, ok := normSplit(*im.Split)
	if !ok || split == "" {
		return fail(fmt.Sprintf("unknown split %s", clip.Quote(*im.Split)), "use train, restval, val or test")
	}
	e.split = split
	if im.Imgid != nil {
		if j, ok := imgids[*im.Imgid]; ok {
			return fail(fmt.Sprintf("imgid %d already used by %s on line %d", *im.Imgid, prev[j].where(), prev[j].line), "image ids must be unique")
		}
	}
	if len(im.Sentences) == 0 {
		return fail("no sentences", "every image needs at least one sentence")
	}
	if len(im.Sentences) > textBudget {
		return fail("too many sentences in the file", "raise Limits.MaxTexts if the file is what you meant to load")
	}
	var listed map[int64]bool
	if im.Sentids != nil {
		listed = make(map[int64]bool, len(im.Sentids))
		for _, s := range im.Sentids {
			if listed[s] {
				return fail(fmt.Sprintf("sentids lists %d twice", s), "sentence ids must be unique")
			}
			listed[s] = true
		}
		if len(im.Sentids) != len(im.Sentences) {
			return fail(fmt.Sprintf("sentids lists %d ids for %d sentences", len(im.Sentids), len(im.Sentences)), "sentids must list the ids of the image's sentences")
		}
	}
	mine := map[int64]bool{}
	for k, s := range im.Sentences {
		sw := fmt.Sprintf("sentences[%d]: ", k)
		text := s.Raw
		if strings.TrimSpace(text) == "" && len(s.Tokens) > 0 {
			text = strings.Join(s.Tokens, " ")
		}
		t, problem, fix := checkText(text, "sentence", "sentence")
		if t == "" && problem == "sentence is empty" {
			problem, fix = "sentence has no text in raw or tokens", "give every sentence its text in raw"
		}
		if problem != "" {
			return fail(sw+problem, fix)
		}
		if s.Imgid != nil && im.Imgid != nil && *s.Imgid != *im.Imgid {
			return fail(fmt.Sprintf("%simgid %d differs from the image's imgid %d", sw, *s.Imgid, *im.Imgid), "a sentence's imgid must be its image's")
		}
		if s.Sentid != nil {
			id := *s.Sentid
			if j, ok := sentids[id]; ok {
				return fail(fmt.Sprintf("%ssentid %d already used by %s on line %d", sw, id, prev[j].where(), prev[j].line), "sentence ids must be unique")
			}
			if mine[id] {
				return fail(fmt.Sprintf("%ssentid %d used twice in this image", sw, id), "sentence ids must be unique")
			}
			mine[id] = true
			if listed != nil && !listed[id] {
				return fail(fmt.Sprintf("%ssentid %d is not in the image's sentids", sw, id), "sentids must list the ids of the image's sentences")
			}
		}
		e.texts = append(e.texts, t)
		short := ""
		if s.Short != nil {
			short = strings.TrimSpace(*s.Short)
		}
		e.short = append(e.short, short)
	}
	n := len(prev)
	files[e.id] = n
	if im.Imgid != nil {
		imgids[*im.Imgid] = n
	}
	for id := range mine {
		sentids[id] = n
	}
	return e, nil
}

// buildKarpathy decodes the images of a checked Karpathy file into one
// collection per split.
func buildKarpathy(name string, kf *kpFile, domain, imageDir string, read readFunc, size int, lim *Limits) ([]*data.Collection, error) {
	if err := pixelBudget(name, len(kf.entries), size, lim); err != nil {
		return nil, err
	}
	var out []*data.Collection
	sz := size * size * 4
	dst := make([][]uint8, len(kf.entries)) // entry's pixels
	for _, split := range []string{splitTrain, splitVal, splitTest} {
		n := 0
		for i := range kf.entries {
			if kf.entries[i].split == split {
				n++
			}
		}
		if n == 0 {
			continue
		}
		c := &data.Collection{
			Domain: domain,
			Split:  split,
			Images: &data.Images{N: n, W: size, H: size, Pix: make([]uint8, n*sz)},
		}
		for i := range kf.entries {
			e := &kf.entries[i]
			if e.split != split {
				continue
			}
			k := len(c.ImageIDs)
			c.ImageIDs = append(c.ImageIDs, e.id)
			for _, t := range e.texts {
				c.Texts = append(c.Texts, t)
				c.TextImage = append(c.TextImage, k)
			}
			if kf.hasShort {
				c.Short = append(c.Short, e.short...)
			}
			dst[i] = c.Images.Pix[k*sz : (k+1)*sz]
		}
		out = append(out, c)
	}
	// Decode in file order, so the error reported is the first in the file.
	jobs := make([]imgJob, len(kf.entries))
	for i := range kf.entries {
		e := &kf.entries[i]
		jobs[i] = imgJob{
			path:    filepath.Join(imageDir, filepath.FromSlash(e.id)),
			dst:     [][]uint8{dst[i]},
			missing: fmt.Sprintf("image paths are imageDir/filepath/filename, with imageDir %s", imageDir),
			fail: func(problem, fix string, err error) *Error {
				return &Error{File: name, Line: e.line, Where: e.where(), Problem: problem, Fix: fix, Err: err}
			},
		}
	}
	if err := decodeAll(jobs, read, size, lim); err != nil {
		return nil, err
	}
	for _, c := range out {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return out, nil
}

// typeError rephrases a JSON type error without Go type names.
func typeError(te *json.UnmarshalTypeError) error {
	want := "a different type"
	if te.Type != nil {
		switch te.Type.Kind() {
		case reflect.String:
			want = "a string"
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			want = "an integer"
		case reflect.Slice, reflect.Array:
			want = "an array"
		case reflect.Struct, reflect.Map:
			want = "an object"
		case reflect.Pointer:
			want = "a " + te.Type.Elem().Kind().String()
		}
	}
	if te.Field == "" {
		return fmt.Errorf("found a JSON %s where %s is expected", te.Value, want)
	}
	return fmt.Errorf("field %q holds a JSON %s where %s is expected", te.Field, te.Value, want)
}
