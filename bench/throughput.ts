/**
 * Throughput and CPU per request (`npm run bench`; never part of CI). Starts, one after
 * another on loopback, these servers on the same models:
 *   servable           servable-server --enable_batching with its defaults (the README's
 *                      recommendation; replicas sized to the machine)
 *   servable-tfs       --enable_batching with TF Serving's usual batching parameters
 *                      (max_batch_size 64, batch_timeout_micros 1000, num_batch_threads 2)
 *   servable-inline    --enable_batching --model_replicas=0: the model on the REST thread
 *                      (half_plus_two only)
 *   naive-express      express + express.json + model.predict per request (TF.js wasm)
 *   node-http-fixed    node:http answering the right JSON from memory (the ceiling)
 * and loads each at 32 connections on half_plus_two's seed request and on one-row requests
 * to a 784-512-512-10 MLP; servable also over gRPC (tensor_content) and KServe V2 (JSON,
 * and binary tensors in and out). For every run: requests/s, p50 and p99, and the server's
 * CPU per request from /proc/<pid>/task/*\/stat, split between the REST thread (the first
 * thread), the model workers (threads named servable-model) and the other threads. Load
 * generator and server share the machine, so req/s depends on it; CPU per request much
 * less so. Prints the ratios the targets are stated in and writes bench/results/latest.md.
 *
 * Environment: BENCH_SECONDS (per run, default 8), BENCH_CONNECTIONS (default 32; a
 * comma-separated list runs each).
 */
import type { ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { replicaCount } from "../server/src/execution/replicas/replica-count";
import { freePort, node, ready, ROOT, servable, stop } from "./bench-processes";
import { grpcLoad, tensorContentRequest } from "./grpc-load";
import { makeModelRepository, mlpRow, mlpValues } from "./models";
import { cpuBetween, sampleThreads, type CpuByGroup } from "./thread-cpu";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? "32").split(",").map(Number);
const WARM_UP_SECONDS = Math.min(2, SECONDS);
const TFS_BATCHING =
  "max_batch_size { value: 64 }\nbatch_timeout_micros { value: 1000 }\nnum_batch_threads { value: 2 }\n";

type Protocol = "REST" | "gRPC tensor_content" | "V2 JSON" | "V2 binary";

interface Case {
  readonly workload: "half_plus_two" | "mlp";
  readonly protocol: Protocol;
}

interface Measurement extends Case {
  readonly server: string;
  readonly connections: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly ok: number;
  readonly errors: number;
  /** Server CPU microseconds per answered request, by thread group. */
  readonly cpu: CpuByGroup | undefined;
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  errors: number;
}

/** How to send each case's request to a server on `port` (gRPC on `grpcPort`). */
interface Requests {
  readonly port: number;
  readonly grpcPort?: number;
  readonly mlp: { input: string; output: string };
}

const HALF_PLUS_TWO_BODY = '{"instances": [1.0, 2.0, 5.0]}';

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "servable-bench-"));
  const repository = join(work, "models");
  await makeModelRepository(repository, join(ROOT, "server", "demo", "models"));
  const batchingFile = join(work, "tfs-batching.txt");
  await writeFile(batchingFile, TFS_BATCHING);
  const loadBefore = loadavg();
  const results: Measurement[] = [];
  const answers = new Map<string, string>();
  let mlpNames = { input: "", output: "" };
  const rest: Case[] = [
    { workload: "half_plus_two", protocol: "REST" },
    { workload: "mlp", protocol: "REST" },
  ];
  const servers: {
    name: string;
    cases: Case[];
    start(port: number, grpcPort: number, answer: (workload: string) => string): ChildProcess;
    models: boolean;
  }[] = [
    {
      name: "servable",
      cases: [
        ...rest,
        { workload: "mlp", protocol: "gRPC tensor_content" },
        { workload: "mlp", protocol: "V2 JSON" },
        { workload: "mlp", protocol: "V2 binary" },
      ],
      start: (port, grpcPort) => servable(repository, port, grpcPort, ["--enable_batching"]),
      models: true,
    },
    {
      name: "servable-tfs",
      cases: rest,
      start: (port, grpcPort) =>
        servable(repository, port, grpcPort, [
          "--enable_batching",
          `--batching_parameters_file=${batchingFile}`,
        ]),
      models: true,
    },
    {
      // For a model this small the hop to a worker costs more than the model.
      name: "servable-inline",
      cases: [{ workload: "half_plus_two", protocol: "REST" }],
      start: (port, grpcPort) =>
        servable(repository, port, grpcPort, ["--enable_batching", "--model_replicas=0"]),
      models: true,
    },
    {
      name: "naive-express",
      cases: rest,
      start: (port) =>
        node(join(__dirname, "servers", "naive-express.ts"), [String(port), repository]),
      models: false,
    },
    ...rest.map((c) => ({
      name: "node-http-fixed",
      cases: [c],
      start: (port: number, _grpc: number, answer: (workload: string) => string) =>
        node(join(__dirname, "servers", "fixed-answer.ts"), [String(port), answer(c.workload)]),
      models: false,
    })),
  ];
  try {
    for (const server of servers) {
      const port = await freePort();
      const grpcPort = await freePort();
      const child = server.start(port, grpcPort, (w) => answers.get(w)!);
      try {
        await ready(child, port, server.models ? ["half_plus_two", "mlp"] : []);
        if (server.name === "servable") {
          // The first server gives the right answers (the ceiling's) and the MLP's names.
          for (const c of rest) answers.set(c.workload, await referenceAnswer(port, c.workload));
          mlpNames = await tensorNames(port, "mlp");
        }
        const requests: Requests = { port, grpcPort, mlp: mlpNames };
        for (const c of server.cases) {
          await load(requests, c, CONNECTIONS[0]!, WARM_UP_SECONDS);
          for (const connections of CONNECTIONS) {
            const before = sampleThreads(child.pid!);
            const m = await load(requests, c, connections, SECONDS);
            const cpu = perRequest(cpuBetween(child.pid!, before, sampleThreads(child.pid!)), m.ok);
            const row: Measurement = { ...c, server: server.name, connections, ...m, cpu };
            results.push(row);
            process.stdout.write(`${line(row)}\n`);
          }
        }
      } finally {
        await stop(child);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const table = report(results, loadBefore, loadavg());
  process.stdout.write(`\n${table}\n`);
  await mkdir(join(__dirname, "results"), { recursive: true });
  await writeFile(join(__dirname, "results", "latest.md"), table);
}

async function referenceAnswer(port: number, workload: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/models/${workload}:predict`, {
    method: "POST",
    body: workload === "mlp" ? mlpRestBody() : HALF_PLUS_TWO_BODY,
  });
  if (res.status !== 200)
    throw new Error(`reference request failed: ${res.status} ${await res.text()}`);
  return res.text();
}

/** A model's serving_default input and output keys, from its V2 metadata. */
async function tensorNames(
  port: number,
  model: string,
): Promise<{ input: string; output: string }> {
  const meta = (await (await fetch(`http://127.0.0.1:${port}/v2/models/${model}`)).json()) as {
    inputs: { name: string }[];
    outputs: { name: string }[];
  };
  return { input: meta.inputs[0]!.name, output: meta.outputs[0]!.name };
}

const mlpRestBody = () => JSON.stringify({ instances: [mlpValues()] });

async function load(
  r: Requests,
  c: Case,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const url = (path: string) => `http://127.0.0.1:${r.port}${path}`;
  const json = { "content-type": "application/json" };
  switch (c.protocol) {
    case "REST":
      return http(
        url(`/v1/models/${c.workload}:predict`),
        json,
        c.workload === "mlp" ? mlpRestBody() : HALF_PLUS_TWO_BODY,
        connections,
        seconds,
      );
    case "V2 JSON":
      return http(
        url(`/v2/models/mlp/infer`),
        json,
        JSON.stringify({
          inputs: [{ name: r.mlp.input, shape: [1, 784], datatype: "FP32", data: mlpValues() }],
        }),
        connections,
        seconds,
      );
    case "V2 binary": {
      const row = mlpRow();
      const head = Buffer.from(
        JSON.stringify({
          inputs: [
            {
              name: r.mlp.input,
              shape: [1, row.length],
              datatype: "FP32",
              parameters: { binary_data_size: row.byteLength },
            },
          ],
          outputs: [{ name: r.mlp.output, parameters: { binary_data: true } }],
        }),
      );
      return http(
        url(`/v2/models/mlp/infer`),
        {
          "content-type": "application/octet-stream",
          "inference-header-content-length": String(head.length),
        },
        Buffer.concat([head, Buffer.from(row.buffer)]),
        connections,
        seconds,
      );
    }
    case "gRPC tensor_content":
      return grpcLoad(
        `127.0.0.1:${r.grpcPort}`,
        tensorContentRequest("mlp", r.mlp.input, [1, 784], mlpRow()),
        connections,
        seconds,
      );
  }
}

async function http(
  url: string,
  headers: Record<string, string>,
  body: string | Buffer,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    method: "POST",
    headers,
    body,
    connections,
    duration: seconds,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result["2xx"],
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

function perRequest(cpu: CpuByGroup, requests: number): CpuByGroup | undefined {
  const total = cpu.rest + cpu.models + cpu.other;
  if (requests === 0 || total === 0) return undefined;
  return { rest: cpu.rest / requests, models: cpu.models / requests, other: cpu.other / requests };
}

const total = (cpu: CpuByGroup | undefined) => (cpu ? cpu.rest + cpu.models + cpu.other : NaN);

/** A ratio's target as the report prints it, and the check of a measured ratio against it. */
interface Target {
  readonly text: string;
  met(ratio: number): boolean;
}
const atLeast = (bound: number): Target => ({ text: `≥ ${bound}×`, met: (x) => x >= bound });
const atMost = (bound: number): Target => ({ text: `≤ ${bound}×`, met: (x) => x <= bound });
const us = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "-" : v.toFixed(0));

function line(m: Measurement): string {
  return (
    `${m.workload.padEnd(14)} ${m.server.padEnd(16)} ${m.protocol.padEnd(20)} c=${String(m.connections).padEnd(4)}` +
    `${m.rps.toFixed(0).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  ` +
    `CPU ${us(total(m.cpu))} µs/req (REST ${us(m.cpu?.rest)}, models ${us(m.cpu?.models)}, other ${us(m.cpu?.other)})` +
    (m.errors ? `  errors ${m.errors}` : "")
  );
}

function report(results: Measurement[], loadBefore: number[], loadAfter: number[]): string {
  const cores = availableParallelism();
  const replicas = replicaCount({ requested: -1, numBatchThreads: cores, cores });
  const tfsReplicas = replicaCount({ requested: -1, numBatchThreads: 2, cores });
  const lines = [
    "# Throughput and CPU per request",
    "",
    `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? "unknown CPU"}, ${cores} cores, ` +
      `Node ${process.version}, ${SECONDS} s per run after ${WARM_UP_SECONDS} s of warm-up; ` +
      `load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")} before, ` +
      `${loadAfter.map((l) => l.toFixed(2)).join(" ")} after.`,
    "",
    `servable: \`--enable_batching\` with its defaults (${replicas} model replica(s) on this machine); ` +
      `servable-tfs: \`--enable_batching\` with max_batch_size 64, batch_timeout_micros 1000, ` +
      `num_batch_threads 2 (${tfsReplicas} replica(s)); servable-inline: \`--enable_batching --model_replicas=0\` ` +
      "(the model on the REST thread). CPU is the server's, in µs per answered " +
      "request, from /proc/<pid>/task/*/stat over the run: the REST thread (the process's first " +
      "thread; for naive-express, everything it does), the model workers (threads named " +
      "servable-model) and the other threads (libuv, V8's compiler and GC helpers).",
    "",
    "| workload | server | protocol | connections | req/s | p50 ms | p99 ms | CPU µs/req | REST thread | model workers | other threads | errors |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const workload of ["half_plus_two", "mlp"]) {
    for (const r of results.filter((x) => x.workload === workload)) {
      lines.push(
        `| ${r.workload} | ${r.server} | ${r.protocol} | ${r.connections} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ` +
          `${us(total(r.cpu))} | ${us(r.cpu?.rest)} | ${us(r.cpu?.models)} | ${us(r.cpu?.other)} | ${r.errors} |`,
      );
    }
  }
  const find = (workload: string, server: string, protocol: Protocol, c: number) =>
    results.find(
      (r) =>
        r.workload === workload &&
        r.server === server &&
        r.protocol === protocol &&
        r.connections === c,
    );
  lines.push("", "| at connections | ratio | measured | target |", "|---|---|---|---|");
  for (const c of CONNECTIONS) {
    const mlp = find("mlp", "servable", "REST", c);
    const mlpTfs = find("mlp", "servable-tfs", "REST", c);
    const naive = find("mlp", "naive-express", "REST", c);
    const hpt = find("half_plus_two", "servable", "REST", c);
    const fixed = find("half_plus_two", "node-http-fixed", "REST", c);
    const v2json = find("mlp", "servable", "V2 JSON", c);
    const v2bin = find("mlp", "servable", "V2 binary", c);
    const inline = find("half_plus_two", "servable-inline", "REST", c);
    const ratios: [string, number | undefined, number | undefined, Target?][] = [
      ["MLP req/s: servable / naive-express", mlp?.rps, naive?.rps, atLeast(5)],
      [
        "MLP CPU/request: servable / naive-express",
        total(mlp?.cpu),
        total(naive?.cpu),
        atMost(0.25),
      ],
      ["MLP req/s: servable-tfs / naive-express", mlpTfs?.rps, naive?.rps, atLeast(5)],
      [
        "MLP CPU/request: servable-tfs / naive-express",
        total(mlpTfs?.cpu),
        total(naive?.cpu),
        atMost(0.25),
      ],
      ["half_plus_two req/s: servable / node-http-fixed", hpt?.rps, fixed?.rps, atLeast(0.6)],
      ["half_plus_two req/s: servable-inline / node-http-fixed", inline?.rps, fixed?.rps],
      ["MLP req/s: V2 binary / V2 JSON", v2bin?.rps, v2json?.rps, atLeast(2)],
      ["MLP req/s: V2 binary / REST JSON", v2bin?.rps, mlp?.rps],
    ];
    for (const [name, a, b, target] of ratios) {
      if (a === undefined || b === undefined || !(b > 0)) continue;
      const x = a / b;
      const verdict = target ? `${target.text} (${target.met(x) ? "met" : "missed"})` : "-";
      lines.push(`| ${c} | ${name} | ${x.toFixed(2)}× | ${verdict} |`);
    }
  }
  return lines.join("\n") + "\n";
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
