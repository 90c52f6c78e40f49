import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { exportModel } from "./export-model";
import { signatures } from "./signatures";

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-export-"));
});
after(() => rm(work, { recursive: true, force: true }));

function mlp(inputs: number, hidden: number): tf.LayersModel {
  const input = tf.input({ shape: [inputs], name: "x" });
  const h = tf.layers
    .dense({ units: hidden, activation: "relu" })
    .apply(input) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 2, name: "y" }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

/*
 * The folders' contents are @servable/convert's writers' (tested there); that the server
 * reads them back as the same model is tested in the server (formats/tfjs/model-artifacts).
 */
test("a layers model is written as <base>/<name>/<version>/ with its signature file", async () => {
  const model = mlp(3, 4);
  const sigs = { serving_default: signatures.predict(model) };
  const exported = await exportModel(model, join(work, "a"), { name: "m", signatures: sigs });
  assert.equal(exported.version, 1);
  assert.equal(exported.path, join(work, "a", "m", "1"));
  assert.deepEqual(exported.files, ["group1-shard1of1.bin", "model.json", "signatures.json"]);
  assert.equal(exported.bytes > 0, true);
  const file = JSON.parse(await readFile(join(exported.path, "signatures.json"), "utf8"));
  assert.equal(file.signature_def.serving_default.outputs.y.name, "y");
});

test("format savedmodel writes a SavedModel version folder, with the signatures as SignatureDefs", async () => {
  const model = mlp(3, 4);
  const exported = await exportModel(model, join(work, "s"), {
    name: "m",
    format: "savedmodel",
    signatures: { serving_default: signatures.predict(model) },
  });
  assert.equal(exported.path, join(work, "s", "m", "1"));
  assert.deepEqual(exported.files, ["saved_model.pb"]);
  assert.deepEqual(await readdir(join(exported.path, "variables")), []);
});

test("versions count up from the highest folder; a given version is kept; an existing one is refused", async () => {
  const model = mlp(2, 2);
  const base = join(work, "b");
  await mkdir(join(base, "m", "7"), { recursive: true });
  assert.equal((await exportModel(model, base, { name: "m" })).version, 8);
  assert.equal((await exportModel(model, base, { name: "m", version: 3 })).version, 3);
  await assert.rejects(exportModel(model, base, { name: "m", version: 3 }), /exists already/);
  // Without signatures there is no signature file: the server derives serving_default.
  assert.deepEqual(await readdir(join(base, "m", "8")), ["group1-shard1of1.bin", "model.json"]);
  // Nothing half-written stays behind, even after the refusal.
  assert.deepEqual((await readdir(join(base, "m"))).sort(), ["3", "7", "8"]);
});

test("bad names and non-models are refused before anything is written", async () => {
  const model = mlp(2, 2);
  for (const name of ["../up", "a/b", ".hidden", "", "with space"]) {
    await assert.rejects(exportModel(model, join(work, "e"), { name }), /Invalid model name/);
  }
  await assert.rejects(
    exportModel({ not: "a model" } as never, join(work, "e"), { name: "ok" }),
    /takes a TF.js LayersModel or GraphModel/,
  );
  assert.deepEqual(await readdir(work).then((n) => n.includes("e")), false);
});
