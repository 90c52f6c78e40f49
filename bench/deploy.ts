/**
 * deploy() wall time (never part of CI): a 10 MB TF.js model (a 1600x1600 dense layer,
 * 2.56 M float32 weights) deployed five times from this process to servable-server on
 * loopback; prints each time and the median. Measures the built server (`npm run build`),
 * as `npm start` runs it, with its default worker replica and with --model_replicas=0.
 *
 *   node --import tsx bench/deploy.ts
 */
import * as tf from "@tensorflow/tfjs";
import { deploy } from "../kernel-lib/src";
import { deployTarget } from "./bench-processes";

const RUNS = 5;

async function measure(label: string, extraFlags: string[]): Promise<number[]> {
  const server = await deployTarget("servable-bench-deploy-", extraFlags);
  const input = tf.input({ shape: [1600], name: "x" });
  const output = tf.layers.dense({ units: 1600, name: "y" }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await deploy(model, {
        name: "ten_mb",
        server: server.url,
        token: server.token,
        progress: false,
      });
      times.push(performance.now() - started);
    }
  } finally {
    await server.stop();
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `${label}: ${times.map((t) => t.toFixed(0)).join(", ")} ms; median ${sorted[Math.floor(RUNS / 2)]!.toFixed(0)} ms`,
  );
  return times;
}

(async () => {
  console.log(`deploy() of a 10.2 MB model, ${RUNS} runs, loopback`);
  await measure("default (one worker replica per version)", []);
  await measure("--model_replicas=0 (model on the REST thread)", ["--model_replicas=0"]);
})().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
