import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import express from "express";

/**
 * What a user writes without a model server: express, express.json, and one
 * model.predict per request on TF.js's wasm backend.
 * Usage: node naive-express.ts <port> <model repository>
 */
const [port, repository] = process.argv.slice(2) as [string, string];

async function load(dir: string): Promise<tf.LayersModel | tf.GraphModel> {
  const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as tf.io.ModelJSON;
  const buffers = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dir, p))),
  );
  const weightData = new Uint8Array(Buffer.concat(buffers)).buffer;
  const artifacts = {
    ...json,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData,
  };
  return json.format === "graph-model"
    ? tf.loadGraphModel(tf.io.fromMemory(artifacts))
    : tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

async function main(): Promise<void> {
  await tf.setBackend("wasm");
  const models: Record<string, tf.LayersModel | tf.GraphModel> = {
    half_plus_two: await load(join(repository, "half_plus_two", "1")),
    mlp: await load(join(repository, "mlp", "1")),
  };
  const app = express();
  app.use(express.json({ limit: "10mb" }));
  app.post(/^\/v1\/models\/([^/:]+):predict$/, async (req, res) => {
    const model = models[(req.params as unknown as string[])[0]!];
    if (!model) return void res.status(404).json({ error: "no such model" });
    const input = tf.tensor(req.body.instances as number[]);
    const output =
      model instanceof tf.GraphModel
        ? (model.execute({ "x:0": input }, "y:0") as tf.Tensor)
        : (model.predict(input) as tf.Tensor);
    res.json({ predictions: await output.array() });
    tf.dispose([input, output]);
  });
  app.listen(Number(port), "127.0.0.1", () => process.stdout.write("ready\n"));
}

void main();
