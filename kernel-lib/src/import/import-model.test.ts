import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { tensorInfo } from "@servable/protocol";
import { ImportError, importModel } from "./import-model";

let work: string;
let repository: string;
let xgbFile: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "import-model-"));
  repository = join(work, "models");
  xgbFile = join(work, "model.json");
  await writeFile(
    xgbFile,
    JSON.stringify({
      version: [1, 7, 4],
      learner: {
        objective: { name: "binary:logistic" },
        learner_model_param: { base_score: "5E-1", num_feature: "3", num_class: "0" },
        gradient_booster: {
          name: "gbtree",
          model: {
            tree_info: [0],
            trees: [
              {
                left_children: [1, -1, -1],
                right_children: [2, -1, -1],
                split_indices: [2, 0, 0],
                split_conditions: [0.5, -1, 1],
                default_left: [1, 0, 0],
                split_type: [0, 0, 0],
              },
            ],
          },
        },
      },
    }),
  );
});
after(() => rm(work, { recursive: true, force: true }));

test("an XGBoost model becomes version 1, then 2, with predict and classify signatures", async () => {
  const first = await importModel(xgbFile, repository, { name: "churn" });
  assert.equal(first.version, 1);
  assert.equal(first.source, "xgboost");
  assert.equal(first.path, join(repository, "churn", "1"));
  assert.deepEqual((await readdir(first.path)).sort(), ["model.onnx", "signatures.json"]);
  const written = JSON.parse(await readFile(join(first.path, "signatures.json"), "utf8")) as {
    signature_def: Record<string, { method_name: string; inputs: Record<string, unknown> }>;
    class_labels: Record<string, string[]>;
  };
  assert.deepEqual(Object.keys(written.signature_def), ["serving_default", "classify"]);
  assert.equal(written.signature_def.classify!.method_name, "tensorflow/serving/classify");
  assert.deepEqual(written.class_labels, { classify: ["0", "1"] });
  assert.deepEqual(
    written.signature_def.serving_default!.inputs.features,
    tensorInfo("features", "DT_FLOAT", [-1, 3]),
  );
  const second = await importModel(xgbFile, repository, { name: "churn" });
  assert.equal(second.version, 2);
});

test("an ONNX file is copied as it is, with its derived signature", async () => {
  const onnx = join(repository, "churn", "1", "model.onnx");
  const imported = await importModel(onnx, repository, { name: "copied", version: 7 });
  assert.equal(imported.source, "onnx");
  assert.equal(imported.version, 7);
  assert.deepEqual(await readFile(join(imported.path, "model.onnx")), await readFile(onnx));
  // Its outputs come from a Concat and an ArgMax, not one ai.onnx.ml classifier: predict only.
  assert.deepEqual(Object.keys(imported.signatures.signature_def), ["serving_default"]);
  assert.deepEqual(Object.keys(imported.signatures.signature_def.serving_default!.outputs), [
    "label",
    "probabilities",
  ]);
});

test("refusals leave the repository as it was", async () => {
  const refuse = async (file: string, name: string, options: object, message: RegExp) => {
    const before = await readdir(repository);
    await assert.rejects(importModel(file, repository, { name, ...options }), (e: unknown) => {
      assert.ok(e instanceof ImportError);
      assert.match(e.message, message);
      return true;
    });
    assert.deepEqual(await readdir(repository), before);
  };
  await refuse(xgbFile, "churn", { version: 1 }, /already has a version 1/);
  await refuse(xgbFile, "../escape", {}, /Invalid model name/);
  await refuse(join(work, "missing.onnx"), "x", {}, /Cannot read/);
  const notOnnx = join(work, "bad.onnx");
  await writeFile(notOnnx, "definitely not protobuf \u0000\u00ff");
  await refuse(notOnnx, "bad", {}, /Not an ONNX model/);
  const binary = join(work, "model.ubj");
  await writeFile(binary, "{");
  await refuse(binary, "ubj", {}, /save the model as JSON/);
  const other = join(work, "weights.h5");
  await writeFile(other, "");
  await refuse(other, "h5", {}, /not a model Servable imports/);
  const leftovers = (await readdir(join(repository, "churn"))).filter((n) => n.startsWith("."));
  assert.deepEqual(leftovers, []);
});
