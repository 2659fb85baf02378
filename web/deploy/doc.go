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
package deploy
