#!/usr/bin/env bash
# Stratus test command.
#   ./test.sh          build, cargo tests, then end-to-end tests
#   ./test.sh unit     cargo tests only
#   ./test.sh e2e [PYTEST ARGS...]   end-to-end tests only (uses the built binary)
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"

MODE="${1:-all}"
[[ $# -gt 0 ]] && shift
case "$MODE" in
  all | unit | e2e) ;;
  -h | --help)
    sed -n '2,5p' "$0"
    exit 0
    ;;
  *)
    echo "usage: ./test.sh [all|unit|e2e] [pytest args...]" >&2
    exit 2
    ;;
esac

section() { printf '\n==== %s ====\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

# rustup installs cargo under ~/.cargo/bin, which a non-login shell may not have.
if ! command -v cargo >/dev/null 2>&1 && [[ -f "$HOME/.cargo/env" ]]; then
  # shellcheck disable=SC1091
  source "$HOME/.cargo/env"
fi

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
[[ "$TARGET_DIR" = /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
VENV="$ROOT/.venv"
REQ="$ROOT/tests/requirements.txt"

ensure_venv() {
  section "Python test environment ($VENV)"
  local py="${PYTHON:-python3}"
  command -v "$py" >/dev/null 2>&1 || fail "$py not found (python 3.11 is needed for the end-to-end tests)"
  local want have=""
  want="$(sha256sum "$REQ" | cut -d' ' -f1)"
  if [[ -x "$VENV/bin/python" ]] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "existing venv is broken; recreating"
    rm -rf "$VENV"
  fi
  if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating venv with $("$py" --version 2>&1)"
    if ! "$py" -m venv "$VENV"; then
      rm -rf "$VENV"
      if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        pyver="$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        echo "python venv support missing; installing python${pyver}-venv"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${pyver}-venv" || \
          DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
        "$py" -m venv "$VENV"
      else
        fail "could not create a venv: install python3-venv"
      fi
    fi
  fi
  [[ -f "$VENV/.req-hash" ]] && have="$(cat "$VENV/.req-hash")"
  if [[ "$have" == "$want" ]]; then
    echo "reusing venv (tests/requirements.txt unchanged)"
  else
    echo "installing tests/requirements.txt"
    rm -f "$VENV/.req-hash"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
    echo "$want" > "$VENV/.req-hash"
  fi
  "$VENV/bin/python" -c 'import boto3, botocore, pytest, requests; print("boto3", boto3.__version__, "| botocore", botocore.__version__, "| pytest", pytest.__version__)'
  [[ -x "$VENV/bin/aws" ]] || fail "aws CLI missing from $VENV/bin"
}

build() {
  section "cargo build --release --workspace --bins"
  cargo build --release --workspace --bins
}

unit_tests() {
  section "cargo test --release --workspace"
  cargo test --release --workspace
}

# Debian's awscli 2.9 is the query-speaking client older users still run
# (for SQS); the end-to-end suite drives it, so install it when missing.
ensure_legacy_cli() {
  if /usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2\.9'; then
    return
  fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    section "installing Debian's awscli (query-protocol client)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli >/dev/null 2>&1 || {
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli
    }
  else
    fail "Debian's awscli 2.9 is needed at /usr/bin/aws (apt-get install awscli)"
  fi
}

# The key pair tests open the keys Stratus makes with ssh-keygen and puttygen.
ensure_key_tools() {
  if command -v ssh-keygen >/dev/null 2>&1 && command -v puttygen >/dev/null 2>&1; then
    return
  fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    section "installing openssh-client and putty-tools (key pair checks)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client putty-tools >/dev/null 2>&1 || {
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client putty-tools
    }
  else
    fail "ssh-keygen and puttygen are needed (apt-get install openssh-client putty-tools)"
  fi
}

# The RDS tests run real database servers: PostgreSQL and MariaDB from Debian.
ensure_db_engines() {
  local missing=()
  if ! command -v postgres >/dev/null 2>&1 && ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    missing+=(postgresql)
  fi
  if ! command -v mariadbd >/dev/null 2>&1 && [[ ! -x /usr/sbin/mariadbd ]]; then
    missing+=(mariadb-server)
  fi
  [[ ${#missing[@]} -eq 0 ]] && return
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    section "installing ${missing[*]} (RDS database servers)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    }
  else
    fail "${missing[*]} needed for the RDS tests (apt-get install ${missing[*]})"
  fi
}

# Instances that run need iproute2 (namespaces), nftables (security groups,
# routes and ACLs) and curl (the tests' user data).
ensure_runtime_tools() {
  local missing=()
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v nft >/dev/null 2>&1 || missing+=(nftables)
  [[ ${#missing[@]} -eq 0 || $(id -u) -ne 0 ]] && return
  command -v apt-get >/dev/null 2>&1 || fail "${missing[*]} needed for the instance runtime tests"
  section "installing ${missing[*]} (instance runtime)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  }
}

e2e_tests() {
  export STRATUS_BIN="${STRATUS_BIN:-$TARGET_DIR/release/stratus}"
  section "end-to-end tests (pytest tests/e2e, STRATUS_BIN=$STRATUS_BIN)"
  [[ -x "$STRATUS_BIN" ]] || fail "no stratus binary at $STRATUS_BIN (run ./test.sh or cargo build --release first)"
  "$VENV/bin/python" -m pytest tests/e2e -q "$@"
}

case "$MODE" in
  unit)
    unit_tests
    ;;
  e2e)
    ensure_venv
    ensure_legacy_cli
    ensure_key_tools
    ensure_db_engines
    ensure_runtime_tools
    e2e_tests "$@"
    ;;
  all)
    ensure_venv
    ensure_legacy_cli
    ensure_key_tools
    ensure_db_engines
    ensure_runtime_tools
    build
    unit_tests
    e2e_tests "$@"
    ;;
esac

section "$MODE: all tests passed"
