package formats

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // register decoders for image.Decode
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"aeir/data"
)

// readFunc returns the bytes of the image file at path, failing with
// fs.ErrNotExist when it is missing, errTooBig when it is larger than
// max and errNotRegular when it is not a regular file. Loaders read from
// disk; tests and fuzz targets from memory.
type readFunc func(path string, max int64) ([]byte, error)

func readDisk(path string, max int64) ([]byte, error) {
	f, st, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > max {
		return nil, errTooBig
	}
	// room for the whole file, so that the buffer is not regrown
	buf := bytes.NewBuffer(make([]byte, 0, st.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(&limitReader{r: f, n: max}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeImage decodes a PNG, JPEG or GIF (its first frame), crops the
// centred square of side min(W, H), resizes it to size×size by area
// averaging and returns the size×size×4 NRGBA bytes, the same bytes as
// data.Resize of the crop. An image that is already size×size is
// returned as decoded (converted to NRGBA), not resized: data.Resize
// would zero the colour of its fully transparent pixels. The dimensions
// and the estimated memory are checked against the limits before any
// pixel is decoded. Errors are plain; the caller names the file and the
// row.
func decodeImage(b []byte, size int, lim *Limits) ([]uint8, error) {
	cfg, _, err := inspectImage(b, size, lim)
	if err != nil {
		return nil, err
	}
	return decodeInspected(b, cfg, size, lim)
}

// inspectImage reads the header of the image b, checks its dimensions
// and its estimated decoding cost against lim and returns both.
func inspectImage(b []byte, size int, lim *Limits) (image.Config, int64, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if errors.Is(err, image.ErrFormat) {
		return cfg, 0, errors.New("not a PNG, JPEG or GIF image")
	}
	if err != nil {
		return cfg, 0, fmt.Errorf("cannot decode image: %w", err)
	}
	if err := checkDims(cfg.Width, cfg.Height, lim); err != nil {
		return cfg, 0, err
	}
	cost := decodeCost(b, format, cfg, size)
	if limit := lim.decodeBytes(); cost > limit {
		return cfg, 0, &costError{fmt.Sprintf("image is %d×%d (%s), estimated to need %s to decode and resize, more than the limit of %s",
			cfg.Width, cfg.Height, describeImage(b, format, cfg), mib(cost), mib(limit))}
	}
	return cfg, cost, nil
}

// decodeInspected decodes the image b that inspectImage passed and crops
// and resizes it.
func decodeInspected(b []byte, cfg image.Config, size int, lim *Limits) ([]uint8, error) {
	m, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("cannot decode image: %w", err)
	}
	r := m.Bounds()
	w, h := r.Dx(), r.Dy()
	if w != cfg.Width || h != cfg.Height {
		if err := checkDims(w, h, lim); err != nil {
			return nil, err
		}
	}
	if w == size && h == size {
		// Already size×size: data.Resize would be the identity but for
		// clearing the colour of fully transparent pixels, which must
		// survive for the writers' round trips.
		return data.CropNRGBA(m, r).Pix, nil
	}
	s := min(w, h)
	sq := image.Rect(0, 0, s, s).Add(r.Min).Add(image.Pt((w-s)/2, (h-s)/2))
	return data.ResizeRect(m, sq, size, size).Pix, nil
}

// mib formats a byte count for a message: "1073741824 bytes (1.0 GiB)".
func mib(n int64) string {
	f, unit := float64(n), "bytes"
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		if f < 1024 {
			break
		}
		f, unit = f/1024, u
	}
	if unit == "bytes" {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%d bytes (%.1f %s)", n, f, unit)
}

// costError is an image estimated to need more memory than
// Limits.MaxDecodeBytes.
type costError struct{ msg string }

func (e *costError) Error() string { return e.msg }

// dimsError is an image whose dimensions are out of bounds.
type dimsError struct{ msg string }

func (e *dimsError) Error() string { return e.msg }

func checkDims(w, h int, lim *Limits) error {
	if w <= 0 || h <= 0 {
		return &dimsError{fmt.Sprintf("image is %d×%d, it has no pixels", w, h)}
	}
	if w > lim.MaxImageSide || h > lim.MaxImageSide || int64(w)*int64(h) > lim.MaxImagePixels {
		return &dimsError{fmt.Sprintf("image is %d×%d, larger than the limit of %d pixels a side and %d pixels in all",
			w, h, lim.MaxImageSide, lim.MaxImagePixels)}
	}
	return nil
}

// imgJob is one image file to decode once and copy to every place that
// uses it.
type imgJob struct {
	path string
	dst  [][]uint8 // each size×size×4
	// missing is the advice when the file does not exist.
	missing string
	// fail wraps a problem with the file in an *Error naming the file and
	// the first line or row that uses it.
	fail func(problem, fix string, err error) *Error
}

// decodeAll decodes the jobs on GOMAXPROCS workers, each holding its
// image's estimated cost of the in-flight budget (Limits.
// MaxDecodeInFlight) while it decodes. It returns the error of the first
// failing job in job order, so that the error does not depend on
// scheduling.
func decodeAll(jobs []imgJob, read readFunc, size int, lim *Limits) error {
	if len(jobs) == 0 {
		return nil
	}
	errs := make([]error, len(jobs))
	var next atomic.Int64
	var firstFail atomic.Int64
	firstFail.Store(int64(len(jobs)))
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				// Jobs are handed out in order: once job f has failed,
				// only jobs before f can still change the answer.
				if i >= int64(len(jobs)) || i > firstFail.Load() {
					return
				}
				if err := decodeJob(&jobs[i], read, size, lim); err != nil {
					errs[i] = err
					for {
						f := firstFail.Load()
						if i >= f || firstFail.CompareAndSwap(f, i) {
							break
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if f := firstFail.Load(); f < int64(len(jobs)) {
		return errs[f]
	}
	return nil
}

func decodeJob(j *imgJob, read readFunc, size int, lim *Limits) error {
	b, err := read(j.path, lim.MaxImageBytes)
	var nr *notRegularError
	switch {
	case errors.Is(err, os.ErrNotExist):
		return j.fail(fmt.Sprintf("image file %s does not exist", j.path), j.missing, nil)
	case errors.Is(err, errTooBig):
		return j.fail(fmt.Sprintf("image file %s is larger than the limit of %d bytes", j.path, lim.MaxImageBytes), "shrink it, or raise Limits.MaxImageBytes (aeir flag -max-image-bytes)", nil)
	case errors.As(err, &nr):
		return j.fail(fmt.Sprintf("image file %s is %s, not a regular file", j.path, fileKind(nr.mode)), "give the path of a PNG, JPEG or GIF file", nil)
	case err != nil:
		return j.fail(fmt.Sprintf("cannot read image file %s", j.path), "", unwrapPath(err))
	}
	pix, err := decodeBudgeted(b, size, lim)
	if err != nil {
		return j.fail(fmt.Sprintf("image file %s", j.path), decodeFix(err), err)
	}
	for _, d := range j.dst {
		copy(d, pix)
	}
	return nil
}

// decodeBudgeted is decodeImage holding the image's estimated cost of
// the in-flight budget while it decodes.
func decodeBudgeted(b []byte, size int, lim *Limits) ([]uint8, error) {
	cfg, cost, err := inspectImage(b, size, lim)
	if err != nil {
		return nil, err
	}
	bud := budgetFor(lim.decodeInFlight())
	bud.acquire(cost)
	defer bud.release(cost)
	return decodeInspected(b, cfg, size, lim)
}

// decodeFix is the advice for an image that decodeImage refused.
func decodeFix(err error) string {
	var de *dimsError
	var ce *costError
	switch {
	case errors.As(err, &de):
		return "shrink it, or raise Limits.MaxImageSide and Limits.MaxImagePixels (aeir flags -max-image-side, -max-image-pixels)"
	case errors.As(err, &ce):
		return "shrink it, or raise Limits.MaxDecodeBytes (aeir flag -max-decode-bytes)"
	}
	return "images must be PNG, JPEG or GIF files"
}

// checkSize checks the requested side of the square images.
func checkSize(size int, lim *Limits) error {
	if size < 1 || size > lim.MaxImageSide {
		return fmt.Errorf("formats: image size %d must be between 1 and %d", size, lim.MaxImageSide)
	}
	return nil
}

// pixelBudget checks that n images of size×size fit in the limit.
func pixelBudget(file string, n, size int, lim *Limits) error {
	if n > lim.MaxImages {
		return &Error{File: file, Problem: fmt.Sprintf("%d images, more than the limit of %d", n, lim.MaxImages), Fix: "raise Limits.MaxImages if the file is what you meant to load"}
	}
	need := int64(n) * int64(size) * int64(size) * 4
	if need > lim.MaxPixelBytes {
		return &Error{File: file, Problem: fmt.Sprintf("%d images of %d×%d need %d bytes, more than the limit of %d", n, size, size, need, lim.MaxPixelBytes),
			Fix: "load a smaller size, or raise Limits.MaxPixelBytes"}
	}
	return nil
}

// decoderOverhead bounds what a decoder allocates besides its pixels
// (zlib or Huffman state, palettes, buffered readers).
const decoderOverhead = 256 << 10

// decodeCost estimates the bytes decodeInspected allocates, in all, to
// decode the image b of header cfg and bring it to size×size: the file
// itself, the decoder's pixels and row buffers, and the crop-and-resize
// buffers. It errs high where the header leaves a doubt.
func decodeCost(b []byte, format string, cfg image.Config, size int) int64 {
	w, h := float64(cfg.Width), float64(cfg.Height)
	var pix float64
	switch format {
	case "png":
		pix = pngPixelCost(b, w, h)
	case "jpeg":
		pix = jpegPixelCost(b, cfg, w, h)
	case "gif":
		pix = 2 * w * h // the first frame and its de-interlaced copy
	default:
		pix = 24 * w * h
	}
	s, z := min(w, h), float64(size)
	total := float64(len(b)) + pix + 16*w + resizeCost(s, z) + decoderOverhead
	return int64(min(total, math.MaxInt64/2))
}

// resizeCost bounds what data.ResizeRect allocates to bring a square of
// side s to side z: the output (4z²), a source row as bytes and as
// float64 (36s), the accumulator (32z), the window of filtered rows
// (at most ⌈s/z⌉+1 of 32z), the weights (16s+40z), each rounded up to
// the allocator's size class (an eighth more, or a page), and headers.
func resizeCost(s, z float64) float64 {
	return 4*z*z + 96*s + 160*z + 32<<10
}

// pngPixelCost is the bytes per pixel the PNG decoder allocates, times
// the pixels: 1 for paletted, 2 for 16-bit grey, 4 for 8-bit colour,
// grey with alpha or grey with a transparent colour (tRNS), 8 for 16-bit
// colour or alpha; twice that when interlaced (the passes, then the
// whole). A header it cannot read counts 16.
func pngPixelCost(b []byte, w, h float64) float64 {
	ct, depth, interlaced, trns, ok := pngHeader(b)
	if !ok {
		return 16 * w * h
	}
	var bpp float64
	switch {
	case ct == 3:
		bpp = 1
	case ct == 0 && !trns:
		bpp = max(1, float64(depth)/8)
	case depth == 16:
		bpp = 8
	default:
		bpp = 4
	}
	if interlaced {
		bpp *= 2
	}
	return bpp * w * h
}

// pngHeader reads the colour type, bit depth and interlace method of a
// PNG from its IHDR chunk, and whether a tRNS chunk comes before the
// first IDAT.
func pngHeader(b []byte) (colourType, depth int, interlaced, trns, ok bool) {
	const ihdrEnd = 8 + 8 + 13
	if len(b) < ihdrEnd+4 || string(b[12:16]) != "IHDR" {
		return 0, 0, false, false, false
	}
	depth, colourType, interlaced = int(b[24]), int(b[25]), b[28] != 0
	for off := ihdrEnd + 4; off+8 <= len(b); {
		n := int64(b[off])<<24 | int64(b[off+1])<<16 | int64(b[off+2])<<8 | int64(b[off+3])
		switch string(b[off+4 : off+8]) {
		case "tRNS":
			return colourType, depth, interlaced, true, true
		case "IDAT":
			return colourType, depth, interlaced, false, true
		}
		if n > int64(len(b)) {
			break
		}
		off += 12 + int(n)
	}
	return colourType, depth, interlaced, true, true // unsure: assume tRNS
}

// jpegPixelCost is what the JPEG decoder allocates for pixels: one byte
// per sample of each component's plane (padded to whole blocks), plus 4
// bytes a pixel for the RGBA or CMYK image it builds from RGB and
// 4-component files, plus 4 bytes a sample for a progressive file's
// coefficients. Without a readable frame header it assumes every
// component at full resolution, progressive.
func jpegPixelCost(b []byte, cfg image.Config, w, h float64) float64 {
	comps := 3.0
	switch cfg.ColorModel {
	case color.GrayModel:
		comps = 1
	case color.CMYKModel:
		comps = 4
	}
	samples, progressive, ok := jpegFrame(b)
	if !ok {
		samples, progressive = comps*(w+32)*(h+32), true
	}
	cost := samples
	if cfg.ColorModel == color.RGBAModel || cfg.ColorModel == color.CMYKModel {
		cost += 4 * w * h
	}
	if progressive {
		cost += 4 * samples
	}
	return cost
}

// jpegFrame finds the frame header (SOF0, SOF1 or SOF2) of a JPEG and
// returns the samples of all its components' planes, padded to whole
// MCUs as the decoder allocates them, and whether it is progressive.
func jpegFrame(b []byte) (samples float64, progressive, ok bool) {
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			return 0, false, false
		}
		m := b[i+1]
		if m == 0xff || m == 0x01 || m >= 0xd0 && m <= 0xd8 {
			i++ // fill byte or a marker without a length
			if m != 0xff {
				i++
			}
			continue
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 {
			return 0, false, false
		}
		if m == 0xc0 || m == 0xc1 || m == 0xc2 {
			s, ok := sofSamples(b[i+4 : min(len(b), i+2+n)])
			return s, m == 0xc2, ok
		}
		if m == 0xda || m == 0xd9 {
			return 0, false, false
		}
		i += 2 + n
	}
	return 0, false, false
}

// sofSamples returns the samples of the component planes a frame header
// (after its length) declares.
func sofSamples(p []byte) (float64, bool) {
	if len(p) < 6 {
		return 0, false
	}
	h, w, n := int(p[1])<<8|int(p[2]), int(p[3])<<8|int(p[4]), int(p[5])
	if n < 1 || len(p) < 6+3*n {
		return 0, false
	}
	hmax, vmax := 1, 1
	for c := range n {
		hmax, vmax = max(hmax, int(p[7+3*c]>>4)), max(vmax, int(p[7+3*c]&15))
	}
	mx, my := float64((w+8*hmax-1)/(8*hmax)), float64((h+8*vmax-1)/(8*vmax))
	var s float64
	for c := range n {
		hc, vc := float64(max(1, p[7+3*c]>>4)), float64(max(1, p[7+3*c]&15))
		if n == 1 {
			hc, vc = float64(hmax), float64(vmax)
		}
		s += 64 * hc * mx * vc * my
	}
	return s, true
}

// describeImage names the kind of image for a message: "16-bit grey
// PNG", "progressive JPEG"...
func describeImage(b []byte, format string, cfg image.Config) string {
	switch format {
	case "png":
		ct, depth, interlaced, _, ok := pngHeader(b)
		if !ok {
			return "PNG"
		}
		kinds := map[int]string{0: "grey", 2: "RGB", 3: "paletted", 4: "grey+alpha", 6: "RGBA"}
		d := fmt.Sprintf("%d-bit %s PNG", depth, kinds[ct])
		if interlaced {
			d = "interlaced " + d
		}
		return d
	case "jpeg":
		if _, progressive, _ := jpegFrame(b); progressive {
			return "progressive JPEG"
		}
		return "JPEG"
	}
	return strings.ToUpper(format)
}

// budget is a weighted semaphore over bytes, served first come first
// served so that a large request is not starved by small ones. A request
// larger than the capacity is granted when nothing else is held, and
// then holds the budget alone.
type budget struct {
	mu         sync.Mutex
	wake       sync.Cond
	capacity   int64
	used       int64
	peak       int64  // the most held at once, for tests
	next, turn uint64 // tickets: the next to hand out, the next to serve
}

func newBudget(capacity int64) *budget {
	b := &budget{capacity: capacity}
	b.wake.L = &b.mu
	return b
}

// acquire waits until n bytes fit, after every earlier request.
func (b *budget) acquire(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ticket := b.next
	b.next++
	for ticket != b.turn || (b.used > 0 && b.used+n > b.capacity) {
		b.wake.Wait()
	}
	b.turn++
	b.used += n
	b.peak = max(b.peak, b.used)
	b.wake.Broadcast() // the next in line may fit too
}

// release returns n bytes that acquire granted.
func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.wake.Broadcast()
}

var (
	budgetsMu sync.Mutex
	budgets   = map[int64]*budget{}
)

// budgetFor returns the process-wide budget of the given capacity, which
// every load with that Limits.MaxDecodeInFlight shares.
func budgetFor(capacity int64) *budget {
	budgetsMu.Lock()
	defer budgetsMu.Unlock()
	b := budgets[capacity]
	if b == nil {
		b = newBudget(capacity)
		budgets[capacity] = b
	}
	return b
}
