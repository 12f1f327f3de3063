#!/usr/bin/env bash
# S3 throughput and memory of Stratus vs moto: bench/s3.sh [--duration N] [--big-mib N]
# Uses the same Python environment, pins and wrk as bench/run.sh.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
STRATUS_BIN="${STRATUS_BIN:-$ROOT/target/release/stratus}"
venv="$ROOT/.venv"; [[ -x "$venv/bin/python" ]] || venv="$ROOT/.venv-bench"
moto=""
if [[ "${BENCH_SKIP_MOTO:-}" != 1 ]]; then
  "$venv/bin/python" -m pip install -q -r "$BENCH_DIR/requirements.txt" >&2 || echo "s3.sh: moto install failed; measuring Stratus only" >&2
  [[ -x "$venv/bin/moto_server" ]] && moto="$venv/bin/moto_server"
fi
cd "$BENCH_DIR"
exec "$venv/bin/python" s3.py --stratus-bin "$STRATUS_BIN" --moto-server "$moto" "$@"
