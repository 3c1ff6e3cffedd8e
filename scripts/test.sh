#!/usr/bin/env bash
# README command two: set everything up, then run ruff, mypy and the whole pytest suite.
# Extra arguments go to pytest (e.g. bash scripts/test.sh -k notices).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NO_MKDOCS_2_WARNING=1  # Material prints a banner about MkDocs 2 on every build
echo "== ruff"; .venv/bin/ruff check site_src contracts api staff staff_api scripts tests
echo "== mypy"; .venv/bin/mypy
.venv/bin/mypy staff_api/app.py  # a second Chalice app: its module is also named app
echo "== pytest"; .venv/bin/python -m pytest -q "$@"
