#!/usr/bin/env bash
# Installs (when its package.json changed) and builds the test JupyterLab in ui-tests/app.
# It has its own node_modules: JupyterLab's ~50 core packages, pinned to one release, stay
# out of the repository's workspace install.
set -euo pipefail
cd "$(dirname "$0")/app"
# Run from a workspace script, npm passes its workspace selection on; this install has none.
unset npm_config_workspace npm_config_workspaces npm_config_include_workspace_root
if [ ! -f node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
node --import tsx build.mts
