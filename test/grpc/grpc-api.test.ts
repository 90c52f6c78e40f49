import assert from "node:assert/strict";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import {
  connect,
  floats,
  freePort,
  PROTOS,
  ROOT,
  startServer,
  unary,
  waitFor,
  type Clients,
  type ServerProcess,
  type ServingClient,
} from "../support";

/** TF Serving's gRPC API, called by a gRPC client as any TF Serving client calls it. */
let server: ServerProcess;
let work: string;
let clients: Clients;
let prediction: ServingClient;
let models: ServingClient;
const call = <T>(client: ServingClient, method: string, request: unknown) =>
  unary<T>(client, method, request);

before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-grpc-"));
  await cp(join(ROOT, "server", "demo", "models"), join(work, "models"), { recursive: true });
  const port = await freePort();
  // One model from --model_base_path: nothing re-reads a config that a reload replaces.
  server = await startServer(
    [
      "--model_name=half_plus_two",
      `--model_base_path=${join(work, "models", "half_plus_two")}`,
      `--port=${port}`,
    ],
    { env: { SERVABLE_TOKEN: "grpc-api-token" } },
  );
  clients = connect(`127.0.0.1:${port}`);
  ({ prediction, models } = clients);
});
after(async () => {
  clients.close();
  await server.stop();
  await rm(work, { recursive: true, force: true });
});

test("Predict answers half_plus_two with typed values and the version it ran", async () => {
  const response = await call<{
    model_spec: { version: { value: string } };
    outputs: Record<string, { float_val: number[]; tensor_shape: unknown }>;
  }>(prediction, "Predict", {
    model_spec: { name: "half_plus_two" },
    inputs: { x: floats([1, 2, 5], [3, 1]) },
  });
  assert.deepEqual(response.outputs.y!.float_val, [2.5, 3, 4.5]);
  assert.deepEqual(response.outputs.y!.tensor_shape, { dim: [{ size: "3" }, { size: "1" }] });
  assert.equal(response.model_spec.version.value, "1");
});

test("tensor_content is read as raw little-endian bytes", async () => {
  const content = Buffer.from(new Float32Array([4, 6]).buffer);
  const response = await call<{ outputs: Record<string, { float_val: number[] }> }>(
    prediction,
    "Predict",
    {
      model_spec: { name: "half_plus_two", signature_name: "regress_x_to_y2" },
      inputs: {
        x: {
          dtype: "DT_FLOAT",
          tensor_shape: { dim: [{ size: 2 }, { size: 1 }] },
          tensor_content: content,
        },
      },
    },
  );
  assert.deepEqual(response.outputs.outputs!.float_val, [5, 6]);
});

test("Classify and Regress take tf.Examples", async () => {
  const example = (x: number) => ({ features: { feature: { x: { float_list: { value: [x] } } } } });
  const classified = await call<{
    result: { classifications: { classes: { label: string; score: number }[] }[] };
  }>(prediction, "Classify", {
    model_spec: { name: "half_plus_two", signature_name: "classify_x_to_y" },
    input: { example_list: { examples: [example(1), example(2)] } },
  });
  assert.deepEqual(
    classified.result.classifications.map((c) => c.classes.map((k) => k.score)),
    [[2.5], [3]],
  );
  const regressed = await call<{ result: { regressions: { value: number }[] } }>(
    prediction,
    "Regress",
    {
      model_spec: { name: "half_plus_two", signature_name: "regress_x_to_y2" },
      input: { example_list_with_context: { context: example(4), examples: [{}, example(2)] } },
    },
  );
  assert.deepEqual(
    regressed.result.regressions.map((r) => r.value),
    [5, 4],
  );
});

test("GetModelMetadata carries the SignatureDefMap as an Any", async () => {
  const response = await call<{ metadata: { signature_def: { type_url: string; value: Buffer } } }>(
    prediction,
    "GetModelMetadata",
    { model_spec: { name: "half_plus_two" }, metadata_field: ["signature_def"] },
  );
  const any = response.metadata.signature_def;
  assert.equal(any.type_url, "type.googleapis.com/tensorflow.serving.SignatureDefMap");
  const root = new protobuf.Root();
  root.resolvePath = (_o, target) => (target.startsWith("google/") ? target : join(PROTOS, target));
  root.loadSync("tensorflow_serving.proto", { keepCase: true });
  const map = root
    .lookupType("tensorflow.serving.SignatureDefMap")
    .toObject(root.lookupType("tensorflow.serving.SignatureDefMap").decode(any.value), {
      enums: String,
    }) as {
    signature_def: Record<
      string,
      { method_name: string; inputs: Record<string, { name: string; dtype: string }> }
    >;
  };
  assert.equal(map.signature_def.serving_default!.inputs.x!.name, "x:0");
  assert.equal(map.signature_def.serving_default!.inputs.x!.dtype, "DT_FLOAT");
  assert.equal(map.signature_def.classify_x_to_y!.method_name, "tensorflow/serving/classify");
});

test("GetModelStatus and errors with TF Serving's codes", async () => {
  const status = await call<{
    model_version_status: { version: string; state: string; status: unknown }[];
  }>(models, "GetModelStatus", { model_spec: { name: "half_plus_two" } });
  assert.equal(status.model_version_status.length, 1);
  const [only] = status.model_version_status as {
    version: string;
    state: string;
    status: { error_code?: string; error_message?: string };
  }[];
  assert.equal(only!.version, "1");
  assert.equal(only!.state, "AVAILABLE");
  assert.equal(only!.status.error_code ?? "OK", "OK");
  assert.equal(only!.status.error_message ?? "", "");
  await assert.rejects(
    call(prediction, "Predict", { model_spec: { name: "nope" }, inputs: {} }),
    (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.NOT_FOUND);
      assert.match(e.details, /Servable not found for request: Latest\(nope\)/);
      return true;
    },
  );
  await assert.rejects(
    call(prediction, "Predict", {
      model_spec: { name: "half_plus_two" },
      inputs: { z: floats([1], [1]) },
    }),
    (e: grpc.ServiceError) =>
      e.code === grpc.status.INVALID_ARGUMENT &&
      /Signature input alias: x\(feed name: x:0\) not found in request/.test(e.details),
  );
  await assert.rejects(
    call(models, "GetModelStatus", {
      model_spec: { name: "half_plus_two", version: { value: 7 } },
    }),
    (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND,
  );
});

test("names that are JavaScript internals and shapes far past their values are the client's errors", async () => {
  const rejected = (request: unknown, code: grpc.status, details: RegExp) =>
    assert.rejects(call(prediction, "Predict", request), (e: grpc.ServiceError) => {
      assert.equal(e.code, code, e.details);
      assert.match(e.details, details);
      return true;
    });
  for (const name of ["constructor", "__proto__", "toString", "valueOf"]) {
    await rejected(
      {
        model_spec: { name: "half_plus_two", signature_name: name },
        inputs: { x: floats([1], [1, 1]) },
      },
      grpc.status.FAILED_PRECONDITION,
      new RegExp(`Serving signature key "${name}" not found`),
    );
  }
  await rejected(
    {
      model_spec: { name: "half_plus_two" },
      inputs: Object.fromEntries([["constructor", floats([1], [1, 1])]]),
    },
    grpc.status.INVALID_ARGUMENT,
    /Inputs expected to be in the request \{constructor\}/,
  );
  await rejected(
    { model_spec: { name: "half_plus_two" }, inputs: { x: floats([1], [1 << 20, 1 << 20]) } },
    grpc.status.INVALID_ARGUMENT,
    /at most/,
  );
  await assert.rejects(
    call(prediction, "Classify", {
      model_spec: { name: "half_plus_two", signature_name: "isPrototypeOf" },
      input: { example_list: { examples: [{ features: { feature: {} } }] } },
    }),
    (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT,
  );
});

test("HandleReloadConfigRequest replaces the served models; labels follow once their version serves", async () => {
  await cp(join(work, "models", "half_plus_two"), join(work, "models", "copy"), {
    recursive: true,
  });
  const copy = {
    name: "copy",
    base_path: join(work, "models", "copy"),
    model_platform: "tensorflow",
  };
  // A reload changes what serves: it carries the server's token, as gRPC metadata.
  const reload = (config: unknown) =>
    unary<{ status: { error_code?: string } }>(
      models,
      "HandleReloadConfigRequest",
      { config: { model_config_list: { config: [config] } } },
      { metadata: { authorization: "Bearer grpc-api-token" } },
    );
  assert.equal((await reload(copy)).status.error_code ?? "OK", "OK");
  // As in TF Serving, a label may point only at a version that serves: a second reload.
  assert.equal(
    (await reload({ ...copy, version_labels: { stable: 1 } })).status.error_code ?? "OK",
    "OK",
  );
  await call(prediction, "Predict", {
    model_spec: { name: "copy", version_label: "stable" },
    inputs: { x: floats([0], [1, 1]) },
  });
  await waitFor(async () => {
    const answer = await call<{ model_version_status: { state: string }[] }>(
      models,
      "GetModelStatus",
      { model_spec: { name: "half_plus_two" } },
    );
    return answer.model_version_status[0]!.state === "END" ? true : undefined;
  });
});
