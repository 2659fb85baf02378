#!/usr/bin/env bash
# Installs what the build and tests need, idempotently: Debian packages
# with apt-get (only when a command is missing) and Go modules by the exact
# versions in go.mod. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

#   scripts/setup.sh        everything make test needs
#   scripts/setup.sh data   only what the data build needs (make data, data-64, data-check)
what=${1:-all}
need=()
command -v rsvg-convert >/dev/null || need+=(librsvg2-bin)  # OpenMoji SVG → PNG for `make data`
command -v npm >/dev/null || need+=(npm)                     # `npm pack` of the data sources
[ "$what" = data ] || {
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)  # eval's independent reference
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need+=(chromium)  # the demo's browser tests and make bench-web
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || need+=(python3-sklearn)  # t-SNE reference (tsne tests, bench/tsne)
/usr/bin/python3 -c 'import nbclient' 2>/dev/null || need+=(python3-nbclient)  # notebooks run headless
}
if [ "${#need[@]}" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
	echo "setup: installing Debian packages for the tests, the data build and the benchmarks: ${need[*]}"
	echo "setup: (with their dependencies, a few minutes on a fresh machine; each package is named as it is set up)"
	log=$(mktemp)
	$SUDO apt-get update -qq
	set +o pipefail # the install's own status is checked below
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}" 2>&1 | tee "$log" |
		grep --line-buffered '^Setting up ' | sed -u 's/^/setup: /'
	status=${PIPESTATUS[0]}
	set -o pipefail
	if [ "$status" -ne 0 ]; then cat "$log" >&2; rm -f "$log"; exit "$status"; fi
	rm -f "$log"
fi
if [ "$what" = data ]; then
	go mod download
	exit 0
fi
echo "setup: Go modules (go.mod, kernel/go.mod)"
go mod download
(cd kernel && go mod download)
./scripts/onnx.sh install   # onnxruntime-node/-web into .cache/onnx for the ONNX checks and bench-web
