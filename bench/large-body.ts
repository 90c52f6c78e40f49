/**
 * Health probes beside one big predict (never part of CI): starts servable-server on the
 * demo model, sends one predict of BENCH_VALUES numbers (default 8.5 million: a 60 MB body)
 * and meanwhile GETs /v2/health/live every 20 ms on its own connection. Prints the body
 * size, how long the predict took, the probes' latency (p50, p99, max) and the server's
 * peak RSS. Usage: node --import tsx bench/large-body.ts
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, get, request } from "node:http";
import { join } from "node:path";
import { freePort, ROOT } from "./bench-processes";

const VALUES = Number(process.env.BENCH_VALUES ?? 8_500_000);

async function main(): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "server", "src", "cli.ts"),
      `--model_repository=${join(ROOT, "server", "demo", "models")}`,
      `--rest_api_port=${port}`,
      "--rest_api_host=127.0.0.1",
      "--port=0",
      "--log_level=warn",
    ],
    { cwd: ROOT, stdio: "ignore" },
  );
  try {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const probe = () =>
      new Promise<number>((resolve, reject) => {
        const started = performance.now();
        get(`${url}/v2/health/live`, { agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(performance.now() - started));
        }).on("error", reject);
      });
    for (let ready = false; !ready;) {
      ready = await probe().then(
        () => true,
        () => new Promise<boolean>((r) => setTimeout(() => r(false), 200)),
      );
    }
    const numbers = new Array<string>(VALUES);
    for (let i = 0; i < VALUES; i++) numbers[i] = ((i % 1000) / 8).toFixed(3);
    const body = Buffer.from(`{"instances": [${numbers.join(",")}]}`);

    let done = false;
    const started = performance.now();
    const predicted = new Promise<number>((resolve, reject) => {
      const req = request(
        `${url}/v1/models/half_plus_two:predict`,
        { method: "POST", headers: { "Content-Length": body.length } },
        (res) => {
          res.resume();
          res.on("end", () => {
            done = true;
            resolve(res.statusCode ?? 0);
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    const latencies: number[] = [];
    while (!done) {
      latencies.push(await probe());
      await new Promise((r) => setTimeout(r, 20));
    }
    const status = await predicted;
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1];
    process.stdout.write(
      `body ${(body.length / 1e6).toFixed(1)} MB, predict ${status} in ${seconds.toFixed(1)} s; ` +
        `${latencies.length} health probes meanwhile: p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, ` +
        `max ${latencies[latencies.length - 1]!.toFixed(1)} ms; server peak RSS ${hwm ? Math.round(Number(hwm) / 1024) : "?"} MB\n`,
    );
  } finally {
    child.kill("SIGTERM");
  }
}

void main();
