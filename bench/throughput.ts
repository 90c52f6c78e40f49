/**
 * Throughput benchmark (`npm run bench`; never part of CI). Starts, one after another on
 * loopback, four servers on the same models:
 *   servable+batching  servable-server --enable_batching (worker replicas)
 *   servable           servable-server --model_replicas=0: no batching, model on the REST thread
 *   naive-express      express + express.json + model.predict per request (TF.js wasm)
 *   node-http-fixed    node:http answering the right JSON from memory (the ceiling)
 * and loads each with autocannon at 1, 8, 32 and 128 connections on the seed request to
 * half_plus_two and on single-row requests to a 784-512-512-10 MLP. Prints requests/s,
 * p50 and p99 and the ratios of servable+batching to naive-express and to the ceiling,
 * and writes the table to bench/results/latest.md.
 *
 * Environment: BENCH_SECONDS (per run, default 5), BENCH_CONNECTIONS (default 1,8,32,128),
 * BENCH_REPLICAS (worker replicas of servable+batching, default 1).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { makeModelRepository, mlpRequestBody } from "./models";

const ROOT = join(__dirname, "..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? "1,8,32,128").split(",").map(Number);
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 1);

interface Workload {
  name: string;
  path: string;
  body: string;
}

interface Measurement {
  server: string;
  workload: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

interface ServerUnderTest {
  name: string;
  start(port: number, repository: string, workload: Workload, answer: string): ChildProcess;
}

const node = (script: string, ...args: string[]) =>
  spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });

const servable = (name: string, extra: string[]): ServerUnderTest => ({
  name,
  start: (port, repository) =>
    node(
      join(ROOT, "server", "src", "cli.ts"),
      `--model_repository=${repository}`,
      `--rest_api_port=${port}`,
      "--rest_api_host=127.0.0.1",
      "--log_level=warn",
      "--file_system_poll_wait_seconds=0",
      "--port=0",
      ...extra,
    ),
});

const SERVERS: ServerUnderTest[] = [
  servable("servable+batching", ["--enable_batching", `--model_replicas=${REPLICAS}`]),
  servable("servable", ["--model_replicas=0"]),
  {
    name: "naive-express",
    start: (port, repository) =>
      node(join(__dirname, "servers", "naive-express.ts"), String(port), repository),
  },
  {
    name: "node-http-fixed",
    start: (port, _repository, _workload, answer) =>
      node(join(__dirname, "servers", "fixed-answer.ts"), String(port), answer),
  },
];

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "servable-bench-"));
  const repository = join(work, "models");
  await makeModelRepository(repository, join(ROOT, "server", "demo", "models"));
  const workloads: Workload[] = [
    {
      name: "half_plus_two",
      path: "/v1/models/half_plus_two:predict",
      body: '{"instances": [1.0, 2.0, 5.0]}',
    },
    { name: "mlp", path: "/v1/models/mlp:predict", body: mlpRequestBody() },
  ];
  const results: Measurement[] = [];
  try {
    for (const workload of workloads) {
      const answer = await referenceAnswer(repository, workload);
      for (const server of SERVERS) {
        const port = 19000 + Math.floor(Math.random() * 20000);
        const child = server.start(port, repository, workload, answer);
        try {
          await ready(child, port);
          await load(port, workload, 1, Math.min(2, SECONDS)); // warm-up
          for (const connections of CONNECTIONS) {
            const m = await load(port, workload, connections, SECONDS);
            results.push({ server: server.name, workload: workload.name, connections, ...m });
            process.stdout.write(
              `${workload.name.padEnd(14)} ${server.name.padEnd(18)} c=${String(connections).padEnd(4)} ` +
                `${m.rps.toFixed(0).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms${m.errors ? `  errors ${m.errors}` : ""}\n`,
            );
          }
        } finally {
          child.kill("SIGTERM");
        }
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const table = report(results);
  process.stdout.write(`\n${table}\n`);
  await mkdir(join(__dirname, "results"), { recursive: true });
  await writeFile(join(__dirname, "results", "latest.md"), table);
}

/** The right answer of a workload, from a servable-server run once (for the fixed-answer ceiling). */
async function referenceAnswer(repository: string, workload: Workload): Promise<string> {
  const port = 19000 + Math.floor(Math.random() * 20000);
  const child = SERVERS[1]!.start(port, repository, workload, "");
  try {
    await ready(child, port);
    const res = await fetch(`http://127.0.0.1:${port}${workload.path}`, {
      method: "POST",
      body: workload.body,
    });
    if (res.status !== 200)
      throw new Error(`reference request failed: ${res.status} ${await res.text()}`);
    return await res.text();
  } finally {
    child.kill("SIGTERM");
  }
}

async function ready(child: ChildProcess, port: number): Promise<void> {
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  createInterface({ input: child.stdout! }).on("line", () => undefined);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`server on ${port} did not start: ${stderr}`);
}

async function load(port: number, workload: Workload, connections: number, seconds: number) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${workload.path}`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: workload.body,
    connections,
    duration: seconds,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

function report(results: Measurement[]): string {
  const lines = [
    "# Throughput",
    "",
    `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores, ` +
      `Node ${process.version}, ${SECONDS} s per run, servable+batching with ${REPLICAS} worker replica(s).`,
    "",
    "| workload | connections | server | req/s | p50 ms | p99 ms | errors |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    lines.push(
      `| ${r.workload} | ${r.connections} | ${r.server} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`,
    );
  }
  lines.push(
    "",
    "| workload | connections | batching / naive-express req/s | batching / naive p99 | batching / node-http-fixed req/s |",
    "|---|---|---|---|---|",
  );
  const find = (s: string, w: string, c: number) =>
    results.find((r) => r.server === s && r.workload === w && r.connections === c);
  for (const w of [...new Set(results.map((r) => r.workload))]) {
    for (const c of CONNECTIONS) {
      const a = find("servable+batching", w, c);
      const naive = find("naive-express", w, c);
      const fixed = find("node-http-fixed", w, c);
      if (!a || !naive || !fixed) continue;
      lines.push(
        `| ${w} | ${c} | ${(a.rps / naive.rps).toFixed(2)}x | ${naive.p99 > 0 ? (a.p99 / naive.p99).toFixed(2) : "-"} | ${(a.rps / fixed.rps).toFixed(2)}x |`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

void main();
