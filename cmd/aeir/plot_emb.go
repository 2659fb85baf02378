package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/gif" // thumbnails
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"gonum.org/v1/plot/vg"

	"aeir/data"
	"aeir/data/formats"
	"aeir/internal/clip"
	"aeir/plots"
	"aeir/tsne"
)

// plotEmbOptions control plotTSNEFromFiles. defaultPlotEmbOptions
// returns the values plot tsne uses for its own figure; a zero field
// marked "0:" below takes that default as well.
type plotEmbOptions struct {
	// Title is printed above the map; empty prints none.
	Title string
	// Caption is printed under the map.
	Caption string
	// Perplexity of the t-SNE; 0: plot tsne's 30, lowered to (N−1)/3
	// for maps of fewer than 91 points. A perplexity given explicitly
	// must be below the number N of points mapped.
	Perplexity float64
	// Theta is the Barnes–Hut opening angle; 0 is exact repulsion (slow
	// for many points), 0.5 plot tsne's default.
	Theta float64
	// Iters is the number of t-SNE iterations; 0: 1000. As in plot tsne,
	// early exaggeration lasts min(250, Iters/2) of them.
	Iters int
	// Seed fixes the drawing order, the choice of thumbnails and the
	// sample of MaxPoints rows. The t-SNE itself starts from PCA and is
	// deterministic.
	Seed uint64
	// MaxPoints bounds the points mapped; 0: 10000. With more rows, a
	// random sample of MaxPoints rows (by Seed) is mapped.
	MaxPoints int
	// Thumbs is the number of image rows drawn as their picture (from
	// M.csv's image column); 0 draws none and reads no image file.
	Thumbs int
	// Raw maps the rows of E.npy as they are; by default each row is
	// L2-normalised first, as the model's and CCA's embeddings are in
	// plot tsne's figure (they end in an L2 norm).
	Raw bool
	// Width and Height of the figure; 0: 3.5 in × 3.9 in (one column).
	Width, Height vg.Length
	// Log receives progress lines (as plot tsne prints them); nil is
	// silent.
	Log io.Writer
}

// defaultPlotEmbOptions are plot tsne's defaults: perplexity 30 (as 0,
// so that it is lowered for small maps), θ 0.5, 1000 iterations, seed 1,
// 16 thumbnails, at most 10000 points.
func defaultPlotEmbOptions() plotEmbOptions {
	return plotEmbOptions{Perplexity: 0, Theta: 0.5, Iters: 1000, Seed: 1, MaxPoints: defaultMaxPoints, Thumbs: 16}
}

// Bounds of the inputs of plotTSNEFromFiles.
const (
	maxEmbDomains    = 8         // len(plots.OkabeIto): one distinct colour each
	maxMetaBytes     = 256 << 20 // M.csv
	maxThumbBytes    = 32 << 20  // one thumbnail file
	maxThumbSide     = 8192      // width or height of a thumbnail file
	maxThumbPixels   = 32 << 20  // width × height of a thumbnail file
	thumbTile        = 96        // thumbnails are kept at most this many pixels square
	defaultMaxPoints = 10000
)

// embRow is one data row of M.csv.
type embRow struct {
	line   int // 1-based line in M.csv
	domain string
	mod    plots.Modality
	image  string // thumbnail path as written, "" for none (always "" for text rows)
}

// plotTSNEFromFiles draws the t-SNE map of plot tsne's figure, one panel
// (the "after" map), from embeddings computed elsewhere:
//
//   - embPath, a .npy file of N×D float32 or float64 values (2-D, every
//     value finite), one embedding per row;
//   - metaPath, a CSV file with a header and exactly N data rows, row i
//     describing row i of the array. Columns, in any order, by name
//     (case-insensitive; others are ignored): domain (the legend label,
//     e.g. "source twemoji/en"; colours follow the order in which
//     domains first appear, so list the source first for plot tsne's
//     blue source and vermillion target; at most 8 domains), modality
//     (image, or text — sentence is also accepted), label (the item's
//     concept; required but not drawn) and, optionally, image: the path
//     of a PNG, JPEG or GIF picture of an image row, relative to the
//     CSV's folder, drawn as a thumbnail (an empty cell draws none; the
//     column is ignored on text rows).
//
// Like plot tsne, it maps all rows jointly with the tsne package under
// tsne.Defaults() with opt's perplexity, θ and iterations, and draws
// them with plots.MapFigure: colour by domain, marker by modality (circle
// image, triangle text), the same legend and thumbnails. Each row is
// L2-normalised first unless opt.Raw (a zero row stays zero), as the
// figure's model embeddings are. The same files and options give the
// same figure, byte for byte.
//
// Errors name the file and its line (M.csv) or row and column (E.npy),
// and say what to do.
func plotTSNEFromFiles(embPath, metaPath string, opt plotEmbOptions) (*plots.Figure, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	vecs, n, d, err := formats.ReadNPY(embPath, nil)
	if err != nil {
		return nil, err
	}
	if n < 2 {
		return nil, &formats.Error{File: embPath, Problem: fmt.Sprintf("%d row: a map needs at least 2 points", n), Fix: "save more embeddings"}
	}
	rows, err := readEmbMeta(metaPath, embPath, n)
	if err != nil {
		return nil, err
	}

	// the rows to map: all, or a seeded sample in file order
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	maxPts := opt.MaxPoints
	if maxPts == 0 {
		maxPts = defaultMaxPoints
	}
	if n > maxPts {
		rng := rand.New(rand.NewPCG(opt.Seed, 0x5a3b1e))
		idx = rng.Perm(n)[:maxPts]
		slices.Sort(idx)
	}
	m := len(idx)

	var thumbs map[int]image.Image
	if opt.Thumbs > 0 {
		if thumbs, err = loadEmbThumbs(metaPath, rows, idx, opt); err != nil {
			return nil, err
		}
	}

	tso := tsne.Defaults()
	tso.Theta = opt.Theta
	if opt.Iters > 0 {
		tso.Iters = opt.Iters
	}
	tso.ExaggerationIters = min(tso.ExaggerationIters, tso.Iters/2)
	switch {
	case opt.Perplexity == 0:
		tso.Perplexity = min(tso.Perplexity, float64(m-1)/3)
	case opt.Perplexity >= float64(m):
		return nil, fmt.Errorf("perplexity %v is not below the %d points mapped from %s: give a smaller perplexity (about N/3 or less; 0 chooses one)", opt.Perplexity, m, embPath)
	default:
		tso.Perplexity = opt.Perplexity
	}

	// groups: domains in order of first appearance in M.csv (MapFigure
	// colours them in this order), images before texts
	var domains []string
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.domain] {
			seen[r.domain] = true
			domains = append(domains, r.domain)
		}
	}
	type key struct {
		domain string
		mod    plots.Modality
	}
	members := map[key][]int{}
	for _, i := range idx {
		k := key{rows[i].domain, rows[i].mod}
		members[k] = append(members[k], i)
	}
	var groups []plots.Embeddings
	for _, dom := range domains {
		for _, mod := range []plots.Modality{plots.Image, plots.Sentence} {
			ids := members[key{dom, mod}]
			if len(ids) == 0 {
				continue
			}
			g := plots.Embeddings{Domain: dom, Modality: mod, Dim: d, Vecs: make([]float32, 0, len(ids)*d)}
			var th []image.Image
			hasThumb := false
			for _, i := range ids {
				v := vecs[i*d : (i+1)*d]
				if !opt.Raw {
					v = unitRow(v)
				}
				g.Vecs = append(g.Vecs, v...)
				t := thumbs[i]
				th = append(th, t)
				hasThumb = hasThumb || t != nil
			}
			if hasThumb {
				g.Thumbs = th
			}
			groups = append(groups, g)
		}
	}

	if allEqual(groups, d) {
		return nil, &formats.Error{File: embPath, Problem: fmt.Sprintf("the %d rows mapped are all the same vector, so the map would show nothing", m),
			Fix: "check the embeddings were saved from the model's output (a collapsed model gives this)"}
	}
	if opt.Log != nil {
		sample := ""
		if m < n {
			sample = fmt.Sprintf(", sampled from %d rows", n)
		}
		fmt.Fprintf(opt.Log, "t-SNE of %d points of %s (%d domains%s)…\n", m, embPath, len(domains), sample)
	}
	p, err := plots.Map(opt.Title, groups, tso)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", embPath, err)
	}
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, "  KL %.3f\n", p.KL)
	}
	w, h := opt.Width, opt.Height
	if w == 0 {
		w = plots.SingleColumn
	}
	if h == 0 {
		h = 3.9 * vg.Inch
	}
	return plots.MapFigure([]plots.MapPanel{p}, plots.MapOptions{Width: w, Height: h, Thumbs: opt.Thumbs, Seed: opt.Seed, Caption: opt.Caption})
}

// check rejects options no map can be drawn with.
func (o plotEmbOptions) check() error {
	switch {
	case math.IsNaN(o.Perplexity) || math.IsInf(o.Perplexity, 0) || o.Perplexity < 0:
		return fmt.Errorf("perplexity %v: want a positive number (0 for the default)", o.Perplexity)
	case math.IsNaN(o.Theta) || o.Theta < 0 || o.Theta > 2:
		return fmt.Errorf("theta %v: want 0…2 (0.5 is usual, 0 exact)", o.Theta)
	case o.Iters < 0 || o.Iters > 1_000_000:
		return fmt.Errorf("%d iterations: want 1…1000000 (0 for the default 1000)", o.Iters)
	case o.MaxPoints < 0 || o.MaxPoints == 1:
		return fmt.Errorf("at most %d points: want at least 2 (0 for the default %d)", o.MaxPoints, defaultMaxPoints)
	case o.Thumbs < 0 || o.Thumbs > 10000:
		return fmt.Errorf("%d thumbnails: want 0…10000", o.Thumbs)
	case o.Width < 0 || o.Height < 0 || o.Width > 40*vg.Inch || o.Height > 40*vg.Inch:
		return fmt.Errorf("figure size %v × %v: want up to 40 in (0 for the default)", o.Width, o.Height)
	}
	return nil
}

// allEqual says whether every vector of the groups is the same.
func allEqual(groups []plots.Embeddings, d int) bool {
	first := groups[0].Vecs[:d]
	for _, g := range groups {
		for i := 0; i < len(g.Vecs); i += d {
			if !slices.Equal(g.Vecs[i:i+d], first) {
				return false
			}
		}
	}
	return true
}

// unitRow returns v scaled to unit length (computed in float64), or v
// itself if it is zero.
func unitRow(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return v
	}
	k := 1 / math.Sqrt(s)
	out := make([]float32, len(v))
	for j, x := range v {
		out[j] = float32(float64(x) * k)
	}
	return out
}

// openRegular opens path, a regular file (formats.OpenRegular: a named
// pipe or a device is refused before it is opened) of at most max bytes.
func openRegular(path, fix string, max int64) (*os.File, error) {
	f, st, err := formats.OpenRegular(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &formats.Error{File: path, Problem: "file does not exist", Fix: fix}
	case err != nil:
		return nil, &formats.Error{File: path, Problem: "cannot read file", Err: err, Fix: fix}
	case st.Size() > max:
		f.Close()
		return nil, &formats.Error{File: path, Problem: fmt.Sprintf("file has %d bytes, more than the limit of %d", st.Size(), max), Fix: fix}
	}
	return f, nil
}

// readEmbMeta reads M.csv, which must describe the n rows of embPath.
func readEmbMeta(path, embPath string, n int) ([]embRow, error) {
	const layout = "M.csv needs a header line with the columns domain, modality and label (image optional), then one line per row of the embeddings, in their order"
	f, err := openRegular(path, layout, maxMetaBytes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(io.LimitReader(f, maxMetaBytes))
	cr.ReuseRecord = true
	csvErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			fix := "quote a field that holds a comma or a quote (\"a, b\"), doubling inner quotes"
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				fix = "every line needs as many fields as the header"
			}
			return &formats.Error{File: path, Line: pe.Line, Problem: pe.Err.Error(), Fix: fix}
		}
		return &formats.Error{File: path, Problem: "cannot read file", Err: err}
	}
	head, err := cr.Read()
	if err == io.EOF {
		return nil, &formats.Error{File: path, Problem: "file is empty", Fix: layout}
	}
	if err != nil {
		return nil, csvErr(err)
	}
	col := map[string]int{}
	for i, h := range head {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "domain", "modality", "label", "image":
			if _, dup := col[h]; dup {
				return nil, &formats.Error{File: path, Line: 1, Problem: fmt.Sprintf("column %q appears twice", h), Fix: "keep one"}
			}
			col[h] = i
		}
	}
	for _, c := range []string{"domain", "modality", "label"} {
		if _, ok := col[c]; !ok {
			return nil, &formats.Error{File: path, Line: 1, Problem: fmt.Sprintf("no %q column in the header %q", c, clip.String(strings.Join(head, ","), 120)), Fix: layout}
		}
	}
	imgCol, hasImg := col["image"]
	var rows []embRow
	domains := map[string]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rows) == n {
			// count the rest, for the message
			extra := 1
			for {
				if _, err := cr.Read(); err == io.EOF {
					break
				} else if err != nil {
					return nil, csvErr(err)
				}
				extra++
			}
			return nil, countError(embPath, path, n, n+extra)
		}
		bad := func(problem, fix string) error {
			return &formats.Error{File: path, Line: line, Problem: problem, Fix: fix}
		}
		r := embRow{line: line, domain: strings.TrimSpace(rec[col["domain"]])}
		switch {
		case r.domain == "":
			return nil, bad("domain is empty", "name the row's domain, e.g. source twemoji/en")
		case !utf8.ValidString(r.domain) || strings.ContainsFunc(r.domain, unicode.IsControl):
			return nil, bad(fmt.Sprintf("domain %q is not printable text", clip.String(r.domain, 40)), "name the domain in UTF-8 text")
		case utf8.RuneCountInString(r.domain) > 60:
			return nil, bad(fmt.Sprintf("domain %q is longer than 60 characters", clip.String(r.domain, 40)), "it is a legend label: shorten it")
		}
		if !domains[r.domain] {
			if len(domains) == maxEmbDomains {
				return nil, bad(fmt.Sprintf("domain %q is the %dth: at most %d domains get distinct colours", r.domain, maxEmbDomains+1, maxEmbDomains),
					"map fewer domains, or merge some")
			}
			domains[r.domain] = true
		}
		switch mod := strings.ToLower(strings.TrimSpace(rec[col["modality"]])); mod {
		case "image":
			r.mod = plots.Image
		case "text", "sentence":
			r.mod = plots.Sentence
		default:
			return nil, bad(fmt.Sprintf("modality %q: want image or text", clip.String(mod, 40)), "write image for a picture's embedding, text (or sentence) for a sentence's")
		}
		if hasImg && r.mod == plots.Image {
			r.image = strings.TrimSpace(rec[imgCol])
		}
		rows = append(rows, r)
	}
	if len(rows) != n {
		return nil, countError(embPath, path, n, len(rows))
	}
	return rows, nil
}

func countError(embPath, metaPath string, n, m int) error {
	return &formats.Error{File: metaPath, Problem: fmt.Sprintf("%s has %d rows, %s has %d data rows", embPath, n, metaPath, m),
		Fix: fmt.Sprintf("write one line per row of %s, in the same order, after the header", filepath.Base(embPath))}
}

// loadEmbThumbs checks the thumbnail of every image row that names one
// (the file exists, is a PNG, JPEG or GIF of sensible size) and decodes
// those of a seeded sample of the mapped rows, enough for MapFigure to
// pick opt.Thumbs spread-apart ones from. It returns them by row.
func loadEmbThumbs(metaPath string, rows []embRow, idx []int, opt plotEmbOptions) (map[int]image.Image, error) {
	dir := filepath.Dir(metaPath)
	resolve := func(p string) string {
		p = filepath.FromSlash(p)
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	checked := map[string]error{}
	for _, r := range rows {
		if r.image == "" {
			continue
		}
		p := resolve(r.image)
		err, done := checked[p]
		if !done {
			err = checkThumb(p)
			checked[p] = err
		}
		if err != nil {
			return nil, &formats.Error{File: metaPath, Line: r.line, Problem: fmt.Sprintf("image %q: %v", clip.String(r.image, 80), err),
				Fix: fmt.Sprintf("image paths are relative to the CSV's folder (%s); give a PNG, JPEG or GIF file, or leave the cell empty for no thumbnail", dir)}
		}
	}
	var cand []int
	for _, i := range idx {
		if rows[i].image != "" {
			cand = append(cand, i)
		}
	}
	if k := max(512, 32*opt.Thumbs); len(cand) > k {
		rng := rand.New(rand.NewPCG(opt.Seed, 0x7d6b))
		rng.Shuffle(len(cand), func(a, b int) { cand[a], cand[b] = cand[b], cand[a] })
		cand = cand[:k]
	}
	out := map[int]image.Image{}
	byPath := map[string]image.Image{}
	for _, i := range cand {
		p := resolve(rows[i].image)
		im, ok := byPath[p]
		if !ok {
			var err error
			if im, err = decodeThumb(p); err != nil {
				return nil, &formats.Error{File: metaPath, Line: rows[i].line, Problem: fmt.Sprintf("image %q: %v", clip.String(rows[i].image, 80), err),
					Fix: "give a PNG, JPEG or GIF file that opens in an image viewer, or leave the cell empty"}
			}
			byPath[p] = im
		}
		out[i] = im
	}
	return out, nil
}

// checkThumb checks a thumbnail file from its header alone.
func checkThumb(p string) error {
	f, err := openThumb(p)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(io.LimitReader(f, maxThumbBytes))
	if err != nil {
		return fmt.Errorf("%s is not a PNG, JPEG or GIF image (%v)", p, err)
	}
	switch format {
	case "png", "jpeg", "gif":
	default:
		return fmt.Errorf("%s is a %s image, not PNG, JPEG or GIF", p, format)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxThumbSide || cfg.Height > maxThumbSide || int64(cfg.Width)*int64(cfg.Height) > maxThumbPixels {
		return fmt.Errorf("%s is %d×%d pixels: want 1…%d a side and at most %d pixels", p, cfg.Width, cfg.Height, maxThumbSide, maxThumbPixels)
	}
	return nil
}

// openThumb opens a thumbnail file if it is a regular file (named pipes
// and devices are refused before opening: formats.OpenRegular) of at
// most maxThumbBytes.
func openThumb(p string) (*os.File, error) {
	f, st, err := formats.OpenRegular(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("file %s does not exist", p)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", p, err)
	case st.Size() > maxThumbBytes:
		f.Close()
		return nil, fmt.Errorf("%s has %d bytes, more than the limit of %d", p, st.Size(), maxThumbBytes)
	}
	return f, nil
}

// decodeThumb decodes a checked thumbnail file and fits it, aspect kept,
// into a transparent square of at most thumbTile pixels (data.Resize
// streams the rows, so a large photo costs its decoded size only).
func decodeThumb(p string) (im image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			im, err = nil, fmt.Errorf("%s cannot be decoded: %v", p, r)
		}
	}()
	f, err := openThumb(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, _, err := image.Decode(io.LimitReader(f, maxThumbBytes))
	if err != nil {
		return nil, fmt.Errorf("%s cannot be decoded: %v", p, err)
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 {
		return nil, fmt.Errorf("%s has no pixels", p)
	}
	if s := max(w, h); s > thumbTile {
		w, h = max(1, int(math.Round(float64(w)*thumbTile/float64(s)))), max(1, int(math.Round(float64(h)*thumbTile/float64(s))))
		src = data.Resize(src, w, h)
	}
	side := max(w, h)
	dst := image.NewNRGBA(image.Rect(0, 0, side, side))
	off := image.Pt((side-w)/2, (side-h)/2)
	draw.Draw(dst, image.Rectangle{Min: off, Max: off.Add(image.Pt(w, h))}, src, src.Bounds().Min, draw.Src)
	return dst, nil
}
