#!/usr/bin/env bash
# Installs everything the portal and its tests need, idempotently:
#   Debian packages (Chromium, a CJK font, Java for DynamoDB Local, Node/npm),
#   the Python virtual environment at .venv with requirements.lock,
#   npm tools in tools/node_modules (axe-core, DynamoDB Local).
# Called by scripts/serve.sh and scripts/test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk fontconfig)  # no -q: SIGPIPE under pipefail
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    say "installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]}." >&2
    echo "Install them with your system's package manager (Debian: apt-get install ${missing[*]})." >&2
    exit 2
  fi
fi

# --- Python virtual environment -------------------------------------------
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY=$c; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "Python 3.11 is required (apt-get install python3.11 python3.11-venv, or pyenv install 3.11)." >&2
  exit 2
fi
stamp=".venv/.installed-$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || { say "creating .venv with $PY"; "$PY" -m venv .venv; }
  say "installing pinned Python packages"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip==25.3"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# --- the staff function's wheels, for Lambda (Linux x86_64, Python 3.11) -------------
# Downloaded once here, so packaging for a deploy (and its offline dry run) needs no network.
wheelstamp=".data/lambda-wheels/.installed-$(sha256sum staff_api/lambda-requirements.txt | cut -c1-16)"
if [ ! -f "$wheelstamp" ]; then
  say "downloading the staff function's wheels for Lambda"
  rm -rf .data/lambda-wheels && mkdir -p .data/lambda-wheels
  .venv/bin/python -m pip download -q --disable-pip-version-check --only-binary=:all: \
    --platform manylinux2014_x86_64 --python-version 3.11 --implementation cp \
    -d .data/lambda-wheels -r staff_api/lambda-requirements.txt
  touch "$wheelstamp"
fi

# --- npm tools (axe-core, DynamoDB Local) ----------------------------------
lockstamp="tools/node_modules/.installed-$(sha256sum tools/package-lock.json | cut -c1-16)"
if [ ! -f "$lockstamp" ]; then
  say "installing npm tools (axe-core, DynamoDB Local)"
  (cd tools && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  touch "$lockstamp"
fi
say "ready: $ROOT/.venv"
