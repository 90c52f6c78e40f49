#!/usr/bin/env bash
# Installs Servable into a Jupyter prefix: the workspace built, the prebuilt JupyterLab
# extension, the tslab kernel, and jupyter-server-proxy's entry for the serving server.
# Usage: binder/install.sh PREFIX [PYTHON]   (Binder: PREFIX is the conda environment)
set -euo pipefail
prefix=$(realpath -m "$1")
python=${2:-python3}
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# The workspace: server and kernel library (npm's prepare builds them), and the sidebar.
npm install --no-audit --no-fund
npm run build -w @servable/jupyterlab

# The prebuilt (federated) extension, where JupyterLab looks for them.
labextensions="$prefix/share/jupyter/labextensions/@servable"
mkdir -p "$labextensions"
rm -rf "$labextensions/jupyterlab"
cp -R extension/servable_jupyterlab/labextension "$labextensions/jupyterlab"

# The TypeScript kernel, under the prefix's kernels, started by its full path.
npx tslab install --prefix "$prefix" --python "$python" --binary "$repo/node_modules/.bin/tslab"

# jupyter-server-proxy starts the serving server on the first request to <base>/servable/
# (the sidebar's first poll) and proxies to it; the kernel reaches it on localhost:8501.
config="$prefix/etc/jupyter/jupyter_server_config.d"
mkdir -p "$config"
cat > "$config/servable.json" <<JSON
{
  "ServerProxy": {
    "servers": {
      "servable": {
        "command": ["bash", "$repo/binder/serve.sh"],
        "port": 8501,
        "timeout": 120,
        "absolute_url": false,
        "launcher_entry": { "enabled": true, "title": "Servable server" }
      }
    }
  }
}
JSON
echo "Servable installed into $prefix"
