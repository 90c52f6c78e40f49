/**
 * What a rollout adds to a request's latency (never part of CI):
 *   `node --import tsx bench/rollout-overhead.ts`
 *
 * One server, one repository holding four copies of half_plus_two, each with versions 1 and
 * 2 (the same model twice, so every answer is the same), the rollouts written as repository
 * state (`rollout.json`, as a GitOps tool would):
 *   no-rollout   no rollout: TF Serving's rule (the latest version)
 *   split        share 0.5: unversioned requests split at random between 1 and 2
 *   split+key    share 0.5 with a routing key per request (the hash on every request)
 *   shadow       share 0, shadow 1: every request also run on version 2 after its answer
 * The seed request (`{"instances": [1.0, 2.0, 5.0]}`) goes to each in turn, in interleaved
 * blocks so that drift on the machine falls on every configuration alike, at 1 and at 8
 * concurrent connections, each request timed by the client (keep-alive, node:http). The
 * server runs with its default model replicas (a worker thread per version) and again with
 * --model_replicas=0 (models on the HTTP thread: the split's own cost, with no second worker
 * to spread the load on). Prints median and p99 per configuration and their difference from
 * no-rollout, and writes bench/results/rollout-overhead.md.
 *
 * Environment: BENCH_BLOCK (requests per block, default 500), BENCH_ROUNDS (default 8).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, ROOT, stop } from "./bench-processes";

const DEMO = join(ROOT, "server", "demo", "models", "half_plus_two", "1");
const BLOCK = Number(process.env.BENCH_BLOCK ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SEED = '{"instances": [1.0, 2.0, 5.0]}';
const ANSWER = /\[\s*2\.5,\s*3\.0,\s*4\.5\s*\]/;

interface Configuration {
  readonly name: string;
  readonly model: string;
  /** The rollout record, if any. */
  readonly rollout?: object;
  readonly routingKey?: boolean;
}

const CONFIGURATIONS: readonly Configuration[] = [
  { name: "no-rollout", model: "plain" },
  { name: "split", model: "split", rollout: { candidate: 2, share: 0.5 } },
  { name: "split+key", model: "keyed", rollout: { candidate: 2, share: 0.5 }, routingKey: true },
  { name: "shadow", model: "shadowed", rollout: { candidate: 2, share: 0, shadow: 1 } },
];

interface Row {
  mode: string;
  connections: number;
  configuration: string;
  p50: number;
  p99: number;
  requests: number;
  candidateShare: number;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "servable-bench-rollout-"));
  const rows: Row[] = [];
  const load = [loadavg()[0]!];
  try {
    const repository = join(work, "repository");
    await makeRepository(repository);
    for (const [mode, flags] of [
      ["workers (default)", []],
      ["--model_replicas=0", ["--model_replicas=0"]],
    ] as const) {
      const port = await freePort();
      const server = startServer(repository, port, flags);
      try {
        await ready(port, server);
        for (const connections of [1, 8]) {
          rows.push(...(await measure(mode, port, connections)));
        }
      } finally {
        await stop(server);
      }
    }
    load.push(loadavg()[0]!);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const report = table(rows, load);
  process.stdout.write(`${report}\n`);
  await mkdir(join(__dirname, "results"), { recursive: true });
  await writeFile(join(__dirname, "results", "rollout-overhead.md"), `${report}\n`);
}

async function makeRepository(repository: string): Promise<void> {
  for (const c of CONFIGURATIONS) {
    for (const version of [1, 2]) {
      await cp(DEMO, join(repository, c.model, String(version)), { recursive: true });
    }
    if (!c.rollout) continue;
    const state = join(repository, ".servable", "models", c.model);
    await mkdir(join(state, "labels"), { recursive: true });
    await writeFile(join(state, "labels", "stable.json"), '{"version": 1}\n');
    await writeFile(join(state, "rollout.json"), `${JSON.stringify(c.rollout)}\n`);
  }
}

/** Interleaved blocks of each configuration; the latencies of each, in milliseconds. */
async function measure(mode: string, port: number, connections: number): Promise<Row[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies = new Map<string, number[]>(CONFIGURATIONS.map((c) => [c.name, []]));
  const candidate = new Map<string, number>(CONFIGURATIONS.map((c) => [c.name, 0]));
  let key = 0;
  const block = async (c: Configuration, keep: boolean) => {
    let left = BLOCK;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (left-- > 0) {
          const sent = await send(agent, port, c.model, c.routingKey ? `user-${key++}` : undefined);
          if (!keep) continue;
          latencies.get(c.name)!.push(sent.ms);
          if (sent.version === 2) candidate.set(c.name, candidate.get(c.name)! + 1);
        }
      }),
    );
  };
  for (const c of CONFIGURATIONS) await block(c, false); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order so that no configuration always follows another's shadow work.
    for (let i = 0; i < CONFIGURATIONS.length; i++) {
      await block(CONFIGURATIONS[(i + round) % CONFIGURATIONS.length]!, true);
    }
  }
  agent.destroy();
  return CONFIGURATIONS.map((c) => {
    const sorted = latencies.get(c.name)!.sort((a, b) => a - b);
    return {
      mode,
      connections,
      configuration: c.name,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      requests: sorted.length,
      candidateShare: candidate.get(c.name)! / sorted.length,
    };
  });
}

function send(
  agent: Agent,
  port: number,
  model: string,
  routingKey: string | undefined,
): Promise<{ ms: number; version: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port,
        method: "POST",
        path: `/v1/models/${model}:predict`,
        headers: {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(SEED),
          ...(routingKey !== undefined && { "X-Servable-Routing-Key": routingKey }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const body = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200 || !ANSWER.test(body)) {
            reject(new Error(`${model}: ${res.statusCode} ${body}`));
            return;
          }
          resolve({ ms, version: Number(res.headers["x-servable-version"]) });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(SEED);
  });
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function table(rows: readonly Row[], load: readonly number[]): string {
  const lines = [
    "# Rollout overhead",
    "",
    `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores ` +
      `(shared with other work: load average ${load.map((l) => l.toFixed(2)).join(" -> ")}), ` +
      `Node ${process.version}; the seed request to half_plus_two, ${ROUNDS} interleaved blocks of ` +
      `${BLOCK} requests per configuration, timed by the client.`,
    "",
    "| server | connections | configuration | p50 ms | p99 ms | p50 added | p99 added | requests | answered by version 2 |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const base = rows.find(
      (r) =>
        r.mode === row.mode &&
        r.connections === row.connections &&
        r.configuration === "no-rollout",
    )!;
    const added = (a: number, b: number) =>
      row === base ? "" : `${a - b >= 0 ? "+" : ""}${((a - b) * 1000).toFixed(0)} µs`;
    lines.push(
      `| ${row.mode} | ${row.connections} | ${row.configuration} | ${row.p50.toFixed(3)} | ` +
        `${row.p99.toFixed(3)} | ${added(row.p50, base.p50)} | ${added(row.p99, base.p99)} | ` +
        `${row.requests} | ${(row.candidateShare * 100).toFixed(1)} % |`,
    );
  }
  return lines.join("\n");
}

function startServer(repository: string, port: number, flags: readonly string[]): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "server", "src", "cli.ts"),
      `--model_repository=${repository}`,
      `--rest_api_port=${port}`,
      "--rest_api_host=127.0.0.1",
      "--port=0",
      "--log_level=warn",
      "--file_system_poll_wait_seconds=0",
      ...flags,
    ],
    { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] },
  );
  return child;
}

async function ready(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The server exited (${child.exitCode})`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/health/ready`);
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error("The server was not ready within 60 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
