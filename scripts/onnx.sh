#!/usr/bin/env bash
# ONNX interoperability: the JavaScript runtimes the checks and the browser
# benchmark use, installed from npm at the versions pinned in
# bench/onnx/package.json (+ package-lock.json, integrity-checked) into
# .cache/onnx/node_modules. Never committed.
#
#   scripts/onnx.sh install     onnxruntime-node and onnxruntime-web (idempotent; offline-safe:
#                               ONNXRUNTIME_NODE_INSTALL=skip, the CPU binary ships in the package)
#   scripts/onnx.sh test        install, then go test ./onnx with the onnxruntime checks required
#   scripts/onnx.sh check RUN   install, then export RUN's best.aeir and compare onnx-go and
#                               onnxruntime-node with the Go model (aeir onnx check)
#   scripts/onnx.sh bench-web [RUN]
#                               install, then the demo's query pipeline in headless Chromium:
#                               our Go wasm engine vs onnxruntime-web on the exported model
#                               (bench/onnx/web); prints ours ÷ onnxruntime-web
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
dest=.cache/onnx

install() {
	command -v npm >/dev/null || { echo "onnx.sh: npm is missing (scripts/setup.sh installs it)" >&2; exit 1; }
	mkdir -p "$dest"
	if [ -f "$dest/node_modules/onnxruntime-node/package.json" ] && [ -f "$dest/node_modules/onnxruntime-web/package.json" ] &&
		cmp -s bench/onnx/package-lock.json "$dest/package-lock.json"; then
		return 0
	fi
	cp bench/onnx/package.json bench/onnx/package-lock.json "$dest/"
	echo "onnx.sh: installing onnxruntime-node and onnxruntime-web into $dest"
	(cd "$dest" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	cp bench/onnx/package-lock.json "$dest/package-lock.json"
}

case "${1:-install}" in
install)
	install
	;;
test)
	install
	AEIR_REQUIRE_ORT=1 $GO test -count=1 ./onnx/
	;;
check)
	[ $# -ge 2 ] || { echo "usage: scripts/onnx.sh check RUN_DIR" >&2; exit 2; }
	install
	$GO run ./cmd/aeir onnx check -run "$2" -ort require
	;;
bench-web)
	install
	shift
	exec bash bench/onnx/web.sh "$@"
	;;
*)
	echo "usage: scripts/onnx.sh install|test|check RUN|bench-web [RUN]" >&2
	exit 2
	;;
esac
