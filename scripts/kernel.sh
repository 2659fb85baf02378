#!/usr/bin/env bash
# The project's Jupyter kernel for Go (kernel/): build, install, test.
#
#   scripts/kernel.sh build          build bin/aeir-kernel
#   scripts/kernel.sh install        build, then write its kernelspec into
#                                    .cache/jupyter (put it on JUPYTER_PATH)
#   scripts/kernel.sh test           the kernel's Go tests (a zmq client
#                                    drives a running kernel)
#   scripts/kernel.sh notebooks [NB...]
#                                    install, then execute notebooks headless
#                                    (default: notebooks/*.ipynb); fails on a
#                                    cell error or a missing figure
#   scripts/kernel.sh check-drift    regenerate the import tables in a temporary
#                                    directory; fail if kernel/imports differs
#   scripts/kernel.sh gen            regenerate kernel/imports (kernel/gen.sh)
#   scripts/kernel.sh notebook       install, then start Jupyter Notebook on
#                                    notebooks/ with this kernel
#   scripts/kernel.sh deps [notebook]
#                                    install the Debian packages needed to run
#                                    notebooks (and Jupyter Notebook) if missing
#
# Everything is quiet on success except the notebook summary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
spec_dir=$root/.cache/jupyter
export JUPYTER_PATH="$spec_dir${JUPYTER_PATH:+:$JUPYTER_PATH}"
python=/usr/bin/python3

deps() {
	local need=()
	$python -c 'import nbclient, nbformat, jupyter_client, zmq' 2>/dev/null || need+=(python3-nbclient python3-zmq)
	if [ "${1:-}" = notebook ]; then
		command -v jupyter-notebook >/dev/null || need+=(jupyter-notebook)
	fi
	if [ "${#need[@]}" -gt 0 ]; then
		local sudo=
		[ "$(id -u)" -ne 0 ] && sudo=sudo
		echo "kernel.sh: installing ${need[*]}" >&2
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
	fi
}

build() {
	(cd kernel && go build -o "$root/bin/aeir-kernel" .)
}

install() {
	build
	"$root/bin/aeir-kernel" -install "$spec_dir" >/dev/null
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
build) build ;;
install) install ;;
test) (cd kernel && go test -count=1 ./...) ;;
notebooks)
	deps
	install
	if [ $# -eq 0 ]; then set -- notebooks/*.ipynb; fi
	$python kernel/nbrun.py "$@"
	;;
check-drift)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	kernel/gen.sh "$tmp/imports"
	cp kernel/imports/imports.go "$tmp/imports/"
	if ! diff -r kernel/imports "$tmp/imports" >"$tmp/diff"; then
		head -n 60 "$tmp/diff" >&2
		echo "kernel.sh: kernel/imports is out of date with the packages it imports: run kernel/gen.sh (or scripts/kernel.sh gen) and commit the result" >&2
		exit 1
	fi
	;;
gen) kernel/gen.sh ;;
notebook)
	deps notebook
	install
	root_flag=()
	[ "$(id -u)" -eq 0 ] && root_flag=(--allow-root) # Jupyter refuses root otherwise
	exec jupyter-notebook --notebook-dir="$root/notebooks" "${root_flag[@]}" "$@"
	;;
deps) deps "$@" ;;
*)
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2
	exit 2
	;;
esac
