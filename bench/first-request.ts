/**
 * First-request latency after a deploy, without and with warmup (never part of CI): for
 * the demo half_plus_two (TF.js graph model) and the 784-512-512-10 MLP (TF.js layers
 * model), each run deploys a new model to servable-server on loopback, waits until it is
 * AVAILABLE, then times requests 1 to 10 on it (sequential, loopback HTTP). "With warmup"
 * deploys the same model with its warmup file holding the request the client then sends.
 * The client's connection is open before request 1 (it asked for the model's status, as
 * a client that watched the deploy has). Request 11 follows a 1 s pause: what any request
 * after a quiet second costs (a worker thread waking up), for comparison.
 * Prints each run and the medians. Measures the built server (`npm run build`) with its
 * defaults (one worker replica per version), or with the server flags given after `runs`.
 *
 *   node --import tsx bench/first-request.ts [runs=5] [--server_flag=value ...]
 */
import { cp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { deploy, writeWarmupRequests, type WarmupRequest } from "../kernel-lib/src";
import { deployTarget, ROOT, type DeployTarget } from "./bench-processes";
import { mlpModel, mlpValues } from "./models";

const DEMO = join(ROOT, "server", "demo", "models", "half_plus_two", "1");
const RUNS = Number(process.argv[2] ?? 5);
const REQUESTS = 10;

interface Case {
  readonly label: string;
  readonly body: WarmupRequest;
  /** Deploys a new model named `name`, with `warmup` or none; resolves once AVAILABLE. */
  deploy(server: DeployTarget, name: string, warmup: WarmupRequest[] | undefined): Promise<void>;
}

const demo: Case = {
  label: "demo half_plus_two (TF.js graph)",
  body: { instances: [[1.0], [2.0], [5.0]] },
  async deploy(server, name, warmup) {
    // A version folder of one's own: the demo's files, and the warmup file written beside.
    const dir = join(server.work, `${name}-export`);
    await cp(DEMO, dir, { recursive: true });
    if (warmup) {
      const file = JSON.parse(await readFile(join(dir, "signatures.json"), "utf8")) as {
        signature_def: Parameters<typeof writeWarmupRequests>[3];
      };
      await writeWarmupRequests(dir, name, warmup, file.signature_def);
    }
    await deploy(dir, {
      name,
      server: server.url,
      token: server.token,
      progress: false,
      display: false,
    });
  },
};

const mlp: Case = {
  label: "MLP 784-512-512-10 (TF.js layers)",
  body: { instances: [mlpValues()] },
  async deploy(server, name, warmup) {
    const model = mlpModel();
    try {
      await deploy(model, {
        name,
        server: server.url,
        token: server.token,
        progress: false,
        display: false,
        ...(warmup && { warmup }),
      });
    } finally {
      model.dispose();
    }
  },
};

/** Times requests 1..REQUESTS on the model back to back, then one after a 1 s pause, in ms. */
async function timeRequests(server: DeployTarget, name: string, body: string): Promise<number[]> {
  const once = async () => {
    const started = performance.now();
    const res = await fetch(`${server.url}/v1/models/${name}:predict`, { method: "POST", body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${name}: ${res.status} ${text}`);
    return performance.now() - started;
  };
  await (await fetch(`${server.url}/v1/models/${name}`)).text();
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) times.push(await once());
  await new Promise((r) => setTimeout(r, 1000));
  times.push(await once());
  return times;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);

(async () => {
  const server = await deployTarget("servable-bench-first-request-", process.argv.slice(3));
  const rows: string[] = [];
  try {
    console.log(`First-request latency after deploy, ${RUNS} runs each, loopback, ms`);
    for (const c of [demo, mlp]) {
      for (const warm of [false, true]) {
        const first: number[] = [];
        const tenth: number[] = [];
        const idle: number[] = [];
        for (let run = 0; run < RUNS; run++) {
          const name = `${c === demo ? "demo" : "mlp"}_${warm ? "warm" : "cold"}_${run}`;
          await c.deploy(server, name, warm ? [c.body] : undefined);
          const times = await timeRequests(server, name, JSON.stringify(c.body));
          first.push(times[0]!);
          tenth.push(times[REQUESTS - 1]!);
          idle.push(times[REQUESTS]!);
          console.log(
            `  ${c.label}, ${warm ? "with" : "without"} warmup, run ${run + 1}: ` +
              `request 1 ${ms(times[0]!)}, request 10 ${ms(times[REQUESTS - 1]!)}, ` +
              `request 11 after 1 s ${ms(times[REQUESTS]!)}`,
          );
        }
        rows.push(
          `| ${c.label} | ${warm ? "with" : "without"} | ${ms(median(first))} | ${ms(median(tenth))} | ${(median(first) / median(tenth)).toFixed(1)}x | ${ms(median(idle))} |`,
        );
      }
    }
  } finally {
    await server.stop();
  }
  console.log(
    "\n| model | warmup | request 1 | request 10 | 1st / 10th | request 11, after 1 s idle |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const row of rows) console.log(row);
})().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
