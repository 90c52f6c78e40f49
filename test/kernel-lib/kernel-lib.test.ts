import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import * as tf from "@tensorflow/tfjs";
import {
  classify,
  deploy,
  DeployError,
  exportModel,
  metadata,
  models,
  NetworkError,
  predict,
  regress,
  removeLabel,
  ServerError,
  setLabel,
  signatures,
  status,
  undeploy,
} from "../../kernel-lib/src";
import { readModelArtifacts } from "../../server/src/formats/tfjs/model-artifacts";
import { freePort, ROOT } from "../support";
import { startServerForKernelLib, type KernelLibServer } from "../support/kernel-lib-server";

/**
 * The kernel library's functions against a real server process, as a Node program (or a
 * notebook) calls them: no token given, the library finds the one the server generated
 * through the runtime folder they share.
 */
const run = promisify(execFile);
let served: KernelLibServer;
const saved = { ...process.env };

before(async () => {
  served = await startServerForKernelLib("servable-kernel-lib-");
  Object.assign(process.env, served.clientEnv);
});

after(async () => {
  await served?.stop();
  process.env = saved;
});

function classifier(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [4], name: "measurements" });
  const hidden = tf.layers
    .dense({
      units: 8,
      activation: "relu",
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    })
    .apply(input) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({
      units: 3,
      activation: "softmax",
      name: "species",
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    })
    .apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

const X = [
  [5.1, 3.5, 1.4, 0.2],
  [6, 3, 4, 1],
  [6.7, 3.1, 5.6, 2.4],
];
const local = (model: tf.LayersModel, x: number[][]) =>
  (model.predict(tf.tensor2d(x)) as tf.Tensor).arraySync() as number[][];

function assertClose(actual: number[][], expected: number[][], tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((row, i) =>
    row.forEach((v, j) =>
      assert.ok(
        Math.abs(v - expected[i]![j]!) <= tolerance,
        `[${i}][${j}] ${v} vs ${expected[i]![j]}`,
      ),
    ),
  );
}

describe("deploy and call", () => {
  const model = classifier(1);
  const sigs = {
    serving_default: signatures.predict(model),
    classify: signatures.classify(model, { classes: ["setosa", "versicolor", "virginica"] }),
  };
  let version: number;

  test("deploy exports, uploads, waits for AVAILABLE and says how to call it", async () => {
    const deployment = await deploy(model, { name: "iris", signatures: sigs, label: "stable" });
    version = deployment.version;
    assert.deepEqual(deployment, {
      name: "iris",
      version: 1,
      state: "AVAILABLE",
      url: `${served.server.url}/v1/models/iris/versions/1:predict`,
      curl: `curl -d '{"instances":[[0.0,0.0,0.0,0.0]]}' -X POST ${served.server.url}/v1/models/iris/versions/1:predict`,
    });
    // The curl line works as printed.
    const { stdout } = await run("sh", ["-c", `${deployment.curl} -s`]);
    const answer = JSON.parse(stdout) as { predictions: number[][] };
    assertClose(answer.predictions, local(model, [[0, 0, 0, 0]]));
  });

  test("predict: rows, named inputs and tensors answer as model.predict does", async () => {
    assertClose(await predict("iris", X), local(model, X));
    assertClose(await predict("iris", tf.tensor2d(X), { version }), local(model, X));
    const columnar = await predict<number[][]>("iris", { measurements: X }, { label: "stable" });
    assertClose(columnar, local(model, X));
    const tensor = (await predict("iris", X, { tensors: true })) as tf.Tensor;
    assert.deepEqual(tensor.shape, [3, 3]);
    assertClose(tensor.arraySync() as number[][], local(model, X));
  });

  test("classify: rows of numbers (whole ones too), tensors, or tf.Example objects", async () => {
    const expected = local(model, X).map((scores) =>
      ["setosa", "versicolor", "virginica"].map((label, i) => [label, scores[i]!]),
    );
    for (const examples of [X, tf.tensor2d(X), X.map((measurements) => ({ measurements }))]) {
      const results = await classify("iris", examples);
      assert.equal(results.length, 3);
      results.forEach((classes, i) =>
        classes.forEach(([label, score], j) => {
          assert.equal(label, expected[i]![j]![0]);
          assert.ok(Math.abs(score - (expected[i]![j]![1] as number)) < 1e-5);
        }),
      );
    }
  });

  test("status, metadata and models read what the server serves", async () => {
    assert.deepEqual(await status("iris"), [
      { version: "1", state: "AVAILABLE", status: { error_code: "OK", error_message: "" } },
    ]);
    const meta = await metadata("iris");
    assert.deepEqual(Object.keys(meta.metadata.signature_def.signature_def).sort(), [
      "classify",
      "serving_default",
    ]);
    assert.equal(meta.model_spec.version, "1");
    const listed = (await models()).find((m) => m.name === "iris");
    assert.deepEqual(listed?.labels, { stable: "1" });
    assert.ok((listed?.model_version_status[0]?.size_bytes ?? 0) > 0);
  });

  test("labels move; a deleted version is gone", async () => {
    const next = await deploy(classifier(7), { name: "iris", signatures: sigs, label: "canary" });
    assert.equal(next.version, 2);
    const onStable = await predict("iris", X, { label: "stable" });
    const onCanary = await predict("iris", X, { label: "canary" });
    assert.notDeepEqual(onStable, onCanary);
    assert.deepEqual(await setLabel("iris", "stable", 2), {
      name: "iris",
      label: "stable",
      version: 2,
    });
    assert.deepEqual(await predict("iris", X, { label: "stable" }), onCanary);
    assert.deepEqual(await removeLabel("iris", "canary"), { name: "iris", label: "canary" });
    assert.deepEqual(await undeploy("iris", 1), { name: "iris", version: 1, state: "END" });
    await assert.rejects(
      status("iris", { version: 1 }),
      (e: unknown) => e instanceof ServerError && e.status === 404,
    );
  });
});

describe("what deploy takes", () => {
  test("an exported folder, by path or as exportModel returned it, at a chosen version", async () => {
    const model = classifier(3);
    const exported = await exportModel(model, join(served.work, "exports"), { name: "folder" });
    const byObject = await deploy(exported, { name: "folder", version: 5 });
    assert.equal(byObject.version, 5);
    const byPath = await deploy(exported.path, { name: "folder" });
    assert.equal(byPath.version, 6);
    assertClose(await predict("folder", X), local(model, X));
  });

  test("a graph model", async () => {
    const demo = join(ROOT, "server", "demo", "models", "half_plus_two", "1");
    const graph = await tf.loadGraphModel(tf.io.fromMemory(await readModelArtifacts(demo)));
    await deploy(graph, { name: "graph" });
    // No signatures given: the server derives serving_default from the graph's placeholders.
    const outputs = await predict<Record<string, number[][]>>("graph", {
      tf_example_x: [[1], [2]],
      tf_example_x2: [[0], [4]],
    });
    assert.deepEqual(outputs, { y: [[2.5], [3]], y2: [[3.5], [4]], y3: [[3], [5]] });
  });

  test("a SavedModel export", async () => {
    const model = classifier(11);
    const sigs = {
      serving_default: signatures.predict(model),
      classify: signatures.classify(model, { classes: ["setosa", "versicolor", "virginica"] }),
    };
    await deploy(model, { name: "saved", format: "savedmodel", signatures: sigs });
    assertClose(await predict("saved", X), local(model, X));
    const best = (await classify("saved", X)).map(
      (c) => c.reduce((a, b) => (b[1] > a[1] ? b : a))[0],
    );
    const expected = local(model, X).map(
      (p) => ["setosa", "versicolor", "virginica"][p.indexOf(Math.max(...p))],
    );
    assert.deepEqual(best, expected);
  });

  test("a regress signature answers :regress", async () => {
    const input = tf.input({ shape: [2], name: "x" });
    const y = tf.layers
      .dense({ units: 1, name: "y", kernelInitializer: "ones", biasInitializer: "ones" })
      .apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    await deploy(model, {
      name: "line",
      signatures: { serving_default: signatures.regress(model) },
    });
    assert.deepEqual(
      await regress("line", [
        [1, 2],
        [3, 4],
      ]),
      [4, 8],
    );
    assert.deepEqual(await regress("line", [{ x: [0.5, 0.5] }]), [2]);
  });

  test("wait: false returns once the upload is in", async () => {
    const deployment = await deploy(classifier(5), { name: "nowait", wait: false });
    assert.equal(deployment.version, 1);
    assert.match(deployment.state, /^(START|LOADING|AVAILABLE)$/);
    assert.equal(deployment.curl, `curl -d '{"instances": [...]}' -X POST ${deployment.url}`);
    await assert.rejects(
      deploy(classifier(5), { name: "nowait", wait: false, label: "stable" }),
      /A label can point only at an AVAILABLE version/,
    );
  });
});

describe("errors carry the server's message", () => {
  test("a version that fails to load throws a DeployError with the server's reason", async () => {
    const model = classifier(9);
    const exported = await exportModel(model, join(served.work, "broken"), { name: "broken" });
    // A weight shard cut short: the upload is a valid folder, the load fails.
    const shard = join(exported.path, "group1-shard1of1.bin");
    await writeFile(shard, (await readFile(shard)).subarray(0, 16));
    const error = await deploy(exported.path, { name: "broken" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof DeployError, String(error));
    assert.equal(error.state, "END");
    assert.equal(error.version, 1);
    assert.match(error.serverMessage, /Weights of .* are truncated/);
    assert.match(error.message, /^Version 1 of model broken is END: Weights of/);
  });

  test("a wrong token is a 401 ServerError that says what to do", async () => {
    const error = await deploy(classifier(2), { name: "denied", token: "wrong" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ServerError);
    assert.equal(error.status, 401);
    assert.equal(error.serverMessage, "Invalid bearer token");
    assert.match(error.message, /check SERVABLE_TOKEN or the token option/);
  });

  test("bad requests keep the server's text; a closed port is a NetworkError", async () => {
    await assert.rejects(
      predict("iris", [[1, 2]]),
      // TF.js says "Input 0 is incompatible...", ONNX Runtime "invalid dimensions for input".
      (e: unknown) =>
        e instanceof ServerError && e.status === 400 && /input/i.test(e.serverMessage),
    );
    await assert.rejects(
      predict("nope", X),
      (e: unknown) => e instanceof ServerError && e.status === 404,
    );
    await assert.rejects(deploy(classifier(2), { name: "../x" }), /Invalid model name/);
    const closed = `http://127.0.0.1:${await freePort()}`;
    await assert.rejects(
      models({ server: closed }),
      (e: unknown) => e instanceof NetworkError && e.url === closed,
    );
  });
});

test("large uploads show their progress on stderr", async () => {
  const input = tf.input({ shape: [1000], name: "x" });
  const y = tf.layers.dense({ units: 600, name: "y" }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: y }); // 600 k floats, 2.4 MB
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    await deploy(model, { name: "big" });
  } finally {
    process.stderr.write = write;
  }
  assert.match(lines[0]!, /^Uploading big: 0 B of 2\.4 MB \(0%\)\n$/);
  assert.match(lines.at(-1)!, /^Uploading big: 2\.4 MB of 2\.4 MB \(100%\) in \d+\.\d s\n$/);
  const quiet: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array) => {
    quiet.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    await deploy(model, { name: "big", progress: false });
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(quiet, []);
});
