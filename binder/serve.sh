#!/usr/bin/env bash
# The serving server as jupyter-server-proxy starts it: REST on 8501 (proxied at
# <base>/servable/), the demo models, the token `start` chose (SERVABLE_TOKEN).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
exec sh "$repo/server/scripts/serve-demo.sh" --rest_api_host=127.0.0.1 --rest_api_port=8501 --port=0 "$@"
