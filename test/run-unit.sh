#!/usr/bin/env bash
# Every package's unit tests (the `*.test.ts` files beside the code), with Node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t unit < <(find protocol/src convert/src server/src kernel-lib/src extension/src -name '*.test.ts' | sort)
exec node --import tsx --test --test-reporter=spec "$@" "${unit[@]}"
