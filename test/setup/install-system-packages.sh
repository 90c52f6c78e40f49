#!/usr/bin/env bash
# Installs the Debian packages the tests drive as real parts, when they are missing.
# Each later part adds its packages to PACKAGES; nothing else is assumed present.
# Given package names (`npm run lab` gives Jupyter's), installs those instead.
set -euo pipefail

PACKAGES=(
  # JupyterLab sidebar: its browser tests (Chromium, Debian's Jupyter server) and its wheel.
  # Kernel library: its notebooks run in a tslab kernel on the same Jupyter server.
  chromium python3-jupyter-server jupyter-client python3-jupyterlab-server python3-notebook
  python3-build python3-hatchling python3-pip
  # ONNX: models and expected answers built at test time by the frameworks themselves.
  python3-torch python3-xgboost python3-onnx python3-numpy
  # TLS: the gRPC and HTTPS tests make their CA, server and client certificates.
  openssl
)
[ $# -eq 0 ] || PACKAGES=("$@")

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

echo "Installing Debian packages (apt-get, a minute or two): ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
