// Package web is the retrieval engine of the in-browser demo: it loads a
// model file and a gallery of precomputed image embeddings, encodes
// sentence and image queries with the same model package that training
// uses, and ranks the gallery or the sentence corpus with package eval.
//
// It is plain Go with no browser types, so it is tested natively; the
// wasm command is a thin syscall/js binding over it, and `aeir export web`
// writes the files it reads (the model in float16, the gallery embeddings
// and the sentence corpus). It imports no data set: galleries arrive as
// bytes, so the WebAssembly binary stays small.
//
// Bad input — an empty, over-long or word-less query, an image too large
// or fully transparent, a corrupted model or a gallery computed with
// another model — is reported as an error whose text can be shown to a
// person as it is; *InputError marks the ones caused by what the user
// typed or dropped.
package web
