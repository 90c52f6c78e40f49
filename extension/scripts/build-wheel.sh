#!/usr/bin/env bash
# Builds dist/servable_jupyterlab-<version>-py3-none-any.whl from the built labextension,
# offline, with Debian's python3-build and python3-hatchling (no PyPI: --no-isolation).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f servable_jupyterlab/labextension/package.json ]; then
  echo "Build the labextension first: npm run build -w @servable/jupyterlab" >&2
  exit 1
fi
rm -f dist/servable_jupyterlab-*.whl
# --skip-dependency-check: Debian's hatchling is there, its metadata check is not needed.
/usr/bin/python3 -m build --wheel --no-isolation --skip-dependency-check --outdir dist . >/dev/null
ls "$PWD"/dist/servable_jupyterlab-*.whl
