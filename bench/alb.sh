#!/usr/bin/env bash
# ALB data plane requests/s and added latency, through the load balancer vs
# straight to the target: bench/alb.sh [--duration S] [--connections N]
# Uses the same Python environment as bench/run.sh (boto3) and wrk.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
STRATUS_BIN="${STRATUS_BIN:-$ROOT/target/release/stratus}"
venv="$ROOT/.venv"; [[ -x "$venv/bin/python" ]] || venv="$ROOT/.venv-bench"
command -v wrk >/dev/null || { echo "alb.sh: wrk is needed (apt-get install wrk)" >&2; exit 1; }
cd "$BENCH_DIR"
exec "$venv/bin/python" alb.py --stratus-bin "$STRATUS_BIN" "$@"
