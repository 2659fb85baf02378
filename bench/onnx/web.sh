#!/usr/bin/env bash
# The demo's query pipeline side by side in headless Chromium: our Go
# WebAssembly engine vs onnxruntime-web on the same model exported as ONNX.
# Prints ours ÷ onnxruntime-web (goal ≤ 1.0) and both download sizes.
#   bench/onnx/web.sh [-run RUN | -model FILE] [-json out.json] [-reps N] [-rounds N]
# Default model: site/assets/model.aeir (the demo's). Called by
# scripts/onnx.sh bench-web, which installs onnxruntime-web first.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
mkdir -p bin/onnx-bench
GOOS=js GOARCH=wasm $GO build -trimpath -ldflags='-s -w' -o bin/onnx-bench/aeir.wasm ./wasm
$GO build -o bin/onnx-bench/bench-web ./bench/onnx/web
exec bin/onnx-bench/bench-web -wasm bin/onnx-bench/aeir.wasm "$@"
