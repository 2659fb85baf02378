package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"aeir/data/vendormoji"
	"aeir/web"
	"aeir/web/browser"
	"aeir/web/deploy"
)

// env is shared by the tests of this package: the demo site built from
// the repository (the real WebAssembly engine and the committed assets),
// served by deploy.Handler, and one headless Chromium.
var env struct {
	skip      string
	root      string // repository root
	tmp       string
	site      string // built site
	wasm      string // the engine, and the wasm_exec.js of the Go that built it
	wasmExec  string
	artifacts string // screenshots for people to look at
	srv       *httptest.Server
	bctx      context.Context
	native    *web.Engine
	ds        *vendormoji.Dataset
	man       *deploy.Manifest
}

func TestMain(m *testing.M) {
	code, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	if code >= 0 {
		os.Exit(code)
	}
	defer teardown()
	code = m.Run()
	teardown()
	os.Exit(code)
}

var cleanups []func()

func teardown() {
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanups = nil
}

// setup returns code ≥ 0 to exit at once (0 with the tests skipped).
func setup() (int, error) {
	var err error
	env.root, err = filepath.Abs("../..")
	if err != nil {
		return 1, err
	}
	if _, err := browser.Path(); err != nil {
		env.skip = err.Error()
		return -1, nil
	}
	env.tmp, err = os.MkdirTemp("", "aeir-e2e")
	if err != nil {
		return 1, err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(env.tmp) })
	env.artifacts = os.Getenv("AEIR_ARTIFACTS")
	if env.artifacts == "" {
		env.artifacts = filepath.Join(env.root, "bin", "test-artifacts")
	}
	if err := os.MkdirAll(env.artifacts, 0o755); err != nil {
		return 1, err
	}

	// The engine, built as `make site` builds it.
	wasm := filepath.Join(env.tmp, "aeir.wasm")
	env.wasm = wasm
	for _, b := range [][2]string{{wasm, "./wasm"}, {filepath.Join(env.tmp, "aeir-user.wasm"), "./wasm/user"}} {
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", b[0], b[1])
		cmd.Dir = env.root
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			return 1, fmt.Errorf("building the engine %s: %v\n%s", b[1], err, out)
		}
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return 1, err
	}
	env.site = filepath.Join(env.tmp, "site")
	env.wasmExec = filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js")
	assets := filepath.Join(env.root, "site", "assets")
	if _, err := deploy.BuildSite(deploy.SiteOptions{
		Root: env.root, Assets: assets, Wasm: wasm, WasmExec: env.wasmExec,
		Out: env.site, Brotli: 4,
	}); err != nil {
		return 1, fmt.Errorf("building the site: %v", err)
	}
	if env.man, err = deploy.ReadManifest(assets); err != nil {
		return 1, err
	}

	// The native engine on the same files, to compare answers with.
	mb, err := os.ReadFile(filepath.Join(assets, env.man.Model.File))
	if err != nil {
		return 1, err
	}
	if env.native, err = web.NewEngine("model", mb); err != nil {
		return 1, err
	}
	gb, err := os.ReadFile(filepath.Join(assets, env.man.Galleries[0].Embeddings))
	if err != nil {
		return 1, err
	}
	if err := env.native.SetGallery("gallery", gb); err != nil {
		return 1, err
	}
	// the data set at the model's input size (the tiles uploaded as
	// pictures; the page shows the 32-px sprites whatever the model reads)
	if env.ds, err = vendormoji.LoadSize(env.root, env.native.Info().ImageSize); err != nil {
		return 1, err
	}
	for v, h := range env.man.Model.DataPixels {
		if got := vendormoji.PixelHash(env.ds.Images[v]); got != h {
			return 1, fmt.Errorf("the %d-px %s tiles here (pixels %.12s) are not those the assets were exported from (%.12s): rebuild the data or re-export", env.ds.Manifest.Size, v, got, h)
		}
	}
	texts := make([]string, len(env.ds.Concepts))
	link := make([]int, len(texts))
	for i, c := range env.ds.Concepts {
		texts[i], link[i] = c.Texts[env.man.TextStyle], i
	}
	if err := env.native.SetTexts(texts, link); err != nil {
		return 1, err
	}

	env.srv = httptest.NewServer(deploy.Handler(env.site))
	cleanups = append(cleanups, env.srv.Close)
	profile := filepath.Join(env.tmp, "profile")
	ctx, cancel, err := browser.New(context.Background(), profile, 1280, 1000)
	if err != nil {
		return 1, fmt.Errorf("starting chromium: %v", err)
	}
	env.bctx = ctx
	cleanups = append(cleanups, cancel)
	return -1, nil
}

func needBrowser(t *testing.T) {
	if env.skip != "" {
		t.Skip(env.skip)
	}
}
