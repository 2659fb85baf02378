#!/usr/bin/env bash
# Regenerates the kernel's import tables (kernel/imports/*.go) with
# gomacro's import generator: the compiled packages that notebook cells can
# import. Run it after an imported package's API changes (CI's drift check,
# `scripts/kernel.sh check-drift`, fails until you do).
#
#   kernel/gen.sh            rewrite kernel/imports
#   kernel/gen.sh DIR        write the tables into DIR instead
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-imports}

# Standard library: gomacro's built-in tables stop at Go 1.18; these are
# regenerated from the running toolchain (generic functions are skipped).
std=(
	bufio bytes context encoding/csv encoding/json errors fmt
	image image/color image/color/palette image/draw image/png
	io io/fs math math/bits math/rand math/rand/v2 os path path/filepath
	runtime sort strconv strings sync sync/atomic text/tabwriter time
	unicode unicode/utf8
)

# Third-party packages notebooks use.
third=(
	gonum.org/v1/gonum/floats gonum.org/v1/gonum/mat gonum.org/v1/gonum/stat
	gonum.org/v1/plot gonum.org/v1/plot/palette gonum.org/v1/plot/plotter
	gonum.org/v1/plot/plotutil gonum.org/v1/plot/text gonum.org/v1/plot/vg
	gonum.org/v1/plot/vg/draw
	github.com/go-gota/gota/dataframe github.com/go-gota/gota/series
	github.com/owulveryck/onnx-go github.com/owulveryck/onnx-go/backend/x/gorgonnx
	gorgonia.org/tensor
)

# The project's packages: those that exist and build (a package still being
# written is left out, with a warning).
project=()
for p in data data/vendormoji data/formats eval model nn onnx train run text plots tsne; do
	ls ../$p/*.go 2>/dev/null | grep -qv '_test\.go$' || continue
	if go build "aeir/$p" 2>/dev/null; then
		project+=("aeir/$p")
	else
		echo "gen.sh: warning: aeir/$p does not build; its table is left out" >&2
	fi
done

# The kernel's own display package (imported in cells as "display").
own=(aeir/kernel/display)

go run ./cmd/genimports -out "$out" -root .. "${std[@]}" "${third[@]}" "${project[@]}" "${own[@]}"
if [ "$out" = imports ]; then
	# Record modules the new tables import (exact versions from the root
	# module; nothing is upgraded).
	go mod tidy
fi
