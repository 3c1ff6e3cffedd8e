#!/usr/bin/env bash
# README command one: set everything up, then run the portal: DynamoDB Local (data kept
# in .data/dynamodb), the API under chalice local, and the site with live reload.
# Usage: bash scripts/serve.sh [--port 8000]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NO_MKDOCS_2_WARNING=1  # Material prints a banner about MkDocs 2 on every build
PORT=8000
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT=$2; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
exec .venv/bin/python -m portal_staff.devstack --port "$PORT"
