// Command wasmstep runs the training-speed benchmark's Go half
// (bench/torch, the trainer's own step via train.Speed) compiled to
// WebAssembly, in headless Chromium, and prints what it printed: one JSON
// line with samples per second, for scripts/bench.sh to set beside the
// native build and PyTorch. The program is the same source as the native
// measurement; only the matrix kernels differ: the WebAssembly SIMD ones
// (nn/simd_wasm.go, with -simd) or the pure-Go ones.
//
//	GOOS=js GOARCH=wasm go build -o torch.wasm ./bench/torch
//	go run ./bench/wasmstep -wasm torch.wasm -simd -- -method aeir -steps 33 -warmup 3 -variant wasm-simd
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"aeir/wasm/simd"
	"aeir/web/browser"
)

//go:embed page
var page embed.FS

type result struct {
	Out       string `json:"out"`
	Code      int    `json:"code"`
	SIMD      bool   `json:"simd"`
	UserAgent string `json:"userAgent"`
	Error     string `json:"error"`
}

func main() {
	wasm := flag.String("wasm", "", "the program built with GOOS=js GOARCH=wasm (bench/torch)")
	withSIMD := flag.Bool("simd", true, "link the SIMD kernels (else the pure-Go kernels run)")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after")
	flag.Parse()
	if err := run(*wasm, *withSIMD, *timeout, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "bench/wasmstep:", err)
		os.Exit(1)
	}
}

func run(wasm string, withSIMD bool, timeout time.Duration, args []string) error {
	if wasm == "" {
		return errors.New("-wasm is required: GOOS=js GOARCH=wasm go build -o torch.wasm ./bench/torch")
	}
	prog, err := os.ReadFile(wasm)
	if err != nil {
		return err
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	execJS, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return err
	}
	simdJS, err := os.ReadFile(filepath.Join("site", "simd.js"))
	if err != nil {
		return fmt.Errorf("%w (run from the repository root)", err)
	}
	cfg, err := json.Marshal(map[string]any{"args": args, "simd": withSIMD})
	if err != nil {
		return err
	}
	files := map[string][]byte{"prog.wasm": prog, "wasm_exec.js": execJS, "simd.js": simdJS, "simd.wasm": simd.Module(), "run.json": cfg}
	sub, _ := fs.Sub(page, "page")
	for _, n := range []string{"index.html", "run.js"} {
		if files[n], err = fs.ReadFile(sub, n); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		switch filepath.Ext(r.URL.Path) {
		case ".wasm":
			w.Header().Set("Content-Type", "application/wasm")
		case ".js":
			w.Header().Set("Content-Type", "text/javascript")
		case ".html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	prof, err := os.MkdirTemp("", "aeir-chromium-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(prof)
	bctx, bcancel, err := browser.New(ctx, prof, 800, 600)
	if err != nil {
		return err
	}
	defer bcancel()
	if _, err := chromedp.Run(bctx, chromedp.Navigate("http://"+ln.Addr().String()+"/index.html")); err != nil {
		return fmt.Errorf("browser: %w", err)
	}
	res, err := chromedp.Run(bctx, chromedp.Poll[result](`window.runResult`,
		chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(200*time.Millisecond)))
	if err != nil {
		return fmt.Errorf("browser: waiting for the program: %w", err)
	}
	if res.Error != "" {
		return fmt.Errorf("page: %s", res.Error)
	}
	if res.SIMD != withSIMD {
		return fmt.Errorf("the SIMD kernels are %v, want %v", res.SIMD, withSIMD)
	}
	fmt.Print(res.Out)
	if res.Code != 0 {
		return fmt.Errorf("the program exited with code %d", res.Code)
	}
	return nil
}
