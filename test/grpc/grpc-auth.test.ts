import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  freePort,
  ROOT,
  startServer,
  type ServerProcess,
  connect,
  example,
  floats,
  rejectsWith,
  unary,
  type Clients,
} from "../support";

/**
 * The server's token on the gRPC port, as metadata `authorization: Bearer <token>`: a
 * reload always needs it, every call with --require_auth_for_reads. And TF Serving's gRPC
 * server flags are accepted, channel arguments applied.
 */
const TOKEN = "grpc-auth-test-token";
const BASE = join(ROOT, "server", "demo", "models", "half_plus_two");
const AUTH = { metadata: { authorization: `Bearer ${TOKEN}` } };
const WRONG = { metadata: { authorization: "Bearer not-the-token" } };

interface Started {
  server: ServerProcess;
  clients: Clients;
}
const started: Started[] = [];
async function start(flags: string[]): Promise<Clients> {
  const port = await freePort();
  const server = await startServer(
    ["--model_name=half_plus_two", `--model_base_path=${BASE}`, `--port=${port}`, ...flags],
    { env: { SERVABLE_TOKEN: TOKEN } },
  );
  const clients = connect(`127.0.0.1:${port}`);
  started.push({ server, clients });
  return clients;
}
after(async () => {
  for (const { server, clients } of started) {
    clients.close();
    await server.stop();
  }
});

const predictRequest = {
  model_spec: { name: "half_plus_two" },
  inputs: { x: floats([2], [1, 1]) },
};
const reloadRequest = {
  config: {
    model_config_list: {
      config: [{ name: "half_plus_two", base_path: BASE, model_platform: "tensorflow" }],
    },
  },
};
const { UNAUTHENTICATED } = grpc.status;
const MISSING = "Missing authorization metadata: this call needs 'authorization: Bearer <token>'";

let open: Clients;
let guarded: Clients;
before(async () => {
  open = await start([]);
  guarded = await start(["--require_auth_for_reads"]);
});

test("reads are open by default; a reload needs the token", async () => {
  const answer = await unary<{ outputs: { y: { float_val: number[] } } }>(
    open.prediction,
    "Predict",
    predictRequest,
  );
  assert.deepEqual(answer.outputs.y.float_val, [3]);
  await rejectsWith(
    unary(open.models, "HandleReloadConfigRequest", reloadRequest),
    UNAUTHENTICATED,
    MISSING,
  );
  await rejectsWith(
    unary(open.models, "HandleReloadConfigRequest", reloadRequest, WRONG),
    UNAUTHENTICATED,
    "Invalid bearer token",
  );
  const reloaded = await unary<{ status: { error_code?: string } }>(
    open.models,
    "HandleReloadConfigRequest",
    reloadRequest,
    AUTH,
  );
  assert.equal(reloaded.status.error_code ?? "OK", "OK");
});

test("with --require_auth_for_reads every call needs the token", async () => {
  const calls: [Clients["prediction"], string, unknown][] = [
    [guarded.prediction, "Predict", predictRequest],
    [
      guarded.prediction,
      "Classify",
      {
        model_spec: { name: "half_plus_two", signature_name: "classify_x_to_y" },
        input: { example_list: { examples: [example({ x: 1 })] } },
      },
    ],
    [
      guarded.prediction,
      "MultiInference",
      {
        tasks: [
          {
            model_spec: { name: "half_plus_two", signature_name: "regress_x_to_y" },
            method_name: "tensorflow/serving/regress",
          },
        ],
        input: { example_list: { examples: [example({ x: 1 })] } },
      },
    ],
    [
      guarded.prediction,
      "GetModelMetadata",
      { model_spec: { name: "half_plus_two" }, metadata_field: ["signature_def"] },
    ],
    [guarded.models, "GetModelStatus", { model_spec: { name: "half_plus_two" } }],
  ];
  for (const [client, method, request] of calls) {
    await rejectsWith(unary(client, method, request), UNAUTHENTICATED, MISSING);
    await rejectsWith(
      unary(client, method, request, WRONG),
      UNAUTHENTICATED,
      "Invalid bearer token",
    );
    await unary(client, method, request, AUTH);
  }
  // The REST port asks for it too.
  const rest = await fetch(`${started[1]!.server.url}/v1/models/half_plus_two`);
  assert.equal(rest.status, 401);
});

test("TF Serving's gRPC flags are accepted; channel arguments reach the server", async () => {
  const limited = await start([
    "--grpc_max_threads=8",
    "--grpc_channel_arguments=grpc.max_receive_message_length=2048,grpc.max_connection_age_ms=600000",
  ]);
  await unary(limited.prediction, "Predict", predictRequest);
  const big = { ...predictRequest, inputs: { x: floats(new Array(1024).fill(1), [1024, 1]) } };
  await assert.rejects(
    unary(limited.prediction, "Predict", big),
    (e: grpc.ServiceError) => e.code === grpc.status.RESOURCE_EXHAUSTED,
  );
  // A bad argument stops the start, naming it.
  await assert.rejects(
    startServer(
      [
        `--model_base_path=${BASE}`,
        `--port=${await freePort()}`,
        "--grpc_channel_arguments=nonsense",
      ],
      { timeoutMs: 30_000 },
    ),
    /"nonsense" is not key=value/,
  );
});
