//go:build js && wasm

// Command wasm is the browser demo's engine: a thin syscall/js binding over
// package web (and through it the model, text and eval packages that
// training uses). It runs inside a Web Worker (site/worker.js), never on
// the page's main thread.
//
// It defines one global object, aeir, whose methods take and return plain
// JavaScript values (package aeir/wasm/jsapi: every method returns an
// object, {error, input} on failure). A user's own gallery and the
// adaptation to it live in a second program, aeir/wasm/user, which the
// page downloads only when it is used, so the first load stays small.
//
// Build: GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o aeir.wasm ./wasm
package main

import (
	"fmt"
	"syscall/js"

	"aeir/data"
	"aeir/wasm/jsapi"
	"aeir/web"
)

var eng *web.Engine

func main() {
	api := map[string]func(args []js.Value) any{
		"limits":         limits,
		"loadModel":      loadModel,
		"setGallery":     setGallery,
		"encodeGallery":  encodeGallery,
		"setTexts":       setTexts,
		"setCorpus":      setCorpus,
		"loadSentences":  loadSentences,
		"embedSentences": embedSentences,
		"searchText":     searchText,
		"imageTexts":     imageTexts,
		"searchImage":    searchImage,
		"similarImages":  similarImages,
		"checkFile":      checkFile,
		"checkDims":      checkDims,
		"tokenIDs":       tokenIDs,
		"encodeText":     encodeText,
		"encodeImage":    encodeImage,
	}
	jsapi.Serve("aeir", "aeirReady", api)
}

var errNoModel = fmt.Errorf("no model is loaded")

func limits(args []js.Value) any {
	return map[string]any{
		"maxQueryRunes": web.MaxQueryRunes, "maxK": web.MaxK, "maxFileBytes": web.MaxFileBytes,
		"maxImageSide": web.MaxImageSide, "maxPixels": web.MaxPixels,
		"maxEncodeSide": web.MaxEncodeSide, "decodeSide": web.DecodeSide, "sniffBytes": web.SniffBytes,
		"maxUserImages": web.MaxUserImages, "maxUserSentences": web.MaxUserSentences,
	}
}

// loadModel(name, bytes[, sha256]) replaces the engine; on failure the
// old one stays. sha256, the file's hex SHA-256 if the page has it
// (crypto.subtle computes it natively), spares computing it here.
func loadModel(args []js.Value) any {
	sum := ""
	if len(args) > 2 && args[2].Type() == js.TypeString {
		sum = args[2].String()
	}
	e, err := web.NewEngineSum(args[0].String(), jsapi.Bytes(args[1]), sum)
	if err != nil {
		return jsapi.Fail(err)
	}
	eng = e
	in := e.Info()
	return map[string]any{
		"method": in.Method, "scenario": in.Scenario, "dataset": in.Dataset, "dim": in.Dim,
		"imageSize": in.ImageSize, "fit": in.Fit, "params": in.Params, "sha256": in.SHA256,
	}
}

// setGallery(name, bytes) loads precomputed gallery embeddings.
func setGallery(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	if err := eng.SetGallery(args[0].String(), jsapi.Bytes(args[1])); err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"count": eng.GallerySize(), "vendor": eng.Vendor()}
}

// encodeGallery(vendor, rgba, width, height, count, size, columns, progress)
// cuts count size×size tiles out of a sprite sheet's RGBA pixels and
// embeds them with the loaded model, calling progress(done, total).
func encodeGallery(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	pix := jsapi.Bytes(args[1])
	w, h, n, size, cols := args[2].Int(), args[3].Int(), args[4].Int(), args[5].Int(), args[6].Int()
	if w < 1 || h < 1 || len(pix) != w*h*4 || size < 1 || cols < 1 || n < 1 || cols*size > w || (n+cols-1)/cols*size > h {
		return jsapi.Fail(fmt.Errorf("sprite sheet of %dx%d px (%d bytes) cannot hold %d tiles of %d px, %d a row", w, h, len(pix), n, size, cols))
	}
	im := &data.Images{N: n, W: size, H: size, Pix: make([]uint8, 0, n*size*size*4)}
	for i := range n {
		x0, y0 := (i%cols)*size, (i/cols)*size
		for y := range size {
			o := ((y0+y)*w + x0) * 4
			im.Pix = append(im.Pix, pix[o:o+size*4]...)
		}
	}
	progress := args[7]
	err := eng.EncodeGallery(args[0].String(), im, func(done, total int) {
		if progress.Type() == js.TypeFunction {
			progress.Invoke(done, total)
		}
	})
	if err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"count": eng.GallerySize(), "vendor": eng.Vendor()}
}

// corpusArgs reads (sentences, imageOf): the sentences, as an array of
// strings or one string of them separated by NUL characters (one call
// across the JavaScript boundary instead of one a sentence), and the
// gallery image each describes, as an array, an Int32Array or null.
func corpusArgs(args []js.Value) ([]string, []int) {
	return jsapi.Texts(args[0]), jsapi.Ints(args[1])
}

// setTexts(sentences, imageOf) sets the sentence corpus and encodes it.
func setTexts(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	texts, img := corpusArgs(args)
	if err := eng.SetTexts(texts, img); err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"count": len(texts)}
}

// setCorpus(sentences, imageOf) sets the sentence corpus without encoding
// it: sentence → image search works at once; image → sentence search
// after loadSentences or embedSentences.
func setCorpus(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	texts, img := corpusArgs(args)
	if err := eng.SetCorpus(texts, img); err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"count": len(texts)}
}

// loadSentences(name, bytes) loads the corpus's precomputed embeddings
// (a sentences file of aeir export web for this model and corpus).
func loadSentences(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	if err := eng.LoadSentences(args[0].String(), jsapi.Bytes(args[1])); err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"count": eng.NumTexts()}
}

// embedSentences() computes the corpus's embeddings with the model.
func embedSentences(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	if err := eng.EmbedSentences(); err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"count": eng.NumTexts()}
}

// searchText(query, k) → {hits: [[image, score], …]}.
func searchText(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	hs, err := eng.SearchText(args[0].String(), args[1].Int())
	if err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"hits": jsapi.Hits(hs)}
}

// imageTexts(image, k) → {hits: [[sentence, score], …], rank}.
func imageTexts(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	hs, rank, err := eng.ImageTexts(args[0].Int(), args[1].Int())
	if err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"hits": jsapi.Hits(hs), "rank": rank}
}

// searchImage(rgba, width, height, k) → {hits: [[sentence, score], …]}.
func searchImage(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	hs, err := eng.SearchImage(jsapi.Bytes(args[0]), args[1].Int(), args[2].Int(), args[3].Int())
	if err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"hits": jsapi.Hits(hs)}
}

// similarImages(rgba, width, height, k) → {hits: [[image, score], …]}.
func similarImages(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	hs, err := eng.SimilarImages(jsapi.Bytes(args[0]), args[1].Int(), args[2].Int(), args[3].Int())
	if err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"hits": jsapi.Hits(hs)}
}

// checkFile(name, size, bytes) → {format, width, height} from the
// headers, before the image is decoded. bytes is the whole file (or an
// empty array for one over the size limit); only its headers are copied
// into Go, wherever they lie (web.CheckImageAt).
func checkFile(args []js.Value) any {
	info, err := web.CheckImageAt(args[0].String(), args[1].Int(), jsapi.ReaderAt{V: args[2], N: args[2].Get("length").Int()})
	if err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"format": info.Format, "width": info.Width, "height": info.Height}
}

// checkDims(name, width, height) → {} or the reason the size is refused.
func checkDims(args []js.Value) any {
	if err := web.CheckDims(args[0].String(), args[1].Int(), args[2].Int()); err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{}
}

// tokenIDs(sentence) → [ids] (to compare with the native tokeniser).
func tokenIDs(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	ids := eng.TokenIDs(args[0].String())
	out := make([]any, len(ids))
	for i, v := range ids {
		out[i] = int(v)
	}
	return map[string]any{"ids": out}
}

// encodeText(sentence) → {embedding: Float32Array}.
func encodeText(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	v, err := eng.EncodeText(args[0].String())
	if err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"embedding": jsapi.Float32Array(v)}
}

// encodeImage(rgba, width, height) → {embedding: Float32Array}.
func encodeImage(args []js.Value) any {
	if eng == nil {
		return jsapi.Fail(errNoModel)
	}
	v, err := eng.EncodeImage(jsapi.Bytes(args[0]), args[1].Int(), args[2].Int())
	if err != nil {
		return jsapi.Fail(err)
	}
	return map[string]any{"embedding": jsapi.Float32Array(v)}
}
