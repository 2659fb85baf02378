// Package model holds the retrieval model: the image and sentence
// encoders into a common D-dimensional space, the losses that train them,
// and the model file. One implementation serves training, the CLI, the
// notebooks and the browser (WebAssembly).
package model
