// Command gen writes the browser engine's SIMD kernels as a WebAssembly
// module (package aeir/wasm/simd):
//
//	go run ./wasm/simd/gen -o bin/simd.wasm
//
// `aeir export site` writes the same module into the site by itself; this
// command is for pages built outside it (bench/onnx, bench/page's
// training step) and for looking at the module.
package main

import (
	"flag"
	"fmt"
	"os"

	"aeir/wasm/simd"
)

func main() {
	out := flag.String("o", "simd.wasm", "the file to write")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "gen: unexpected arguments %q (usage: go run ./wasm/simd/gen -o simd.wasm)\n", flag.Args())
		os.Exit(2)
	}
	if err := os.WriteFile(*out, simd.Module(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
