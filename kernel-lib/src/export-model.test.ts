import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { readModelArtifacts } from "@servable/server/dist/formats/tfjs/model-artifacts";
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

/** The exported folder loaded the way the server reads it, then predicting. */
async function predictFromExport(dir: string, x: number[][]): Promise<number[][]> {
  const model = await tf.loadLayersModel(tf.io.fromMemory(await readModelArtifacts(dir)));
  return (model.predict(tf.tensor2d(x)) as tf.Tensor).arraySync() as number[][];
}

test("a layers model is written as <base>/<name>/<version>/ and reads back as the same model", async () => {
  const model = mlp(3, 4);
  const sigs = { serving_default: signatures.predict(model) };
  const exported = await exportModel(model, join(work, "a"), { name: "m", signatures: sigs });
  assert.equal(exported.version, 1);
  assert.equal(exported.path, join(work, "a", "m", "1"));
  assert.deepEqual(exported.files, ["group1-shard1of1.bin", "model.json", "signatures.json"]);
  assert.equal(exported.bytes > 0, true);
  const file = JSON.parse(await readFile(join(exported.path, "signatures.json"), "utf8"));
  assert.equal(file.signature_def.serving_default.outputs.y.name, "y");
  const x = [[1, 2, 3]];
  assert.deepEqual(
    await predictFromExport(exported.path, x),
    (model.predict(tf.tensor2d(x)) as tf.Tensor).arraySync(),
  );
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

test("weights over 4 MiB are split into 4 MiB shards, as TF.js's converter splits them", async () => {
  const model = mlp(1000, 1200); // 1.2 M floats, 4.8 MB
  const exported = await exportModel(model, join(work, "c"), { name: "big" });
  assert.deepEqual(exported.files, ["group1-shard1of2.bin", "group1-shard2of2.bin", "model.json"]);
  const manifest = JSON.parse(await readFile(join(exported.path, "model.json"), "utf8"))
    .weightsManifest as { paths: string[] }[];
  assert.deepEqual(manifest[0]!.paths, ["group1-shard1of2.bin", "group1-shard2of2.bin"]);
  const x = [Array.from({ length: 1000 }, (_, i) => Math.sin(i))];
  const expected = (model.predict(tf.tensor2d(x)) as tf.Tensor).arraySync() as number[][];
  const got = await predictFromExport(exported.path, x);
  got[0]!.forEach((v, i) => assert.ok(Math.abs(v - expected[0]![i]!) < 1e-5));
});

test("a graph model exports too", async () => {
  const demo = join(__dirname, "..", "..", "server", "demo", "models", "half_plus_two", "1");
  const graph = await tf.loadGraphModel(tf.io.fromMemory(await readModelArtifacts(demo)));
  const exported = await exportModel(graph, join(work, "d"), { name: "hpt" });
  const reloaded = await tf.loadGraphModel(
    tf.io.fromMemory(await readModelArtifacts(exported.path)),
  );
  const y = reloaded.execute({ x: tf.tensor2d([[1], [2]]) }, "y:0") as tf.Tensor;
  assert.deepEqual(y.arraySync(), [[2.5], [3]]);
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
