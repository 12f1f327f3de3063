#!/usr/bin/env bash
# CloudWatch PutMetricData samples/s and GetMetricData latency, Stratus vs moto:
# bench/cloudwatch.sh [--samples N] [--connections N] [--runs N]
# Uses the same Python environment and pins as bench/run.sh.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
STRATUS_BIN="${STRATUS_BIN:-$ROOT/target/release/stratus}"
venv="$ROOT/.venv"; [[ -x "$venv/bin/python" ]] || venv="$ROOT/.venv-bench"
moto=""
if [[ "${BENCH_SKIP_MOTO:-}" != 1 ]]; then
  "$venv/bin/python" -m pip install -q -r "$BENCH_DIR/requirements.txt" >&2 || echo "cloudwatch.sh: moto install failed; measuring Stratus only" >&2
  [[ -x "$venv/bin/moto_server" ]] && moto="$venv/bin/moto_server"
fi
cd "$BENCH_DIR"
exec "$venv/bin/python" cloudwatch.py --stratus-bin "$STRATUS_BIN" --moto-server "$moto" "$@"
