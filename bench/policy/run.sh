#!/usr/bin/env bash
# Runs the lint benchmark (50,000 resources from ../shared/corpus, the full
# built-in pack) and prints one line per figure, `name: value unit`. The full
# Google Benchmark report goes to stderr.
# usage: bench/policy/run.sh [BENCH_DIR]   (default build/bench/policy)
set -euo pipefail
dir=${1:-build/bench/policy}
bin="$dir/lint_bench"
if [ ! -x "$bin" ]; then
  echo "lint_bench: not built ($bin missing)" >&2
  exit 1
fi
out=$("$bin" --benchmark_counters_tabular=true)
echo "$out" >&2
echo "$out" | grep -E '^[a-z][a-z0-9_]*: '
