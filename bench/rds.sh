#!/usr/bin/env bash
# RDS with real servers: bench/rds.sh [--rounds N]
# Needs PostgreSQL and MariaDB (./test.sh installs them) and the test venv.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
STRATUS_BIN="${STRATUS_BIN:-$ROOT/target/release/stratus}"
venv="$ROOT/.venv"
[[ -x "$venv/bin/python" ]] || { echo "rds.sh: run ./test.sh first (it makes .venv)" >&2; exit 1; }
cd "$BENCH_DIR"
exec "$venv/bin/python" rds.py --stratus-bin "$STRATUS_BIN" "$@"
