#!/bin/sh
# The container's command, with TF Serving's image conventions: gRPC on 8500, REST on
# 8501, the model named by MODEL_NAME under MODEL_BASE_PATH. Extra arguments follow the
# defaults, so they win (e.g. --model_config_file=/models/models.config).
set -e
exec "${SERVABLE_SERVER:-servable-server}" \
  --port=8500 \
  --rest_api_port=8501 \
  --model_name="${MODEL_NAME}" \
  --model_base_path="${MODEL_BASE_PATH}/${MODEL_NAME}" \
  "$@"
