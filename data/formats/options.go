package formats

// DefaultSize is the side, in pixels, of images loaded through Load when
// Options.Size is 0; it matches the project's default emoji tiles.
const DefaultSize = 32

// Options configure Load.
type Options struct {
	// Splits selects the splits of a precomp directory ("train", "dev" or
	// "val", "test", "testall"); empty means every split present. Only
	// for precomp data: set for any other format it is an error.
	Splits []string
	// Domain names the domain of precomp and Karpathy data; empty means
	// the directory's name without "_precomp", or the JSON's "dataset"
	// field. Tables name their domains in their domain column, so setting
	// it for a table is an error.
	Domain string
	// ImageDir is the folder image paths are relative to (Karpathy and
	// tables); empty means the folder of the JSON or table file.
	ImageDir string
	// Size is the side of the square pixel images (Karpathy and tables);
	// 0 means DefaultSize.
	Size int
	// Limits bound what a file may make the loader allocate; nil means
	// DefaultLimits().
	Limits *Limits
}

// Limits bound every count and size a file can claim, so that no input,
// however malformed, makes a loader allocate without bound. Exceeding one
// is an error that names the limit; raise it when the data really is that
// large. A zero field means its default.
type Limits struct {
	MaxFileBytes   int64 // one caption, JSON or table file
	MaxLineBytes   int   // one line of a caption file or a JSONL file
	MaxImages      int   // images in one file or split
	MaxTexts       int   // texts in one file
	MaxFeatures    int64 // floats in one .npy array (N×D)
	MaxDim         int   // feature dimension D
	MaxImageBytes  int64 // one image file
	MaxImageSide   int   // width or height of one source image, and the largest Size
	MaxImagePixels int64 // width×height of one source image
	MaxPixelBytes  int64 // all resized pixels of one load (N×Size×Size×4)
	// MaxDecodeBytes bounds the memory estimated to decode, crop and
	// resize one image (its file, the decoder's pixels and working
	// buffers, the resize buffers; see docs/limits.md); an image estimated
	// to need more is refused before it is decoded.
	MaxDecodeBytes int64
	// MaxDecodeInFlight bounds the sum of the estimates of the images
	// being decoded at once by the parallel decoders; a decoder waits
	// for room before it starts. An image whose estimate exceeds it (but
	// not MaxDecodeBytes) is decoded alone. Loads running at the same
	// time with the same value share one budget.
	MaxDecodeInFlight int64
}

// DefaultLimits returns limits generous enough for MS-COCO and Flickr30K
// and for photos of up to 64 megapixels: 2 GiB text files, 1 MiB lines,
// 16 Mi images, 64 Mi texts, 2^30 floats (4 GiB) of features of
// dimension up to 2^20, 256 MiB image files of at most 16384 pixels a
// side and 64 Mi pixels in all, 4 GiB of resized pixels, 1 GiB to decode
// one image and 1 GiB for all the images being decoded at once.
//
// Decoding costs the decoded image (1 to 8 bytes a pixel for PNG by
// colour type and depth, twice that when interlaced; 1 to 24 for JPEG
// by sampling, colour space and progressive coding) plus the file and
// small buffers; cropping and resizing read it a row at a time. A
// 50-megapixel photo needs about 75 MB as a baseline 4:2:0 JPEG and
// 720 MiB as a progressive 4:4:4 one, so camera photos fit the per-image
// default, and the in-flight default keeps about ten baseline
// 50-megapixel or 40 12-megapixel photos decoding at once, more than the
// cores of most machines. Lower MaxDecodeInFlight on small machines,
// raise it with many cores and memory to spare; docs/limits.md gives the
// worst case.
func DefaultLimits() *Limits {
	return &Limits{
		MaxFileBytes:   2 << 30,
		MaxLineBytes:   1 << 20,
		MaxImages:      1 << 24,
		MaxTexts:       1 << 26,
		MaxFeatures:    1 << 30,
		MaxDim:         1 << 20,
		MaxImageBytes:  256 << 20,
		MaxImageSide:   16384,
		MaxImagePixels: 64 << 20,
		MaxPixelBytes:  4 << 30,
		// per image and in flight: see above
		MaxDecodeBytes:    1 << 30,
		MaxDecodeInFlight: 1 << 30,
	}
}

func (o *Options) limits() *Limits {
	return o.Limits.withDefaults()
}

// withDefaults returns a copy of l with zero fields set to their defaults;
// l may be nil.
func (l *Limits) withDefaults() *Limits {
	d := DefaultLimits()
	if l == nil {
		return d
	}
	c := *l
	setInt64 := func(v *int64, def int64) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt64(&c.MaxFileBytes, d.MaxFileBytes)
	setInt(&c.MaxLineBytes, d.MaxLineBytes)
	setInt(&c.MaxImages, d.MaxImages)
	setInt(&c.MaxTexts, d.MaxTexts)
	setInt64(&c.MaxFeatures, d.MaxFeatures)
	setInt(&c.MaxDim, d.MaxDim)
	setInt64(&c.MaxImageBytes, d.MaxImageBytes)
	setInt(&c.MaxImageSide, d.MaxImageSide)
	setInt64(&c.MaxImagePixels, d.MaxImagePixels)
	setInt64(&c.MaxPixelBytes, d.MaxPixelBytes)
	setInt64(&c.MaxDecodeBytes, d.MaxDecodeBytes)
	setInt64(&c.MaxDecodeInFlight, d.MaxDecodeInFlight)
	return &c
}

// decodeBytes is MaxDecodeBytes, or its default when it is not set, for
// the functions given limits that did not pass through withDefaults.
func (l *Limits) decodeBytes() int64 {
	if l.MaxDecodeBytes > 0 {
		return l.MaxDecodeBytes
	}
	return DefaultLimits().MaxDecodeBytes
}

// decodeInFlight is MaxDecodeInFlight, or its default when it is not
// set.
func (l *Limits) decodeInFlight() int64 {
	if l.MaxDecodeInFlight > 0 {
		return l.MaxDecodeInFlight
	}
	return DefaultLimits().MaxDecodeInFlight
}
