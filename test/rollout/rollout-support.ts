import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { RolloutView } from "@servable/protocol";
import {
  installVersion,
  servingClient,
  unary,
  type ScratchFolder,
  type ServerProcess,
  type ServingClient,
  ROOT,
} from "../support";

/**
 * What the rollout tests share: model versions that answer differently (so an answer tells
 * which version gave it), one that fails on some requests, a repository laid out with a
 * `stable` label, and clients that send unversioned requests and read the version header.
 */
const DEMO_VERSION = join(ROOT, "server", "demo", "models", "half_plus_two", "1");
const SHARD = "group1-shard1of1.bin";

/** The demo half_plus_two graph answering y = a·x + b on serving_default. */
export async function affineVersion(dir: string, a: number, b: number): Promise<void> {
  await cp(DEMO_VERSION, dir, { recursive: true });
  await writeFile(join(dir, SHARD), Buffer.from(Float32Array.of(a, b, 3, 0.5, 3).buffer));
}

/**
 * y = a·x + b reshaped to [1, 1]: it answers requests of one instance and fails, while
 * running, on requests of two (a model bug that only some traffic finds).
 */
export async function oneRowVersion(dir: string, a: number, b: number): Promise<void> {
  await affineVersion(dir, a, b);
  const path = join(dir, "model.json");
  const model = JSON.parse(await readFile(path, "utf8")) as {
    modelTopology: { node: { name: string; op: string; input?: string[]; attr?: object }[] };
    weightsManifest: { weights: object[] }[];
  };
  const y = model.modelTopology.node.find((n) => n.name === "y")!;
  y.name = "y_sum";
  model.modelTopology.node.push(
    {
      name: "one_row",
      op: "Const",
      attr: {
        dtype: { type: "DT_INT32" },
        value: { tensor: { dtype: "DT_INT32", tensorShape: { dim: [{ size: "2" }] } } },
      },
    },
    {
      name: "y",
      op: "Reshape",
      input: ["y_sum", "one_row"],
      attr: { T: { type: "DT_FLOAT" }, Tshape: { type: "DT_INT32" } },
    },
  );
  model.weightsManifest[0]!.weights.push({ name: "one_row", shape: [2], dtype: "int32" });
  await writeFile(path, JSON.stringify(model));
  const weights = Buffer.concat([
    Buffer.from(Float32Array.of(a, b, 3, 0.5, 3).buffer),
    Buffer.from(Int32Array.of(1, 1).buffer),
  ]);
  await writeFile(join(dir, SHARD), weights);
}

/** A model's versions, each made in the folder given by its function. */
export type Versions = Record<number, (dir: string) => Promise<void>>;

/**
 * The versions most rollout tests route between: stable (version 1) answers y = 0.5x + 2
 * and the candidate (version 2) y = 0.5x + 3, so every answer tells which version gave it.
 */
export const STABLE_AND_CANDIDATE: Versions = {
  1: (dir) => affineVersion(dir, 0.5, 2),
  2: (dir) => affineVersion(dir, 0.5, 3),
};

/** What version 1 or 2 of `STABLE_AND_CANDIDATE` answers for x. */
export const answerOf = (version: number, x: number): number => 0.5 * x + (version === 1 ? 2 : 3);

/** The same stable version, and a candidate that fails on requests of two rows (a bug). */
export const STABLE_AND_FAILING_CANDIDATE: Versions = {
  1: STABLE_AND_CANDIDATE[1]!,
  2: (dir) => oneRowVersion(dir, 0.5, 3),
};

/** The model repository of a rollout test, in its scratch folder. */
export const repositoryIn = (scratch: ScratchFolder): string => join(scratch.path, "repository");

/**
 * Adds `model` to the repository in a rollout test's scratch folder: each of `versions`
 * made by its function, and the model's `stable` label set to `stable`.
 */
export async function repositoryWith(
  scratch: ScratchFolder,
  model: string,
  versions: Versions,
  stable: number,
): Promise<void> {
  const repository = repositoryIn(scratch);
  for (const [version, make] of Object.entries(versions)) {
    await installVersion(join(repository, model), Number(version), make);
  }
  const labels = join(repository, ".servable", "models", model, "labels");
  await mkdir(labels, { recursive: true });
  await writeFile(join(labels, "stable.json"), `${JSON.stringify({ version: stable })}\n`);
}

export interface Answered {
  status: number;
  /** X-Servable-Version, as a number (NaN when absent). */
  version: number;
  /** predictions[i][0] of a 200. */
  ys: number[];
  error?: string;
}

/** A REST predict of `xs` (one instance each) on `path` (`m`, `m/versions/1`, `m/labels/l`). */
export async function predictRows(
  url: string,
  path: string,
  xs: readonly number[],
  routingKey?: string,
): Promise<Answered> {
  const res = await fetch(`${url}/v1/models/${path}:predict`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(routingKey !== undefined && { "X-Servable-Routing-Key": routingKey }),
    },
    body: JSON.stringify({ instances: xs.map((x) => [x]) }),
  });
  const body = (await res.json()) as { predictions?: number[][]; error?: string };
  return {
    status: res.status,
    version: Number(res.headers.get("x-servable-version")),
    ys: body.predictions?.map((row) => row[0]!) ?? [],
    error: body.error,
  };
}

/** Runs `count` calls of `one` with `concurrency` of them in flight. */
export async function inParallel(
  count: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

export async function rolloutView(url: string, model: string): Promise<RolloutView | undefined> {
  const res = await fetch(`${url}/v1/models/${model}/rollout`);
  if (res.status === 404) return undefined;
  return (await res.json()) as RolloutView;
}

/** A counter's value in the Prometheus text (0 when the line is absent). */
export async function metricValue(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/monitoring/prometheus/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

const MONITORING_CONFIG =
  'prometheus_config { enable: true, path: "/monitoring/prometheus/metrics" }\n';

/**
 * Starts a server on the repository in `scratch` as the rollout tests run it: management
 * calls take `token`, the Prometheus metrics the tests read are exported, and the runtime
 * state lives in the scratch folder, in `runtime` (one folder a server, as on two hosts).
 */
export async function startRolloutServer(
  scratch: ScratchFolder,
  token: string,
  { flags = [], runtime = "runtime" }: { flags?: readonly string[]; runtime?: string } = {},
): Promise<ServerProcess> {
  // One a server: servers starting side by side must not read a file another is writing.
  const monitoring = join(scratch.path, `${runtime}.monitoring.config`);
  await writeFile(monitoring, MONITORING_CONFIG);
  return scratch.startServer(
    [
      `--model_repository=${repositoryIn(scratch)}`,
      `--monitoring_config_file=${monitoring}`,
      ...flags,
    ],
    { env: { SERVABLE_TOKEN: token, SERVABLE_RUNTIME_DIR: join(scratch.path, runtime) } },
  );
}

/** TF Serving's PredictionService client (the gRPC API). */
export const predictionClient = (port: number): ServingClient =>
  servingClient("PredictionService", `127.0.0.1:${port}`);

/** A gRPC Predict of one x, unversioned, with the routing key as metadata; the version and y. */
export async function grpcPredict(
  client: ServingClient,
  model: string,
  x: number,
  routingKey?: string,
): Promise<{ version: number; y: number }> {
  const metadata = new grpc.Metadata();
  if (routingKey !== undefined) metadata.set("x-servable-routing-key", routingKey);
  const request = {
    model_spec: { name: model },
    inputs: {
      x: { dtype: "DT_FLOAT", tensor_shape: { dim: [{ size: 1 }, { size: 1 }] }, float_val: [x] },
    },
  };
  const r = await unary<{
    model_spec: { version: { value: string } };
    outputs: { y: { float_val: number[] } };
  }>(client, "Predict", request, { metadata });
  return { version: Number(r.model_spec.version.value), y: r.outputs.y.float_val[0]! };
}
