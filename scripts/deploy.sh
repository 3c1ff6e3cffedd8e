#!/usr/bin/env bash
# Deploy the portal to AWS, or package it offline (README: "Deploying to AWS").
#   bash scripts/deploy.sh dev --dry-run   # offline: templates + plan in .data/deploy/dev/
#   bash scripts/deploy.sh prod            # needs the aws CLI (v2) and credentials
#   bash scripts/deploy.sh publish prod    # only build and upload the site (the workflow runs this)
# All options: bash scripts/deploy.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/chalice ] || [ ! -x .venv/bin/mkdocs ]; then
  bash scripts/setup.sh
fi
export NO_MKDOCS_2_WARNING=1  # Material prints a banner about MkDocs 2 on every build
case "${1:-}" in
  build-site|publish|status|region|-h|--help) exec .venv/bin/python scripts/deploy.py "$@" ;;
  *) exec .venv/bin/python scripts/deploy.py deploy "$@" ;;
esac
