#!/usr/bin/env bash
# Redraws the figures in docs/figures from short runs of the default
# scenario (twemoji/en → openmoji/en, shared protocol, seed 1, 10 epochs
# each), trained into $RUNS (default runs/figures) when missing, about
# 1.5 min per run on 2 cores. Each figure is one `aeir plot` command;
# FORMAT=pdf or FORMAT=svg writes that format instead of PNG.
#
#   bash docs/figures/make.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${RUNS:-runs/figures}
fmt=${FORMAT:-png}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
aeir=$tmp/aeir
go build -o "$aeir" ./cmd/aeir
for m in source-only dann aeir oracle; do
	if [ ! -f "$runs/$m/best.aeir" ]; then
		"$aeir" train -method "$m" -epochs 10 -out "$runs/$m" -q
	fi
done

"$aeir" plot tsne -run "$runs/aeir" -before init -o "docs/figures/tsne.$fmt"
"$aeir" plot recall -run "$runs/source-only" -run "$runs/dann" -run "$runs/aeir" -run "$runs/oracle" -o "docs/figures/recall.$fmt"
"$aeir" plot curves -run "$runs/aeir" -o "docs/figures/curves.$fmt"
if [ -f results/image.csv ]; then
	"$aeir" plot results -csv results/image.csv -o "docs/figures/results.$fmt"
fi
