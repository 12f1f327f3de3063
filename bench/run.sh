#!/usr/bin/env bash
# Benchmark Stratus against moto's server on this machine.
#
#   bench/run.sh [--quick] [sts|dynamodb|all]     (default: all)
#
# Prepares what the measurement needs (a Python venv with the pinned moto and
# boto3, and wrk), then hands over to bench/bench.py, which starts the servers,
# measures, stops them and writes bench/results/latest.{md,json}.
#
# Environment:
#   STRATUS_BIN      binary to measure (default: target/release/stratus)
#   BENCH_GENERATOR  wrk (default) or python, to force the fallback generator
#   BENCH_SKIP_MOTO  1 to measure Stratus alone (no moto install, no baseline)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"

log() { echo "run.sh: $*" >&2; }

quick=()
suite=all
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick) ;;
    sts|dynamodb|all) suite="$arg" ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown argument: $arg (usage: bench/run.sh [--quick] [sts|dynamodb|all])"; exit 2 ;;
  esac
done

STRATUS_BIN="${STRATUS_BIN:-$ROOT/target/release/stratus}"
if [[ ! -x "$STRATUS_BIN" ]]; then
  log "no Stratus binary at $STRATUS_BIN; build it first: cargo build --release"
  exit 2
fi

# --- Python: the project's venv when there is one, so the bench does not keep
# a second copy of the same packages; otherwise a venv of its own.
if [[ -x "$ROOT/.venv/bin/python" ]]; then
  venv="$ROOT/.venv"
else
  venv="$ROOT/.venv-bench"
  if [[ ! -x "$venv/bin/python" ]]; then
    log "creating $venv"
    python3 -m venv "$venv"
  fi
fi
py="$venv/bin/python"

# Installed versions must equal the pins exactly, or the moto baseline would
# drift between runs without anyone noticing.
pins_satisfied() {
  "$py" - "$BENCH_DIR/requirements.txt" <<'EOF'
import importlib.metadata as md, re, sys
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, version = re.match(r"([A-Za-z0-9_.-]+)(?:\[.*\])?==(\S+)", line).groups()
    try:
        if md.version(name) != version:
            sys.exit(1)
    except md.PackageNotFoundError:
        sys.exit(1)
EOF
}

moto_server=""
if [[ "${BENCH_SKIP_MOTO:-0}" != 1 ]]; then
  if ! pins_satisfied; then
    log "installing pinned moto[server] and boto3 into $venv"
    "$py" -m pip install --quiet --disable-pip-version-check -r "$BENCH_DIR/requirements.txt" \
      || log "pip install failed; moto will not be measured"
  fi
  if pins_satisfied && [[ -x "$venv/bin/moto_server" ]]; then
    moto_server="$venv/bin/moto_server"
  else
    log "moto_server $(grep -o 'moto\[server\]==[^ ]*' "$BENCH_DIR/requirements.txt") unavailable; Stratus only"
  fi
fi

# --- Load generator: wrk from Debian. It is C with pre-formatted requests, so
# it leaves more of the 2 cores to the server than any Python client could.
generator="${BENCH_GENERATOR:-wrk}"
if [[ "$generator" == wrk ]] && ! command -v wrk >/dev/null 2>&1; then
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing wrk with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine may have no package lists yet; update only when needed.
    apt-get install -y -q wrk >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; } \
      || true
  fi
  if ! command -v wrk >/dev/null 2>&1; then
    log "wrk unavailable; using the Python asyncio load generator (slower client, see README)"
    generator=python
  fi
fi

# exec: bench.py becomes the process that owns the servers and gets the signals.
exec "$py" "$BENCH_DIR/bench.py" ${quick[@]+"${quick[@]}"} \
  --suite "$suite" \
  --stratus-bin "$STRATUS_BIN" \
  --moto-server "$moto_server" \
  --generator "$generator" \
  --out-dir "$BENCH_DIR/results"
