import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { deploy } from "../../kernel-lib/src";
import { postJson, ROOT, startServer, type ServerProcess } from "../support";
import {
  assertClose,
  buildFixtures,
  columnarBody,
  nest,
  readExpected,
  removeFixtures,
  requestBody,
} from "./support/fixtures";

/**
 * Model files deployed to a running server over its management API: an ONNX file from
 * the kernel library's `deploy`, an XGBoost JSON model from `servable deploy`.
 */
const run = promisify(execFile);
const TOKEN = "onnx-deploy-test-token";
let fixtures: string;
let server: ServerProcess;

before(async () => {
  fixtures = await buildFixtures(["pytorch_models.py", "xgboost_models.py"]);
  const repository = join(fixtures, "served");
  await mkdir(repository);
  server = await startServer([`--model_repository=${repository}`], {
    env: { SERVABLE_TOKEN: TOKEN },
  });
});

after(async () => {
  await server?.stop();
  if (fixtures) await removeFixtures(fixtures);
});

test('deploy("model.onnx", {name}) from the kernel library serves it', async () => {
  const deployment = await deploy(join(fixtures, "models", "mlp", "1", "model.onnx"), {
    name: "mlp",
    server: server.url,
    token: TOKEN,
    display: false,
    progress: false,
  });
  assert.equal(deployment.state, "AVAILABLE");
  assert.equal(deployment.version, 1);
  const expected = await readExpected(fixtures, "mlp");
  const answer = await postJson(`${server.url}/v1/models/mlp:predict`, columnarBody(expected));
  assert.equal(answer.status, 200, answer.text);
  assertClose((answer.json as { outputs: unknown }).outputs, expected.outputs.logits!, 1e-5, "mlp");
});

test("servable deploy FILE uploads an XGBoost model, converted, to the server", async () => {
  const cli = [join(ROOT, "kernel-lib", "src", "cli.ts")];
  const { stdout } = await run(
    process.execPath,
    [
      "--import",
      "tsx",
      ...cli,
      "deploy",
      join(fixtures, "xgboost", "multiclass.json"),
      "--name",
      "flowers",
      "--server",
      server.url,
      "--token",
      TOKEN,
    ],
    { cwd: ROOT },
  );
  assert.match(stdout, /flowers version 1: AVAILABLE/);
  const expected = await readExpected(fixtures, "xgb_multiclass");
  const input = expected.inputs.features!;
  const answer = await postJson(
    `${server.url}/v1/models/flowers:predict`,
    requestBody({ instances: nest(input.data, input.shape) }),
  );
  assert.equal(answer.status, 200, answer.text);
  assertClose(
    (answer.json as { predictions: { probabilities: number[] }[] }).predictions.map(
      (p) => p.probabilities,
    ),
    expected.outputs.prediction!,
    1e-5,
    "flowers",
  );
});
