#!/usr/bin/env bash
# Runs the state store benchmarks (LMDB and a private etcd 3.4 on loopback, both
# durable) and prints one line per figure, `name: value unit`. The full Google
# Benchmark report goes to stderr.
# usage: bench/store/run.sh [BENCH_DIR]   (default build/bench/store)
# GORCH_BENCH_SECONDS sets the length of each throughput run (default 3).
set -euo pipefail
dir=${1:-build/bench/store}
bin="$dir/store_bench"
if [ ! -x "$bin" ]; then
  echo "store_bench: not built ($bin missing)" >&2
  exit 1
fi
out=$("$bin" --benchmark_counters_tabular=true)
echo "$out" >&2
echo "$out" | grep -E '^[a-z][a-z0-9_]*: '
