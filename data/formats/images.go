package formats

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // register decoders for image.Decode
	_ "image/jpeg"
	_ "image/png"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"aeir/data"
)

// readFunc returns the bytes of the image file at path, failing with
// fs.ErrNotExist when it is missing and errTooBig when it is larger
// than max. Loaders read from disk; tests and fuzz targets from memory.
type readFunc func(path string, max int64) ([]byte, error)

func readDisk(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, errors.New("is a directory")
		}
		if st.Size() > max {
			return nil, errTooBig
		}
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(&limitReader{r: f, n: max}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeImage decodes a PNG, JPEG or GIF (its first frame), crops the
// centred square of side min(W, H), resizes it to size×size with
// data.Resize and returns the size×size×4 NRGBA bytes. An image that is
// already size×size is returned as decoded (converted to NRGBA), not
// resized: data.Resize would zero the colour of its fully transparent
// pixels. The dimensions are
// checked with image.DecodeConfig against the limits before any pixel is
// decoded. Errors are plain; the caller names the file and the row.
func decodeImage(b []byte, size int, lim *Limits) ([]uint8, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if errors.Is(err, image.ErrFormat) {
		return nil, errors.New("not a PNG, JPEG or GIF image")
	}
	if err != nil {
		return nil, fmt.Errorf("cannot decode image: %v", err)
	}
	if err := checkDims(cfg.Width, cfg.Height, lim); err != nil {
		return nil, err
	}
	m, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("cannot decode image: %v", err)
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
		return nrgbaPix(m), nil
	}
	s := min(w, h)
	sq := image.Rect(r.Min.X+(w-s)/2, r.Min.Y+(h-s)/2, r.Min.X+(w-s)/2+s, r.Min.Y+(h-s)/2+s)
	var crop image.Image
	if si, ok := m.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		crop = si.SubImage(sq)
	} else {
		crop = data.ToNRGBA(m).SubImage(sq.Sub(r.Min))
	}
	out := data.Resize(crop, size, size)
	return out.Pix, nil
}

// nrgbaPix returns the pixels of m as W×H×4 straight-alpha RGBA bytes,
// converted exactly as data.ToNRGBA does.
func nrgbaPix(m image.Image) []uint8 {
	n := data.ToNRGBA(m)
	w, h := n.Bounds().Dx(), n.Bounds().Dy()
	if n.Stride == 4*w && n.Bounds().Min == (image.Point{}) {
		return n.Pix[:4*w*h]
	}
	out := make([]uint8, 0, 4*w*h)
	for y := n.Bounds().Min.Y; y < n.Bounds().Max.Y; y++ {
		off := n.PixOffset(n.Bounds().Min.X, y)
		out = append(out, n.Pix[off:off+4*w]...)
	}
	return out
}

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

// decodeAll decodes the jobs on GOMAXPROCS workers. It returns the error
// of the first failing job in job order, so that the error does not
// depend on scheduling.
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
	switch {
	case errors.Is(err, os.ErrNotExist):
		return j.fail(fmt.Sprintf("image file %s does not exist", j.path), j.missing, nil)
	case errors.Is(err, errTooBig):
		return j.fail(fmt.Sprintf("image file %s is larger than the limit of %d bytes", j.path, lim.MaxImageBytes), "shrink it, or raise Limits.MaxImageBytes", nil)
	case err != nil:
		return j.fail(fmt.Sprintf("cannot read image file %s", j.path), "", unwrapPath(err))
	}
	pix, err := decodeImage(b, size, lim)
	if err != nil {
		fix := "images must be PNG, JPEG or GIF files"
		var de *dimsError
		if errors.As(err, &de) {
			fix = "shrink it, or raise Limits.MaxImageSide and Limits.MaxImagePixels"
		}
		return j.fail(fmt.Sprintf("image file %s", j.path), fix, err)
	}
	for _, d := range j.dst {
		copy(d, pix)
	}
	return nil
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
