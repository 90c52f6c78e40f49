/**
 * Where the REST thread's time goes, on the MLP with batching at 32 connections (never part
 * of CI; `npm run bench` does not run it; BENCH_WORKLOAD=half_plus_two for the seed request,
 * BENCH_PROTOCOL=grpc for the MLP over gRPC Predict with tensor_content, which the same
 * thread serves).
 *
 *   node --import tsx bench/profile-rest-thread.ts profile
 *     servable-server --enable_batching under `node --cpu-prof`, loaded for BENCH_SECONDS
 *     (default 10); prints the REST thread's self time by function (the top BENCH_TOP,
 *     default 30) and its CPU per request from /proc.
 *
 *   BENCH_BASE_CLI=<another build's server/dist/cli.js> node --import tsx bench/profile-rest-thread.ts compare
 *     both builds side by side, loaded in turn (base, this, base, this...) for BENCH_ROUNDS
 *     (default 6) runs of BENCH_SECONDS (default 3) each, so that both see the same load on
 *     a shared machine; prints each run and the medians of the REST thread's and the whole
 *     server's CPU µs per request, and the load average.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import autocannon from "autocannon";
import { freePort, ready, ROOT, servable, stop } from "./bench-processes";
import { grpcLoad, tensorContentRequest } from "./grpc-load";
import { makeModelRepository, MLP_INPUT, mlpRow, mlpValues } from "./models";
import { cpuBetween, sampleThreads } from "./thread-cpu";

const CONNECTIONS = 32;
const TOP = Number(process.env.BENCH_TOP ?? 30);
/** BENCH_WORKLOAD=half_plus_two profiles the seed request instead of the MLP's row. */
const WORKLOAD = process.env.BENCH_WORKLOAD === "half_plus_two" ? "half_plus_two" : "mlp";
const BODY =
  WORKLOAD === "mlp"
    ? JSON.stringify({ instances: [mlpValues()] })
    : '{"instances": [1.0, 2.0, 5.0]}';

interface Run {
  rps: number;
  restUs: number;
  totalUs: number;
}

const GRPC = process.env.BENCH_PROTOCOL === "grpc";

interface Server {
  readonly child: ChildProcess;
  readonly port: number;
  readonly grpcPort: number;
}

async function load(server: Server, seconds: number): Promise<{ rps: number; ok: number }> {
  if (GRPC) {
    const meta = (await (await fetch(`http://127.0.0.1:${server.port}/v2/models/mlp`)).json()) as {
      inputs: { name: string }[];
    };
    const request = tensorContentRequest("mlp", meta.inputs[0]!.name, [1, MLP_INPUT], mlpRow());
    const result = await grpcLoad(`127.0.0.1:${server.grpcPort}`, request, CONNECTIONS, seconds);
    if (result.errors > 0) throw new Error(`${result.errors} failed calls`);
    return result;
  }
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}/v1/models/${WORKLOAD}:predict`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: BODY,
    connections: CONNECTIONS,
    duration: seconds,
  });
  if (result.non2xx + result.errors > 0)
    throw new Error(`${result.non2xx + result.errors} failed requests`);
  return { rps: result.requests.average, ok: result["2xx"] };
}

async function measured(server: Server, seconds: number): Promise<Run> {
  const { child } = server;
  const before = sampleThreads(child.pid!);
  const { rps, ok } = await load(server, seconds);
  const cpu = cpuBetween(child.pid!, before, sampleThreads(child.pid!));
  return { rps, restUs: cpu.rest / ok, totalUs: (cpu.rest + cpu.models + cpu.other) / ok };
}

async function started(
  repository: string,
  options: { cli?: string; nodeFlags?: string[] },
): Promise<Server> {
  const port = await freePort();
  const grpcPort = await freePort();
  const child = servable(repository, port, grpcPort, ["--enable_batching"], options);
  await ready(child, port, ["half_plus_two", "mlp"]);
  return { child, port, grpcPort };
}

async function profile(repository: string, work: string): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const dir = join(work, "profiles");
  const server = await started(repository, {
    nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=250"],
  });
  let run: Run;
  try {
    await load(server, 2);
    run = await measured(server, seconds);
  } finally {
    await stop(server.child);
  }
  // Node names a profile CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is 0.
  const files = (await readdir(dir)).filter((f) => f.split(".")[4] === "0");
  if (files.length !== 1)
    throw new Error(`expected one main-thread profile in ${dir}, found ${files.join(", ")}`);
  const text = await readFile(join(dir, files[0]!), "utf8");
  const selfTimes = selfTimeByFunction(JSON.parse(text) as CpuProfile);
  const total = [...selfTimes.values()].reduce((a, b) => a + b, 0);
  const idle = selfTimes.get("(idle)") ?? 0;
  process.stdout.write(
    `REST thread, ${GRPC ? "mlp over gRPC" : WORKLOAD} with batching at ${CONNECTIONS} connections, ${seconds} s: ${run.rps.toFixed(0)} req/s, ` +
      `REST thread ${run.restUs.toFixed(0)} µs/request, server ${run.totalUs.toFixed(0)} µs/request; ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}\n` +
      `profile (warm-up included): ${(total / 1000).toFixed(0)} ms sampled, ${((100 * idle) / total).toFixed(1)}% idle\n\n` +
      `self ms   % busy  function\n`,
  );
  const busy = total - idle;
  const areas = new Map<string, { us: number; top: [string, number][] }>();
  for (const [name, us] of [...selfTimes].sort((a, b) => b[1] - a[1])) {
    if (name === "(idle)") continue;
    const area = areas.get(areaOf(name)) ?? { us: 0, top: [] };
    area.us += us;
    if (area.top.length < 4) area.top.push([name, us]);
    areas.set(areaOf(name), area);
  }
  for (const [area, { us, top }] of [...areas].sort((a, b) => b[1].us - a[1].us)) {
    const members = top.map(([n, t]) => `${n.split(" ")[0]} ${(t / 1000).toFixed(0)}`).join(", ");
    process.stdout.write(
      `${(us / 1000).toFixed(0).padStart(7)}  ${((100 * us) / busy).toFixed(1).padStart(6)}  [${area}] ${members}\n`,
    );
  }
  process.stdout.write("\n");
  for (const [name, us] of [...selfTimes].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    if (name === "(idle)") continue;
    process.stdout.write(
      `${(us / 1000).toFixed(0).padStart(7)}  ${((100 * us) / busy).toFixed(1).padStart(6)}  ${name}\n`,
    );
  }
}

async function compare(repository: string): Promise<void> {
  const baseCli = process.env.BENCH_BASE_CLI;
  if (!baseCli) throw new Error("BENCH_BASE_CLI names the other build's server/dist/cli.js");
  const seconds = Number(process.env.BENCH_SECONDS ?? 3);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
  const servers = {
    base: await started(repository, { cli: baseCli }),
    this: await started(repository, {}),
  };
  const runs: Record<keyof typeof servers, Run[]> = { base: [], this: [] };
  const loads: number[] = [];
  try {
    for (const s of Object.values(servers)) await load(s, 2);
    for (let round = 0; round < rounds; round++) {
      for (const name of ["base", "this"] as const) {
        const run = await measured(servers[name], seconds);
        runs[name].push(run);
        loads.push(loadavg()[0]!);
        process.stdout.write(
          `round ${round + 1} ${name.padEnd(4)} ${run.rps.toFixed(0).padStart(6)} req/s  REST ${run.restUs.toFixed(0)} µs/req  server ${run.totalUs.toFixed(0)} µs/req\n`,
        );
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => stop(s.child)));
  }
  for (const name of ["base", "this"] as const) {
    const r = runs[name];
    process.stdout.write(
      `median ${name.padEnd(4)} ${median(r.map((x) => x.rps))
        .toFixed(0)
        .padStart(6)} req/s  ` +
        `REST ${median(r.map((x) => x.restUs)).toFixed(1)} µs/req  server ${median(r.map((x) => x.totalUs)).toFixed(1)} µs/req\n`,
    );
  }
  process.stdout.write(
    `1-minute load average during the runs: ${Math.min(...loads).toFixed(2)} to ${Math.max(...loads).toFixed(2)} (median ${median(loads).toFixed(2)})\n`,
  );
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time (µs) per function, named "name file:line" ("(garbage collector)" and the like as they are). */
function selfTimeByFunction(profile: CpuProfile): Map<string, number> {
  const names = new Map<number, string>();
  for (const { id, callFrame: f } of profile.nodes) {
    names.set(
      id,
      f.url
        ? `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}:${f.lineNumber + 1}`
        : f.functionName,
    );
  }
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const name = names.get(id) ?? "?";
    out.set(name, (out.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return out;
}

/** A function's part of the request's path, by where it is defined. */
const AREAS: [RegExp, string][] = [
  [/^\(garbage collector\)/, "GC"],
  [/^\(program\)/, "native, unattributed (HTTP parser, V8)"],
  [/^(postMessage|.*messageport|.*internal\/worker)/, "messages to and from the model worker"],
  [
    /^(writev|writevGeneric|writeGeneric|writeBuffer|.* node:net:|.*stream_base_commons)/,
    "socket writes",
  ],
  [/ server\/dist\/api\/json\/(json-parser|debug-string)/, "JSON parsing"],
  [
    / server\/dist\/api\/(json\/(float-format|pretty-writer)|rest\/predict-response|v2\/infer-response)/,
    "JSON writing",
  ],
  [/ server\/dist\/api\/(rest|v2|http\/json-codec)/, "tensors from and to JSON"],
  [/( prom-client\/| server\/dist\/api\/metrics)/, "metrics"],
  [/ server\/dist\/execution\/batching\//, "batching"],
  [/ server\/dist\/execution\//, "execution"],
  [/ server\/dist\/api\/(inference|http|request-body)/, "lifecycle, routing, deadline, body"],
  [/ protocol\/dist\//, "tensors (protocol)"],
  [/ node:_http|_addHeaderLine|parserOn/, "node:http"],
  [
    / node:internal\/streams|node:events|node:buffer| node:internal\/process|runMicrotasks|^now$/,
    "streams, events, ticks",
  ],
  [
    /(node:internal\/modules|node:internal\/bootstrap|readFile|internalModule|wrapSafe|cjs-module-lexer|node:fs|node:path)/,
    "start-up (module loading)",
  ],
];

function areaOf(name: string): string {
  for (const [pattern, area] of AREAS) if (pattern.test(name)) return area;
  return "other";
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, "");
  if (path.startsWith(ROOT)) return path.slice(ROOT.length + 1).replace(/^node_modules\//, "");
  return path.startsWith("node:") ? path : basename(path);
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? "profile";
  const work = await mkdtemp(join(tmpdir(), "servable-profile-"));
  try {
    const repository = join(work, "models");
    await makeModelRepository(repository, join(ROOT, "server", "demo", "models"));
    if (mode === "compare") await compare(repository);
    else await profile(repository, work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
