// Package formats loads the image–sentence data researchers bring into
// the project's common type: one *data.Collection per (domain, split),
// each passing Validate, and writes collections back out in the same
// formats (see Writing).
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
// ships) are refused with the advice to pool them. An optional
// {split}_short.txt holds short forms (see Short forms), one per line of
// {split}_caps.txt; another number of lines is an error.
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
// and file names must be unique. Image ids are filepath/filename. A
// sentence may carry its short form in an optional "short" string field;
// when one sentence of the file has one, every sentence must.
//
// Tables (LoadTable): image–text pairs, one per row, as
//
//   - .csv: RFC 4180, with a header row naming the columns image, text and
//     domain, optionally split and short; other columns are ignored; a
//     UTF-8 byte order mark is skipped;
//   - .tsv: the same with tab separators and lenient quoting (a quote in
//     an unquoted field is a literal character), which reads both plain
//     TSV and what Python's csv module and pandas write;
//   - .jsonl: one object per line with string keys image, text, domain
//     and optionally split (null or absent: unsplit) and short (null or
//     absent: none); blank lines are skipped, other keys ignored.
//
// Rows naming the same image in the same domain share one image, whose
// id is its path as written (cleaned, with forward slashes); images are
// numbered in order of first appearance. Split values are train, val,
// test, restval (train) or dev (val), in any case; an empty split means
// unsplit (Collection.Split ""). An image may belong to one split only. A
// row repeating the image, text and domain of an earlier row is an
// error, since it would count twice in evaluation. A domain with a short
// form in one row needs one in every row; a domain with none in any row
// (an empty value counts as none) has none.
//
// Image paths, in tables and Karpathy files alike, are relative to the
// image folder (the file's folder unless Options.ImageDir says otherwise)
// and must stay inside it: an absolute path, or one that climbs out with
// "..", is an error. A data set is then a folder that can be moved and
// shared whole, and a file from elsewhere cannot make a loader, or a web
// export of its gallery, read images outside it; images kept elsewhere
// can be linked into the folder (ln -s).
//
// Text files (tables, captions, short forms) are UTF-8 with LF or CRLF
// line ends. A UTF-16 or UTF-32 file, with or without a byte-order mark,
// and classic Mac OS line ends (CR alone) are refused at the start with
// an error that says so, rather than misread as one long line or a
// header without columns. A NUL byte in a text, a domain, a split, a
// short form or an image path is an error.
//
// Load picks the loader from a path, and takes the other settings,
// including Limits, in Options.
//
// # Short forms
//
// The project extends the three formats with an optional short form of
// each sentence, used for short-query evaluation and name augmentation:
// for an emoji described as "dog face: adorbs, animal, …" the short form
// is its CLDR name, "dog face". It is the short column or key of a table,
// the "short" field of a Karpathy sentence, and the lines of
// {split}_short.txt beside a precomp {split}_caps.txt, and it loads into
// Collection.Short, one per text (nil when the input gives none). Short
// forms are all or none: per domain in a table, per file in a Karpathy
// file, per split in precomp; a missing one is an error naming the file
// and the line. They are trimmed and checked like the texts.
//
// # Images
//
// Images are decoded with the standard library (PNG, JPEG, GIF: the first
// frame). Each is cropped to its centred square of side min(W, H) and then
// resized to size×size with data.Resize (area averaging), so that shapes
// keep their proportions; cropping, rather than padding, is what image
// retrieval models are usually evaluated with, and it wastes no pixels on
// borders. Image dimensions are read with image.DecodeConfig and checked
// against Limits before any pixel is decoded, and so is the memory the
// decode will take, estimated from the header (Limits.MaxDecodeBytes per
// image; the parallel decoders share Limits.MaxDecodeInFlight). The crop
// and resize read the decoded image a row at a time, giving the bytes of
// data.Resize without its full-size float64 planes. Only regular files
// are read: a named pipe, a device or a directory given as a data or
// image file is refused before it is opened. docs/limits.md lists every
// limit, its default and its flag. Images are decoded on
// GOMAXPROCS goroutines; the error reported is still the first in file
// order. An image that is already size×size is not resized but kept as
// decoded (converted to straight-alpha RGBA): data.Resize at the same
// size changes nothing but the colour of fully transparent pixels, which
// it sets to 0, and skipping it lets written images load back byte for
// byte.
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
//
// # Writing
//
// WriteTable, WriteKarpathy and WritePrecomp write collections so that
// the matching loader (tables and Karpathy files with the default image
// folder and the images' side as size) returns the same collections:
// the same domains, splits, images in the same order with the same pixel
// bytes or feature bits, the same texts with the same alignment, and the
// same short forms. Tables and Karpathy files hold pixel images, written
// as lossless PNG files (straight alpha, so even the colour of fully
// transparent pixels survives), and precomp holds features; each writer
// refuses the other kind, and anything else that would not come back
// unchanged (texts with surrounding white space, line breaks in a line
// file, a domain's collections with and without short forms, precomp
// images with different numbers of captions...), with an error saying
// what to do.
//
// What may differ is the image ids, which the loaders derive from the
// files: a table gives the image paths as written, here
// <image folder>/<domain>/<id>.png relative to the table; a Karpathy file
// gives filepath/filename, here <image folder>/<id>.png (domain and id
// reduced to safe file names, made unique); precomp gives
// "{split}/{row}", and names the domain after the directory. And since
// Karpathy and precomp files list sentences by image, texts come back
// grouped by image in image order (a table keeps the texts' order when
// it meets the images in their order, and groups them otherwise): the
// same order whenever the texts were listed by image. The loaders return
// collections in their own order (tables by domain, then train, val,
// test, unsplit; Karpathy train, val, test; precomp train, val, test,
// testall).
//
// The writers never replace existing output: the file, image folder or
// directory must not exist. Each output is written under a temporary
// name in its destination's folder and renamed into place when complete,
// so that an error leaves nothing behind.
package formats
