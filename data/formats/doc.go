// Package formats loads the image–sentence data researchers bring into
// the project's common type: one *data.Collection per (domain, split),
// each passing Validate.
//
// # Formats
//
// VSE++ "precomp" (LoadPrecomp): a directory, usually named like
// f30k_precomp, holding for each split {split}_ims.npy, an N×D array of
// image features, and {split}_caps.txt, k captions per image, one per
// line, in image order: caption line L (from 0) describes image L/k, and
// the number of lines must be a whole multiple of N. Splits are train,
// dev (returned as "val"), test and testall. Features go in Images.Feat;
// image ids are "{split}/{row}". The array must be 2-D; float32 is read
// as is and float64 is accepted and converted (a finite value too large
// for float32 is an error); big-endian and Fortran-ordered arrays are
// accepted; every value must be finite. Integer, complex, structured and
// object arrays are refused. 3-D region features (N×36×2048, as SCAN
// ships) are refused with the advice to pool them.
//
// Karpathy (LoadKarpathy): a dataset_*.json file as shipped with
// NeuralTalk for Flickr8K, Flickr30K and MS-COCO:
//
//	{"dataset": "coco", "images": [{"filepath": "val2014", "filename": "a.jpg",
//	  "split": "test", "imgid": 0, "sentids": [0, 1],
//	  "sentences": [{"raw": "A cat.", "tokens": ["a", "cat"], "imgid": 0, "sentid": 0}, ...]}, ...]}
//
// with a folder of images at imageDir/filepath/filename. Splits train and
// restval become "train". Sentence text is "raw", or the tokens joined by
// spaces when raw is empty. imgid and sentid must be unique when given,
// and file names must be unique.
//
// Tables (LoadTable): image–text pairs, one per row, as
//
//   - .csv: RFC 4180, with a header row naming the columns image, text and
//     domain, optionally split; other columns are ignored; a UTF-8 byte
//     order mark is skipped;
//   - .tsv: the same with tab separators and lenient quoting (a quote in
//     an unquoted field is a literal character), which reads both plain
//     TSV and what Python's csv module and pandas write;
//   - .jsonl: one object per line with string keys image, text, domain
//     and optionally split (null or absent: unsplit); blank lines are
//     skipped, other keys ignored.
//
// Rows naming the same image in the same domain share one image. Split
// values are train, val, test, restval (train) or dev (val), in any case;
// an empty split means unsplit (Collection.Split ""). An image may belong
// to one split only. A row repeating the image, text and domain of an
// earlier row is an error, since it would count twice in evaluation.
//
// Load picks the loader from a path, and takes the other settings,
// including Limits, in Options.
//
// # Images
//
// Images are decoded with the standard library (PNG, JPEG, GIF: the first
// frame). Each is cropped to its centred square of side min(W, H) and then
// resized to size×size with data.Resize (area averaging), so that shapes
// keep their proportions; cropping, rather than padding, is what image
// retrieval models are usually evaluated with, and it wastes no pixels on
// borders. Image dimensions are read with image.DecodeConfig and checked
// against Limits before any pixel is decoded. Images are decoded on
// GOMAXPROCS goroutines; the error reported is still the first in file
// order.
//
// # Errors
//
// Every problem with an input is an *Error naming the file, the 1-based
// line (and row, image or array position), what is wrong and what to do:
//
//	data/f30k_precomp/dev_caps.txt: 4999 captions for 1000 images (the rows of dev_ims.npy) is not a whole number per image; every image needs the same number k of captions, so the file needs k×1000 lines (5×1000 = 5000 for five per image)
//	data/f30k_precomp/test_ims.npy: row 3, column 7: value is NaN; features must be finite float32 values (recompute them, or drop that image and its captions)
//	pairs.csv:5: row 4: image "img/b.png": image file img/b.png does not exist; image paths are relative to .
//
// Every count and size an input claims is checked against Limits before
// memory is allocated for it, so a header claiming 10^12 rows is an
// error, not an allocation; every parser is fuzzed (see the Fuzz
// functions in the tests).
package formats
