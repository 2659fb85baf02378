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
}

// DefaultLimits returns limits generous enough for MS-COCO and Flickr30K:
// 2 GiB text files, 1 MiB lines, 16 Mi images, 64 Mi texts, 2^30 floats
// (4 GiB) of features of dimension up to 2^20, 256 MiB image files of at
// most 8192×8192 = 64 Mi pixels, and 4 GiB of resized pixels.
//
// Decoding and resizing an image of P pixels needs about 40·P bytes (the
// decoded image, its NRGBA copy and data.Resize's float64 planes), so a
// 64-megapixel image needs about 2.7 GB; lower MaxImagePixels on small
// machines.
func DefaultLimits() *Limits {
	return &Limits{
		MaxFileBytes:   2 << 30,
		MaxLineBytes:   1 << 20,
		MaxImages:      1 << 24,
		MaxTexts:       1 << 26,
		MaxFeatures:    1 << 30,
		MaxDim:         1 << 20,
		MaxImageBytes:  256 << 20,
		MaxImageSide:   8192,
		MaxImagePixels: 64 << 20,
		MaxPixelBytes:  4 << 30,
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
	return &c
}
