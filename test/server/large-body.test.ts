import assert from "node:assert/strict";
import { Agent, get, request } from "node:http";
import { after, before, test } from "node:test";
import { DEMO_REPOSITORY, startServer, type ServerProcess } from "../support";

/**
 * A 60 MB legal predict body takes seconds to parse, run and answer: meanwhile the thread
 * that answers HTTP must stay free, so health probes keep answering. (bench/large-body.ts
 * measures the probes' latency; here a probe that waits a whole second is a failure: a
 * server that parses on its HTTP thread holds every probe for seconds.)
 */
let server: ServerProcess;
before(async () => {
  server = await startServer([`--model_repository=${DEMO_REPOSITORY}`]);
});
after(() => server.stop());

const VALUES = 8_500_000;

test("health probes answer while a 60 MB predict is parsed and run", async () => {
  const numbers: string[] = new Array<string>(VALUES);
  for (let i = 0; i < VALUES; i++) numbers[i] = ((i % 1000) / 8).toFixed(3);
  const body = Buffer.from(`{"instances": [${numbers.join(",")}]}`);
  assert.ok(body.length > 60e6, `${body.length} bytes`);

  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const probe = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      get(`${server.url}/v2/health/live`, { agent }, (res) => {
        assert.equal(res.statusCode, 200);
        res.resume();
        res.on("end", () => resolve(performance.now() - started));
      }).on("error", reject);
    });
  await probe();

  let done = false;
  const predicted = new Promise<{ status: number; predictions: number }>((resolve, reject) => {
    const req = request(
      `${server.url}/v1/models/half_plus_two:predict`,
      { method: "POST", headers: { "Content-Length": body.length } },
      (res) => {
        let tail = "";
        let commas = 0;
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          for (let i = 0; i < chunk.length; i++) if (chunk.charCodeAt(i) === 0x2c) commas++;
          tail = (tail + chunk).slice(-64);
        });
        res.on("end", () => {
          done = true;
          assert.match(tail, /\]\s*\}$/);
          resolve({ status: res.statusCode ?? 0, predictions: commas + 1 });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
  const latencies: number[] = [];
  while (!done) {
    latencies.push(await probe());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const answer = await predicted;
  agent.destroy();
  assert.equal(answer.status, 200);
  assert.equal(answer.predictions, VALUES);
  assert.ok(latencies.length > 10, `${latencies.length} probes`);
  const slowest = Math.max(...latencies);
  assert.ok(slowest < 1000, `a health probe waited ${slowest.toFixed(0)} ms`);
});
