#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it locally and in CI: system packages the
# tests need (installed when missing), the build, the linter, then every test file.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/setup/install-system-packages.sh
npm run build
# The JupyterLab sidebar: its labextension, and the test JupyterLab its browser tests open.
npm run build -w @servable/jupyterlab
npm run build:app -w @servable/jupyterlab
npm run lint
npm run typecheck

mapfile -t unit < <(find protocol/src convert/src server/src kernel-lib/src extension/src -name '*.test.ts' | sort)
mapfile -t cross < <(find test -path test/node_modules -prune -o -name '*.test.ts' -print | sort)
node --import tsx --test --test-reporter=spec "${unit[@]}" "${cross[@]}"
