#!/usr/bin/env bash
# `make bench`: every side-by-side speed figure of the project in one run.
#
#   1. Training step against PyTorch (bench/torch): our trainer's own step
#      and a PyTorch reference of it (same weights, inputs and losses) on
#      the default scenario, for the source-only and the full AEIR step,
#      interleaved and repeated REPS times; prints samples/s, peak memory
#      and ours ÷ PyTorch (min / median / max over the repeats), for our
#      default build (AVX2/FMA assembly kernel on amd64) and for the pure-Go
#      build (-tags noasm, the kernel of WebAssembly's fallback), and for
#      the same program compiled to WebAssembly in headless Chromium
#      (bench/wasmstep; SIMD kernels, and pure-Go ones over
#      WASM_PURE_STEPS steps) with its ratio to the native build, and
#      compares the two loss curves. SKIP="wasm" leaves out the browser.
#   2. t-SNE against scikit-learn (bench/tsne/run.sh).
#   3. The demo's queries in headless Chromium against onnxruntime-web
#      (bench/onnx/web.sh via scripts/onnx.sh bench-web): our engine with
#      its SIMD kernels, and with its pure-Go ones (the fallback, and the
#      engine as it was before them), in the same page.
#   4. Adapting in the page (bench/adapt): the Noto gallery as image files
#      in the "Your gallery" panel, the page's Adapt budget; steps per
#      second in the page ÷ the same steps native, time to embed and to
#      adapt, the gallery engine's peak memory, rsum before and after.
#
# Installs what it needs (Debian python3-torch, python3-sklearn; chromium
# and onnxruntime-web through scripts/setup.sh), idempotently.
#   REPS=5 STEPS=43 WARMUP=3 make bench        SKIP="tsne web wasm adapt" make bench
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
STEPS=${STEPS:-33}
WARMUP=${WARMUP:-3}
SKIP=${SKIP:-}
PY=/usr/bin/python3

./scripts/setup.sh
if ! $PY -c 'import torch' 2>/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
	echo "bench: installing python3-torch (the PyTorch reference)"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/go-asm" ./bench/torch
go build -tags noasm -o "$work/go-noasm" ./bench/torch
# The same program compiled to WebAssembly, run in headless Chromium by
# bench/wasmstep: with the SIMD kernels (what the page runs) and with the
# pure-Go ones (its fallback; fewer steps, it is slow).
WASM_PURE_STEPS=${WASM_PURE_STEPS:-13}
if [[ " $SKIP " != *" wasm "* ]]; then
	GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$work/torch.wasm" ./bench/torch
	go build -o "$work/wasmstep" ./bench/wasmstep
fi

echo "== 1. training step: Go vs PyTorch ($REPS repeats of $STEPS steps, the first $WARMUP not timed)"
for m in source-only aeir; do
	"$work/go-asm" -method "$m" -steps "$STEPS" -dump "$work/dump-$m"
done
: >"$work/steps.jsonl"
for r in $(seq "$REPS"); do
	for m in source-only aeir; do
		echo "  repeat $r/$REPS, $m…" >&2
		"$work/go-asm" -method "$m" -steps "$STEPS" -warmup "$WARMUP" -variant asm | sed "s/^{/{\"rep\":$r,/" >>"$work/steps.jsonl"
		"$work/go-noasm" -method "$m" -steps "$STEPS" -warmup "$WARMUP" -variant noasm | sed "s/^{/{\"rep\":$r,/" >>"$work/steps.jsonl"
		if [[ " $SKIP " != *" wasm "* ]]; then
			"$work/wasmstep" -wasm "$work/torch.wasm" -simd -- -method "$m" -steps "$STEPS" -warmup "$WARMUP" -variant wasm-simd | sed "s/^{/{\"rep\":$r,/" >>"$work/steps.jsonl"
			"$work/wasmstep" -wasm "$work/torch.wasm" -simd=false -- -method "$m" -steps "$WASM_PURE_STEPS" -warmup "$WARMUP" -variant wasm-pure | sed "s/^{/{\"rep\":$r,/" >>"$work/steps.jsonl"
		fi
		$PY bench/torch/reference.py "$work/dump-$m" --warmup "$WARMUP" | sed "s/^{/{\"rep\":$r,/" >>"$work/steps.jsonl"
	done
done
"$work/go-asm" -report "$work/steps.jsonl" | tee "$work/summary.txt"

if [[ " $SKIP " != *" tsne "* ]]; then
	echo
	echo "== 2. t-SNE: aeir/tsne vs scikit-learn"
	bash bench/tsne/run.sh 2>/dev/null | tee "$work/tsne.txt"
	grep 'time =' "$work/tsne.txt" | sed 's/^/  t-SNE, /' >>"$work/summary.txt" || true
fi

if [[ " $SKIP " != *" web "* ]]; then
	echo
	echo "== 3. the demo's queries in headless Chromium: Go WebAssembly vs onnxruntime-web"
	./scripts/onnx.sh bench-web 2>/dev/null | tee "$work/web.txt"
	grep -E 'both: ours|pure-Go kernels' "$work/web.txt" | sed 's/^ */  browser, /' >>"$work/summary.txt" || true
fi

if [[ " $SKIP " != *" adapt "* ]]; then
	echo
	echo "== 4. adapting in the page: Noto gallery, the page's budget"
	make -s site >/dev/null
	go run ./bench/adapt -dir site/dist | tee "$work/adapt.txt"
	grep -E 'page/native' "$work/adapt.txt" | sed 's/^/  adapt, /; s/page\/native/page ÷ native/' >>"$work/summary.txt" || true
fi

echo
echo "== every ratio"
grep -E '÷|time =' "$work/summary.txt"
