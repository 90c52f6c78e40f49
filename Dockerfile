# Servable's serving server as a container, with TF Serving's image conventions:
#   docker build -t servable .
#   docker run -p 8500:8500 -p 8501:8501 -v "$PWD/server/demo/models:/models" \
#     -e MODEL_NAME=half_plus_two servable
# gRPC on 8500, REST on 8501; MODEL_NAME and MODEL_BASE_PATH as in tensorflow/serving.

# Production dependencies of the server only. Without install scripts, onnxruntime-node (an
# optional dependency) keeps the CPU runtime it ships and downloads nothing.
FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY protocol/package.json protocol/
COPY convert/package.json convert/
COPY server/package.json server/
COPY server/bin server/bin
COPY kernel-lib/package.json kernel-lib/
COPY extension/package.json extension/
COPY test/package.json test/
RUN npm install --omit=dev --workspace @servable/server --ignore-scripts --no-audit --no-fund

# The compiled server.
FROM dependencies AS build
COPY tsconfig.base.json ./
COPY protocol/tsconfig.json protocol/
COPY protocol/src protocol/src
COPY convert/tsconfig.json convert/
COPY convert/src convert/src
COPY server/tsconfig.json server/
COPY server/src server/src
RUN npm install --workspace @servable/server --include-workspace-root --ignore-scripts --no-audit --no-fund \
  && npx tsc -b server

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=dependencies /app/node_modules node_modules
COPY protocol/package.json protocol/
COPY protocol/protos protocol/protos
COPY --from=build /app/protocol/dist protocol/dist
COPY convert/package.json convert/
COPY --from=build /app/convert/dist convert/dist
COPY server/package.json server/
COPY server/bin server/bin
COPY server/demo/models server/demo/models
COPY --from=build /app/server/dist server/dist
COPY docker/servable-entrypoint.sh /usr/local/bin/servable-entrypoint.sh
RUN chmod 0755 server/dist/cli.js /usr/local/bin/servable-entrypoint.sh \
  && ln -s /app/server/bin/servable-server.js /usr/local/bin/servable-server \
  && mkdir -p /models && chown node:node /models
ENV MODEL_NAME=model \
    MODEL_BASE_PATH=/models \
    NODE_ENV=production
EXPOSE 8500 8501
USER node
ENTRYPOINT ["/usr/local/bin/servable-entrypoint.sh"]
