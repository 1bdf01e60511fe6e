#!/usr/bin/env bash
# Runs the agent benchmark (needs root and containerd) and prints one line per
# figure, `name: value unit`; the progress goes to stderr.
# usage: bench/agent/run.sh [BENCH_DIR] [--pods N] [--burst B]   (default build/bench/agent; N 100, B 10; N + B must fit the node's 110 pods)
set -euo pipefail
dir=${1:-build/bench/agent}
shift || true
bin="$dir/agent_bench"
if [ ! -x "$bin" ]; then
  echo "agent_bench: not built ($bin missing)" >&2
  exit 1
fi
"$bin" "$@"
