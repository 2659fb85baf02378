// Package deploy publishes the in-browser demo: Export writes the
// model-dependent assets of a trained run (float16 model, gallery
// embeddings, sentence corpus, manifest), BuildSite assembles a directory
// any static host can serve as it is (page, WebAssembly engine, assets,
// sprite sheets, figures, licences, precompressed .gz and .br copies and
// a service worker for offline use), and Handler serves such a directory
// with the right MIME types, content encodings and cache headers.
//
// The commands are `aeir export web`, `aeir export site` and `aeir serve`;
// `make demo` runs them.
//
// # A run on VendorMoji
//
// The shipped demo: one gallery per emoji vendor (the model's target
// first), the CLDR sentence of every concept in the target's text style,
// the sprite sheets of the embedded data set, the vendors' licences, and
// the demo's quality probes measured at export. Its manifest has kind
// "vendormoji" (a manifest without a kind, as written before there were
// two, is read as one).
//
// # A run on your own files
//
// A run trained on a user's data — `aeir train -source pairs.csv#photo
// -target pairs.csv#sketch`, a Karpathy dataset_*.json or a VSE++ precomp
// folder (see run.ParseSpec) — is exported by the same command:
//
//	aeir export web -run runs/mine -out mine/assets -attribution "Sketches © …, CC BY 4.0"
//	aeir export site -assets mine/assets -out mine/dist
//
// Export then writes a manifest of kind "files" with:
//
//   - the model as float16 (model.aeir), checked against float32 as for
//     VendorMoji: the rsum of the whole gallery (below), plainly and as
//     the page ranks (hubness-corrected), with short forms as sentences
//     when the data have them, may drop by at most MaxDrop;
//   - one gallery: the whole target domain, every split
//     (run.Whole), its embeddings computed here by the float16 model
//     exactly as for VendorMoji, with the hubness terms against the
//     corpus (gallery.aeir);
//   - the corpus (corpus.json): every sentence of the target domain, not
//     deduplicated, with the index of the image it describes
//     (Corpus.Sentences) and its short form when the data have one;
//   - a label per image (labels.json, Gallery.Labels): its first sentence,
//     or that sentence's short form, cut at a word to 48 characters —
//     each image's name on the page;
//   - thumbnails when the data have pixels: a sprite sheet of ThumbSize
//     (32 px) tiles, about square (gallery.png). A run whose images went
//     through an image backbone reads features, so its pixels are loaded
//     again without the backbone for the thumbnails. Precomp features have
//     no pixels: the page shows the labels in their place;
//   - the data's licence and attribution notice (-attribution; by
//     default a notice naming the data file), which the page shows in
//     place of the emoji vendors' licences; ModelDesc.TargetSHA256, the
//     content hash of the target data the run recorded; and
//     ModelDesc.FeatureDim for a model of image features.
//
// The VendorMoji probes and vendor galleries do not apply and are not
// written. Export refuses, saying why: a CCA run (the page's engine runs
// network models only), a gallery of more than MaxGalleryImages images,
// and gallery files (embeddings, thumbnails or labels, sentences) over
// ExportOptions.MaxGalleryBytes (DefaultGalleryBytes, 16 MiB;
// -max-gallery-mb). `aeir export site` then checks the first page load
// against its own budget (-budget, 5 MB gzip).
//
// The page reads the manifest's kind: for "files" it shows the one
// gallery without a vendor picker, sentence → ranked images (thumbnails,
// or labels), image → ranked sentences (click an image; upload, paste or
// draw when the model reads pixels — a model of features cannot embed a
// picture, and the page says so), examples taken from the labels, and
// the manifest's notice; the VendorMoji examples, figures, results table
// and licences are not shown, and BuildSite copies no VendorMoji sprite
// sheets, licences or figures into such a site.
package deploy
