#!/usr/bin/env bash
# Instance runtime: RunInstances to the first answer of the instance's web
# server, and how many idle instances one machine holds. Needs root.
# bench/instances.sh [--launches N] [--idle N]
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
STRATUS_BIN="${STRATUS_BIN:-$ROOT/target/release/stratus}"
venv="$ROOT/.venv"; [[ -x "$venv/bin/python" ]] || venv="$ROOT/.venv-bench"
cd "$BENCH_DIR"
exec "$venv/bin/python" instances.py --stratus-bin "$STRATUS_BIN" "$@"
