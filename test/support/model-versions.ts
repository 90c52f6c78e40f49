import { cp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { onnxHelper } from "@servable/convert";
import { ElementType, encodeModel } from "@servable/protocol";
import { ROOT } from "./server-process";

/**
 * Model versions for tests that change a model repository under a running server. Each is
 * the demo half_plus_two TF.js graph model with other weights, so versions answer
 * differently: `linearVersion(dir, b)` answers y = 0.5x + b on serving_default. A version
 * is written beside its base path and renamed into place, as a deployment does, so the
 * server never sees it half-written.
 */
export const DEMO_REPOSITORY = join(ROOT, "server", "demo", "models");
const DEMO_VERSION = join(DEMO_REPOSITORY, "half_plus_two", "1");
const SHARD = "group1-shard1of1.bin";

/** The demo graph with y = 0.5x + b (y2 = 0.5x + 3, y3 = 0.5x2 + 3 as in the demo). */
export async function linearVersion(dir: string, b: number): Promise<void> {
  await cp(DEMO_VERSION, dir, { recursive: true });
  await writeFile(join(dir, SHARD), Buffer.from(Float32Array.of(0.5, b, 3, 0.5, 3).buffer));
}

/** y = 0.5 x + 2 as an ONNX graph: input x and output y, both of shape [batch]. */
export function halfPlusTwoOnnx(): Uint8Array {
  const { floatConstant, node, tensorValue } = onnxHelper;
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "half_plus_two",
      node: [node("Mul", ["x", "half"], ["halved"]), node("Add", ["halved", "two"], ["y"])],
      initializer: [floatConstant("half", [0.5]), floatConstant("two", [2])],
      input: [tensorValue("x", ElementType.FLOAT, ["batch"])],
      output: [tensorValue("y", ElementType.FLOAT, ["batch"])],
    },
  });
}

/**
 * A linear version that also holds `megabytes` of weights the graph does not use: it takes
 * time and memory to load, as a real model does.
 */
export async function heavyLinearVersion(dir: string, b: number, megabytes: number): Promise<void> {
  await linearVersion(dir, b);
  const ballastValues = Math.floor((megabytes * 1024 * 1024) / 4);
  const model = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as {
    modelTopology: { node: object[] };
    weightsManifest: { paths: string[]; weights: object[] }[];
  };
  model.modelTopology.node.push({
    name: "ballast",
    op: "Const",
    attr: {
      dtype: { type: "DT_FLOAT" },
      value: {
        tensor: { dtype: "DT_FLOAT", tensorShape: { dim: [{ size: String(ballastValues) }] } },
      },
    },
  });
  model.weightsManifest.push({
    paths: ["ballast.bin"],
    weights: [{ name: "ballast", shape: [ballastValues], dtype: "float32" }],
  });
  await writeFile(join(dir, "model.json"), JSON.stringify(model));
  const ballast = new Float32Array(ballastValues);
  for (let i = 0; i < ballast.length; i += 1024) ballast[i] = i;
  await writeFile(join(dir, "ballast.bin"), Buffer.from(ballast.buffer));
}

/** A version whose model.json is not JSON: it must fail to load, and never serve. */
export async function corruptVersion(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "model.json"), '{"format": "graph-model", "modelTopology": {');
}

/** Builds a version with `make` in a hidden folder beside it, then renames it into place. */
export async function installVersion(
  basePath: string,
  version: number,
  make: (dir: string) => Promise<void>,
): Promise<string> {
  const target = join(basePath, String(version));
  const staging = join(basePath, `.staging-${version}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(dirname(staging), { recursive: true });
  await make(staging);
  await rename(staging, target);
  return target;
}
