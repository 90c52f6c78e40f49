/**
 * deploy() wall time (never part of CI): a 10 MB TF.js model (a 1600x1600 dense layer,
 * 2.56 M float32 weights) deployed five times from this process to servable-server on
 * loopback; prints each time and the median. Measures the built server (`npm run build`),
 * as `npm start` runs it, with its default worker replica and with --model_replicas=0.
 *
 *   node --import tsx bench/deploy.ts
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { deploy } from "../kernel-lib/src";

const ROOT = join(__dirname, "..");
const CLI = join(ROOT, "server", "dist", "cli.js");
const RUNS = 5;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function measure(label: string, extraFlags: string[]): Promise<number[]> {
  const work = await mkdtemp(join(tmpdir(), "servable-bench-deploy-"));
  await mkdir(join(work, "repository"));
  const port = await freePort();
  const runtime = join(work, "runtime");
  const child = spawn(
    process.execPath,
    [
      CLI,
      `--model_repository=${join(work, "repository")}`,
      `--rest_api_port=${port}`,
      "--rest_api_host=127.0.0.1",
      "--port=0",
      "--log_level=warn",
      ...extraFlags,
    ],
    { env: { ...process.env, SERVABLE_RUNTIME_DIR: runtime, SERVABLE_TOKEN: "" }, stdio: "ignore" },
  );
  const file = join(runtime, `server-${port}.json`);
  for (let i = 0; !existsSync(file); i++) {
    if (i > 600) throw new Error("the server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  const { token } = JSON.parse(await readFile(file, "utf8")) as { token: string };
  const input = tf.input({ shape: [1600], name: "x" });
  const output = tf.layers.dense({ units: 1600, name: "y" }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await deploy(model, {
        name: "ten_mb",
        server: `http://127.0.0.1:${port}`,
        token,
        progress: false,
      });
      times.push(performance.now() - started);
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await rm(work, { recursive: true, force: true });
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `${label}: ${times.map((t) => t.toFixed(0)).join(", ")} ms; median ${sorted[Math.floor(RUNS / 2)]!.toFixed(0)} ms`,
  );
  return times;
}

(async () => {
  if (!existsSync(CLI)) throw new Error("Build first: npm run build");
  console.log(`deploy() of a 10.2 MB model, ${RUNS} runs, loopback`);
  await measure("default (one worker replica per version)", []);
  await measure("--model_replicas=0 (model on the REST thread)", ["--model_replicas=0"]);
})().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
