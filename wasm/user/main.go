//go:build js && wasm

// Command user is the page's second Go program: a user's own gallery,
// searched with its own engine, and AEIR's adaptation to it (package web
// over train.Adapter, the code `aeir adapt` runs natively). The worker
// (site/worker.js) downloads it only when the "Your gallery" panel is
// used, so the search engine (aeir/wasm) stays small; it defines the
// global object aeirUser (package aeir/wasm/jsapi) and calls
// aeirUserReady once it is up. The methods and their order are listed in
// main.
//
// Build: GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o aeir-user.wasm ./wasm/user
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"syscall/js"

	"aeir/train"
	"aeir/wasm/jsapi"
	"aeir/web"
	"aeir/web/adapt"
)

// user is the user's gallery: the engine that searches it, what it was
// built from, and the model file it holds (the shipped one or adapted).
var user struct {
	eng       *web.Engine
	gal       *adapt.Gallery
	sentences []string
	modelFile []byte
	adapted   bool
}

func main() {
	// A smaller heap target: WebAssembly memory only grows, so the
	// page keeps the peak (bench/adapt: 598 MB at the default 100, 551 MB
	// at 25, the same steps per second).
	debug.SetGCPercent(25)
	jsapi.Serve("aeirUser", "aeirUserReady", map[string]func(args []js.Value) any{
		"loadModel": loadModel, // (name, bytes): the shipped model, which a new gallery starts from
		// a gallery: userBegin, userAddFile or userAddPixels for each image, userFinish
		"userBegin": userBegin, "userAddFile": userAddFile, "userAddPixels": userAddPixels, "userFinish": userFinish,
		"userRestore": userRestore, "userSetSentences": userSetSentences, "userClear": userClear, "userInfo": userInfo, "userTiles": userTiles,
		"userSentences": userSentences, "userSearchText": userSearchText, "userImageTexts": userImageTexts,
		"userSearchImage": userSearchImage, "userEval": userEval,
		// adapting: adaptBegin, adaptStep until done (or adaptCancel), adaptFinish
		"adaptBegin": adaptBegin, "adaptStep": adaptStep, "adaptCancel": adaptCancel, "adaptFinish": adaptFinish,
	})
}

// info describes the shipped model; modelFile is its file.
var (
	info      web.ModelInfo
	modelFile []byte
)

var errNoModel = errors.New("no model is loaded")

// loadModel(name, bytes) reads the shipped model.
func loadModel(args []js.Value) any {
	b := jsapi.Bytes(args[1])
	e, err := web.NewEngine(args[0].String(), b)
	if err != nil {
		return fail(err)
	}
	info, modelFile = e.Info(), b
	return map[string]any{"method": info.Method, "imageSize": info.ImageSize}
}

var (
	pending *adapt.Gallery // a gallery being built (userBegin … userFinish)
	run     *train.Adapter // an adaptation under way (adaptBegin … adaptFinish)
	source  struct {       // the last source pairs file decoded
		sum   [32]byte
		pairs *adapt.SourcePairs
	}
)

var errNoUser = errors.New("no gallery of yours is loaded")

var (
	fail         = jsapi.Fail
	progressFunc = jsapi.Progress
	bytesArg     = jsapi.Bytes
	hits         = jsapi.Hits
)

// userBegin() starts a new gallery; the loaded one stays until
// userFinish succeeds.
func userBegin(args []js.Value) any {
	if modelFile == nil {
		return fail(errNoModel)
	}
	in := info
	if in.ImageSize == 0 {
		return fail(&web.InputError{Msg: "This model reads precomputed image features, so it cannot embed pictures."})
	}
	pending = adapt.NewGallery(in.ImageSize, in.Fit)
	return map[string]any{"size": in.ImageSize}
}

// userAddFile(name, bytes) decodes a small image file here; a larger one
// gives {error, input, browser: true} (the worker scales it and calls
// userAddPixels).
func userAddFile(args []js.Value) any {
	if pending == nil {
		return fail(errors.New("userAddFile before userBegin"))
	}
	name := args[0].String()
	info, err := pending.AddFile(name, bytesArg(args[1]))
	if errors.Is(err, adapt.ErrBrowserDecode) {
		return map[string]any{"error": err.Error(), "input": true, "browser": true}
	}
	if err != nil {
		return fail(err)
	}
	return map[string]any{"index": len(pending.Names) - 1, "width": info.Width, "height": info.Height, "format": info.Format}
}

// userAddPixels(name, rgba, width, height) adds decoded pixels.
func userAddPixels(args []js.Value) any {
	if pending == nil {
		return fail(errors.New("userAddPixels before userBegin"))
	}
	if err := pending.AddPixels(args[0].String(), bytesArg(args[1]), args[2].Int(), args[3].Int()); err != nil {
		return fail(err)
	}
	return map[string]any{"index": len(pending.Names) - 1}
}

// sentencesArg reads (name, text): the user's sentences file, or with
// name "" the shipped sentences joined by NUL.
func sentencesArg(name, text string) ([]string, error) {
	if name == "" {
		return strings.Split(text, "\x00"), nil
	}
	return adapt.ParseSentences("“"+name+"”", text)
}

// setUser swaps in a user engine for gallery g with the model file mf.
func setUser(mf []byte, g *adapt.Gallery, sentences []string, adapted bool, progress js.Value) any {
	e, err := adapt.NewEngine(mf, g, sentences, progressFunc(progress))
	if err != nil {
		return fail(err)
	}
	user.eng, user.gal, user.sentences, user.modelFile, user.adapted = e, g, sentences, mf, adapted
	run = nil
	return map[string]any{"images": len(g.Names), "sentences": len(sentences)}
}

// userFinish(sentencesName, sentencesText, progress) embeds the pending
// gallery and the sentences with the shipped model and makes it the
// user's gallery.
func userFinish(args []js.Value) any {
	if pending == nil {
		return fail(errors.New("userFinish before userBegin"))
	}
	g := pending
	sentences, err := sentencesArg(args[0].String(), args[1].String())
	if err != nil {
		return fail(err)
	}
	r := setUser(modelFile, g, sentences, false, args[2])
	pending = nil
	return r
}

// userRestore(modelBytes|null, tiles, count, size, sentencesName,
// sentencesText, progress) rebuilds a stored gallery: its tiles, its
// sentences and its model (null: the shipped one).
func userRestore(args []js.Value) any {
	if modelFile == nil {
		return fail(errNoModel)
	}
	mf, adapted := modelFile, false
	if args[0].Truthy() {
		mf, adapted = bytesArg(args[0]), true
	}
	if len(args) < 7 || args[2].Type() != js.TypeNumber || args[3].Type() != js.TypeNumber || args[4].Type() != js.TypeString || args[5].Type() != js.TypeString {
		return fail(errors.New("userRestore(model|null, tiles, count, size, sentencesName, sentencesText, progress): bad arguments"))
	}
	in := info
	n, size := args[2].Int(), args[3].Int()
	tiles := bytesArg(args[1])
	if size != in.ImageSize || n < 2 || n > web.MaxUserImages || len(tiles) != n*size*size*4 {
		return fail(fmt.Errorf("the stored gallery (%d tiles of %d px, %d bytes) does not fit this model (%d px)", n, size, len(tiles), in.ImageSize))
	}
	g := adapt.NewGallery(size, in.Fit)
	g.Tiles = tiles
	for i := range n {
		g.Names = append(g.Names, fmt.Sprintf("image %d", i+1))
	}
	sentences, err := sentencesArg(args[4].String(), args[5].String())
	if err != nil {
		return fail(err)
	}
	return setUser(mf, g, sentences, adapted, args[6])
}

// userSetSentences(sentencesName, sentencesText) gives the gallery other
// sentences (name "": the shipped ones, joined by NUL), keeping its model
// and image embeddings.
func userSetSentences(args []js.Value) any {
	if user.eng == nil {
		return fail(errNoUser)
	}
	if args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
		return fail(errors.New("userSetSentences(name, text): two strings"))
	}
	sentences, err := sentencesArg(args[0].String(), args[1].String())
	if err != nil {
		return fail(err)
	}
	if err := user.eng.SetTexts(sentences, nil); err != nil {
		return fail(err)
	}
	user.sentences, run = sentences, nil
	return map[string]any{"images": len(user.gal.Names), "sentences": len(sentences)}
}

func userClear(args []js.Value) any {
	user.eng, user.gal, user.sentences, user.modelFile, user.adapted = nil, nil, nil, nil, false
	pending, run = nil, nil
	return map[string]any{}
}

func userInfo(args []js.Value) any {
	if user.eng == nil {
		return map[string]any{"images": 0}
	}
	in := user.eng.Info()
	return map[string]any{"images": len(user.gal.Names), "sentences": len(user.sentences), "adapted": user.adapted,
		"method": in.Method, "scenario": in.Scenario, "size": user.gal.Size}
}

// userTiles() → {tiles, count, size}: the gallery's input tiles (RGBA).
func userTiles(args []js.Value) any {
	if user.eng == nil {
		return fail(errNoUser)
	}
	return map[string]any{"tiles": jsapi.Uint8Array(user.gal.Tiles), "count": len(user.gal.Names), "size": user.gal.Size}
}

func userSentences(args []js.Value) any {
	if user.eng == nil {
		return fail(errNoUser)
	}
	return map[string]any{"sentences": strings.Join(user.sentences, "\x00")}
}

func userSearchText(args []js.Value) any {
	if user.eng == nil {
		return fail(errNoUser)
	}
	hs, err := user.eng.SearchText(args[0].String(), args[1].Int())
	if err != nil {
		return fail(err)
	}
	return map[string]any{"hits": hits(hs)}
}

func userImageTexts(args []js.Value) any {
	if user.eng == nil {
		return fail(errNoUser)
	}
	hs, _, err := user.eng.ImageTexts(args[0].Int(), args[1].Int())
	if err != nil {
		return fail(err)
	}
	return map[string]any{"hits": hits(hs)}
}

func userSearchImage(args []js.Value) any {
	if user.eng == nil {
		return fail(errNoUser)
	}
	hs, err := user.eng.SearchImage(bytesArg(args[0]), args[1].Int(), args[2].Int(), args[3].Int())
	if err != nil {
		return fail(err)
	}
	return map[string]any{"hits": hits(hs)}
}

// userEval(textImage) → {i2t, t2i, rsum}: the gallery's recall as the
// page ranks, given the image each sentence describes (tests).
func userEval(args []js.Value) any {
	if user.eng == nil {
		return fail(errNoUser)
	}
	m, err := user.eng.Evaluate(jsapi.Ints(args[0]))
	if err != nil {
		return fail(err)
	}
	return map[string]any{"i2t": []any{m.I2T.R1, m.I2T.R5, m.I2T.R10}, "t2i": []any{m.T2I.R1, m.T2I.R5, m.T2I.R10}, "rsum": m.RSum}
}

// adaptBegin(sourceBytes, optionsJSON) prepares adapting the user
// engine's model to the gallery.
func adaptBegin(args []js.Value) any {
	if user.eng == nil {
		return fail(errNoUser)
	}
	b := bytesArg(args[0])
	if sum := sha256.Sum256(b); source.pairs == nil || sum != source.sum {
		p, err := adapt.DecodeSource("the source pairs file", b)
		if err != nil {
			return fail(err)
		}
		source.sum, source.pairs = sum, p
	}
	var req adapt.Request
	dec := json.NewDecoder(bytes.NewReader([]byte(args[1].String())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return fail(fmt.Errorf("adapt options: %w", err))
	}
	// Always from the shipped weights, as `aeir adapt` does: pressing Adapt
	// again gives the same model, and "before" is the shipped model.
	a, opt, err := adapt.New(modelFile, source.pairs, user.gal, user.sentences, req)
	if err != nil {
		return fail(err)
	}
	run = a
	ob, _ := json.Marshal(opt)
	return map[string]any{"total": a.Total(), "epochs": opt.Epochs, "batch": opt.Batch, "options": string(ob)}
}

// adaptStep(n) runs up to n steps → {done, total, epoch, parts}.
func adaptStep(args []js.Value) any {
	if run == nil {
		return fail(errors.New("no adaptation is under way"))
	}
	parts := map[string]any{}
	for range max(1, args[0].Int()) {
		if run.Done() >= run.Total() {
			break
		}
		p, err := run.Step()
		if err != nil {
			run = nil
			return fail(err)
		}
		for k, v := range p {
			parts[k] = v
		}
	}
	return map[string]any{"done": run.Done(), "total": run.Total(), "epoch": run.Epoch(), "parts": parts}
}

// adaptCancel() drops the adaptation: the user engine keeps its model.
func adaptCancel(args []js.Value) any {
	run = nil
	return map[string]any{}
}

// adaptFinish(progress) installs the adapted model in the user engine,
// re-embedding the gallery and the sentences → {model: the .aeir file}.
func adaptFinish(args []js.Value) any {
	if run == nil {
		return fail(errors.New("no adaptation is under way"))
	}
	mf, err := adapt.Finish(run, source.pairs.Domain)
	run = nil // from here on the adaptation is over, whatever happens
	if err != nil {
		return fail(err)
	}
	if r := setUser(mf, user.gal, user.sentences, true, args[0]); r.(map[string]any)["error"] != nil {
		return r
	}
	return map[string]any{"model": jsapi.Uint8Array(mf)}
}
