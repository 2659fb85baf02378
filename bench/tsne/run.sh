#!/usr/bin/env bash
# t-SNE benchmark: aeir/tsne against scikit-learn's TSNE (Barnes–Hut,
# same defaults) on the same clustered N×D float32 points, timed in the
# same run, with every thread count in THREADS (default: all cores, then 1).
# Prints each run's wall time, reported KL, exact KL over the same P, and
# trustworthiness, then the time ratio per thread count.
#
#   bash bench/tsne/run.sh                 # 5000 × 256, 20 clusters
#   N=10000 D=128 THREADS="2" bash bench/tsne/run.sh
#
# Needs /usr/bin/python3 with numpy and scikit-learn (Debian python3-sklearn).
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-5000}
D=${D:-256}
C=${C:-20}
SEED=${SEED:-1}
THREADS=${THREADS:-"$(nproc) 1"}
PY=/usr/bin/python3

if ! $PY -c 'import sklearn, threadpoolctl' 2>/dev/null; then
	echo "bench/tsne: needs $PY with scikit-learn (apt-get install python3-sklearn)" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/tsne-go" ./bench/tsne
$PY bench/tsne/compare.py gen "$work/x.f32" "$N" "$D" "$C" "$SEED"

: >"$work/results.jsonl"
for th in $THREADS; do
	echo "threads $th: Go…" >&2
	GOMAXPROCS=$th "$work/tsne-go" -x "$work/x.f32" -n "$N" -d "$D" -y "$work/go-$th.f64" -workers "$th" |
		$PY -c "import json,sys; r=json.load(sys.stdin); r.update(name='aeir/tsne (Go)', tool='go', threads=$th, y='$work/go-$th.f64'); print(json.dumps(r))" \
			>>"$work/results.jsonl"
	echo "threads $th: scikit-learn…" >&2
	OMP_NUM_THREADS=$th OPENBLAS_NUM_THREADS=$th \
		$PY bench/tsne/compare.py sklearn "$work/x.f32" "$N" "$D" "$work/sk-$th.f64" "$th" |
		$PY -c "import json,sys; r=json.load(sys.stdin); r.update(name='scikit-learn $($PY -c 'import sklearn; print(sklearn.__version__)')', tool='sklearn', y='$work/sk-$th.f64'); print(json.dumps(r))" \
			>>"$work/results.jsonl"
done
$PY bench/tsne/compare.py report "$work/x.f32" "$N" "$D" "$work/results.jsonl"
