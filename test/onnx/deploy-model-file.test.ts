import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { deploy } from "../../kernel-lib/src";
import { postJson, ROOT, startServer } from "../support";
import { assertClose, columnarBody, readExpected, rowBody } from "./support/fixtures";
import { serveFixtures } from "./support/served-fixtures";

/**
 * Model files deployed to a running server over its management API: an ONNX file from
 * the kernel library's `deploy`, an XGBoost JSON model from `servable deploy`.
 */
const run = promisify(execFile);
const TOKEN = "onnx-deploy-test-token";
const served = serveFixtures(["pytorch_models.py", "xgboost_models.py"], async (fixtures) => {
  const repository = join(fixtures, "served");
  await mkdir(repository);
  return startServer([`--model_repository=${repository}`], { env: { SERVABLE_TOKEN: TOKEN } });
});

test('deploy("model.onnx", {name}) from the kernel library serves it', async () => {
  const deployment = await deploy(join(served.fixtures, "models", "mlp", "1", "model.onnx"), {
    name: "mlp",
    server: served.server.url,
    token: TOKEN,
    display: false,
    progress: false,
  });
  assert.equal(deployment.state, "AVAILABLE");
  assert.equal(deployment.version, 1);
  const expected = await readExpected(served.fixtures, "mlp");
  const answer = await postJson(
    `${served.server.url}/v1/models/mlp:predict`,
    columnarBody(expected),
  );
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
      join(served.fixtures, "xgboost", "multiclass.json"),
      "--name",
      "flowers",
      "--server",
      served.server.url,
      "--token",
      TOKEN,
    ],
    { cwd: ROOT },
  );
  assert.match(stdout, /flowers version 1: AVAILABLE/);
  const expected = await readExpected(served.fixtures, "xgb_multiclass");
  const input = expected.inputs.features!;
  const answer = await postJson(`${served.server.url}/v1/models/flowers:predict`, rowBody(input));
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
