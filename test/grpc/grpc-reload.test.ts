import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  freePort,
  ROOT,
  startServer,
  type ServerProcess,
  connect,
  floats,
  rejectsWith,
  unary,
  type Clients,
} from "../support";

/**
 * ModelService.HandleReloadConfigRequest as TF Serving's ServerCore::ReloadConfig answers
 * it: new models are AVAILABLE when it returns, a load failure names the models, a label
 * may only point at a version that serves, and a config without a model list changes
 * nothing. And a polled config file without a model list does not empty the server.
 */
const DEMO = join(ROOT, "server", "demo", "models", "half_plus_two", "1");

let work: string;
let server: ServerProcess;
let grpcClients: Clients;

const model = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  base_path: join(work, name),
  model_platform: "tensorflow",
  ...extra,
});
const twoVersions = (labels: Record<string, number>) =>
  model("two_versions", { model_version_policy: { all: {} }, version_labels: labels });
/** A reload changes what serves: it carries the server's token. */
const TOKEN = "reload-test-token";
const AUTH = { metadata: { authorization: `Bearer ${TOKEN}` } };
const reload = (configs: unknown[]) =>
  unary<{ status: { error_code?: string } }>(
    grpcClients.models,
    "HandleReloadConfigRequest",
    { config: { model_config_list: { config: configs } } },
    AUTH,
  );
const predict = (spec: Record<string, unknown>) =>
  unary<{ model_spec: { version: { value: string } }; outputs: { y: { float_val: number[] } } }>(
    grpcClients.prediction,
    "Predict",
    { model_spec: spec, inputs: { x: floats([2], [1, 1]) } },
  );

before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-grpc-reload-"));
  for (const dir of ["half_plus_two/1", "two_versions/1", "two_versions/2", "copy/1"]) {
    await cp(DEMO, join(work, dir), { recursive: true });
  }
  // A version whose model file does not parse: its load ends at once.
  await mkdir(join(work, "broken", "1"), { recursive: true });
  await writeFile(join(work, "broken", "1", "model.json"), "{ not json");
  const config = join(work, "models.config");
  await writeFile(
    config,
    `model_config_list {
      config { name: "half_plus_two" base_path: "${join(work, "half_plus_two")}" model_platform: "tensorflow" }
      config { name: "two_versions" base_path: "${join(work, "two_versions")}" model_platform: "tensorflow"
               model_version_policy { all {} } }
    }`,
  );
  const port = await freePort();
  server = await startServer([`--model_config_file=${config}`, `--port=${port}`], {
    env: { SERVABLE_TOKEN: TOKEN },
  });
  grpcClients = connect(`127.0.0.1:${port}`);
});
after(async () => {
  grpcClients.close();
  await server.stop();
  await rm(work, { recursive: true, force: true });
});

test("a reload answers once the models it adds are AVAILABLE", async () => {
  const answer = await reload([model("half_plus_two"), twoVersions({}), model("copy")]);
  assert.equal(answer.status.error_code ?? "OK", "OK");
  // No waiting: the model serves as soon as the reload answered.
  const predicted = await predict({ name: "copy" });
  assert.deepEqual(predicted.outputs.y.float_val, [3]);
  const status = await unary<{ model_version_status: { state: string }[] }>(
    grpcClients.models,
    "GetModelStatus",
    { model_spec: { name: "copy" } },
  );
  assert.deepEqual(
    status.model_version_status.map((s) => s.state),
    ["AVAILABLE"],
  );
});

test("a reload whose new model fails to load answers UNKNOWN naming it, with the load's error", async () => {
  const error = await reload([model("half_plus_two"), twoVersions({}), model("broken")]).then(
    () => assert.fail("the reload succeeded"),
    (e: grpc.ServiceError) => e,
  );
  assert.equal(error.code, grpc.status.UNKNOWN, error.details);
  const status = await unary<{
    model_version_status: {
      state: string;
      status: { error_code: string; error_message: string };
    }[];
  }>(grpcClients.models, "GetModelStatus", { model_spec: { name: "broken" } });
  const [broken] = status.model_version_status;
  assert.equal(broken!.state, "END");
  // TF Serving's WaitUntilModelsAvailable: "N model(s) did not become available: {" then
  // "{" + the id ("{name: M version: V}") + " due to error: " + the status + "}, " each, then "}".
  assert.equal(
    error.details,
    `1 model(s) did not become available: {{{name: broken version: 1} due to error: ${broken!.status.error_code}: ${broken!.status.error_message}}, }`,
  );
  assert.match(error.details, /model\.json/);
  // The models that serve still do.
  assert.deepEqual((await predict({ name: "half_plus_two" })).outputs.y.float_val, [3]);
});

test("a label may only point at a version that serves; a refused reload changes nothing", async () => {
  await reload([model("half_plus_two"), twoVersions({ stable: 1 })]);
  assert.equal(
    (await predict({ name: "two_versions", version_label: "stable" })).model_spec.version.value,
    "1",
  );
  await rejectsWith(
    reload([model("half_plus_two"), twoVersions({ stable: 999 }), model("copy")]),
    grpc.status.FAILED_PRECONDITION,
    "Request to assign label to version 999 of model two_versions, which is not currently available for inference",
  );
  assert.equal(
    (await predict({ name: "two_versions", version_label: "stable" })).model_spec.version.value,
    "1",
  );
  // The refused config did not apply: copy (in it) was not added back.
  await rejectsWith(
    predict({ name: "copy" }),
    grpc.status.NOT_FOUND,
    "Servable not found for request: Latest(copy)",
  );
  // A version that serves takes the label.
  await reload([model("half_plus_two"), twoVersions({ stable: 2 })]);
  assert.equal(
    (await predict({ name: "two_versions", version_label: "stable" })).model_spec.version.value,
    "2",
  );
});

test("a reload without a model_config_list is INVALID_ARGUMENT and every model keeps serving", async () => {
  for (const config of [{}, { custom_model_config: { type_url: "x", value: Buffer.alloc(0) } }]) {
    await rejectsWith(
      unary(grpcClients.models, "HandleReloadConfigRequest", { config }, AUTH),
      grpc.status.INVALID_ARGUMENT,
      "ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is currently supported",
    );
  }
  await rejectsWith(
    unary(grpcClients.models, "HandleReloadConfigRequest", {}, AUTH),
    grpc.status.INVALID_ARGUMENT,
    "ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is currently supported",
  );
  assert.deepEqual((await predict({ name: "half_plus_two" })).outputs.y.float_val, [3]);
  assert.deepEqual((await predict({ name: "two_versions" })).outputs.y.float_val, [3]);
});

test("a polled config file without a model list keeps the running config", async () => {
  const dir = await mkdtemp(join(work, "polled-"));
  await cp(DEMO, join(dir, "half_plus_two", "1"), { recursive: true });
  const config = join(dir, "models.config");
  await writeFile(
    config,
    `model_config_list { config { name: "half_plus_two" base_path: "${join(dir, "half_plus_two")}" } }`,
  );
  const polled = await startServer([
    `--model_config_file=${config}`,
    "--model_config_file_poll_wait_seconds=1",
  ]);
  try {
    await writeFile(config, "# every model moved elsewhere\n");
    await polled.waitForLog((line) =>
      String(line.msg).startsWith("Keeping the current model config: the model config"),
    );
    const response = await fetch(`${polled.url}/v1/models/half_plus_two:predict`, {
      method: "POST",
      body: JSON.stringify({ instances: [[2]] }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { predictions: [[3.0]] });
    const status = (await (await fetch(`${polled.url}/v1/models/half_plus_two`)).json()) as {
      model_version_status: { state: string }[];
    };
    assert.equal(status.model_version_status[0]!.state, "AVAILABLE");
  } finally {
    await polled.stop();
  }
});
