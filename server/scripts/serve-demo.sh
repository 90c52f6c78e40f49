#!/bin/sh
# `npm start`: serves a working copy of the demo model repository, so that what a user
# deploys (and the labels they set) lands in .servable/models, not in the checkout.
set -e
cd "$(dirname "$0")/.."
repository=../.servable/models
mkdir -p "$repository"
for model in demo/models/*/; do
  name=$(basename "$model")
  [ -e "$repository/$name" ] || cp -R "$model" "$repository/$name"
done
exec node dist/cli.js --model_repository "$repository" "$@"
