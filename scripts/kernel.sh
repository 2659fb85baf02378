#!/usr/bin/env bash
# The project's Jupyter kernel for Go (kernel/): build, install, test, and
# run the notebooks. It installs only what these need, when missing: Go
# modules (go mod download), and for notebooks Debian's python3-nbclient
# and python3-zmq (jupyter-notebook for `notebook`); not the rest of the
# test stack scripts/setup.sh sets up.
#
#   scripts/kernel.sh build          build bin/aeir-kernel
#   scripts/kernel.sh install        build, then write its kernelspec (aeir-go)
#                                    into .cache/jupyter (put it on JUPYTER_PATH)
#   scripts/kernel.sh test           the kernel's Go tests (a zmq client
#                                    drives a running kernel)
#   scripts/kernel.sh notebooks [NB...]
#                                    install, then execute notebooks headless
#                                    (default: notebooks/*.ipynb) in a copy; fails
#                                    on a cell error, a missing figure, or saved
#                                    outputs that differ from the fresh run's
#   scripts/kernel.sh notebooks-save [NB...]
#                                    the same runs, written back into the
#                                    notebooks (outputs and all)
#   scripts/kernel.sh check-drift    regenerate the import tables in a temporary
#                                    directory; fail if kernel/imports differs
#   scripts/kernel.sh gen            regenerate kernel/imports (kernel/gen.sh)
#   scripts/kernel.sh notebook       install, then start Jupyter Notebook on
#                                    notebooks/ with this kernel
#   scripts/kernel.sh deps [notebooks|notebook]
#                                    install what the kernel (Go modules), the
#                                    headless notebook run or Jupyter Notebook
#                                    need, if missing
#
# Everything is quiet on success except the notebook summary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
spec_dir=$root/.cache/jupyter
export JUPYTER_PATH="$spec_dir${JUPYTER_PATH:+:$JUPYTER_PATH}"
python=/usr/bin/python3

deps() {
	(cd kernel && go mod download)
	local need=()
	case ${1:-} in
	notebooks | notebook)
		$python -c 'import nbclient, nbformat, jupyter_client, zmq' 2>/dev/null || need+=(python3-nbclient python3-zmq)
		;;
	esac
	if [ "${1:-}" = notebook ]; then
		command -v jupyter-notebook >/dev/null || need+=(jupyter-notebook)
	fi
	if [ "${#need[@]}" -gt 0 ]; then
		local sudo=
		[ "$(id -u)" -ne 0 ] && sudo=sudo
		echo "kernel.sh: installing ${need[*]} (Debian packages, for the notebooks)" >&2
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
	# The kernelspec was called gophernotes before it had a name of its own.
	local old=$spec_dir/kernels/gophernotes/kernel.json
	if [ -f "$old" ] && grep -q aeir-kernel "$old"; then
		rm -rf "$spec_dir/kernels/gophernotes"
	fi
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
build)
	deps
	build
	;;
install)
	deps
	install
	;;
test)
	deps
	(cd kernel && go test -count=1 ./...)
	;;
notebooks | notebooks-save)
	deps notebooks
	install
	save=()
	[ "$cmd" = notebooks-save ] && save=(--save)
	if [ $# -eq 0 ]; then set -- notebooks/*.ipynb; fi
	$python kernel/nbrun.py "${save[@]}" "$@"
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
