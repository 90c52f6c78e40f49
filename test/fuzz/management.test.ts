import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { startServer, type ServerProcess } from "../support";
import { writeFuzzRepository } from "./fuzz-models";
import { checkHttp, checkServerAfter, sendHttp, Tally } from "./fuzz-target";
import {
  managementRequest,
  prototypeModelScenario,
  type ManagementRequest,
} from "./management-requests";

/**
 * Fuzzing of the management API (uploads, labels, deletes, with the token) against a real
 * server: every answer a 2xx or a 4xx with an error body, never a 5xx, never a crash; the
 * seed models answer as before. Unlike the inference suite this one does not stop at the
 * first failure: a crash is recorded against the input that caused it, the server is
 * started again, and the test fails with the list of every kind of input that failed.
 */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const TOKEN = "fuzz-token-0123456789";

let work: string;
let server: ServerProcess;
const tally = new Tally();

async function start(): Promise<ServerProcess> {
  return startServer([
    `--model_repository=${join(work, "models")}`,
    `--auth_token_file=${join(work, "token")}`,
    "--file_system_poll_wait_seconds=1",
    "--max_upload_bytes=1048576",
  ]);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-fuzz-management-"));
  await writeFuzzRepository(join(work, "models"));
  await writeFile(join(work, "token"), `${TOKEN}\n`);
  server = await start();
});

after(async () => {
  await server.stop();
  await rm(work, { recursive: true, force: true });
});

function describe(req: ManagementRequest): string {
  return `${req.method} ${req.path} ${JSON.stringify(req.headers)} ${req.body.toString("latin1").slice(0, 200)}`;
}

/** Failures by kind of input: how many, and the first example. */
class Failures {
  readonly byKind = new Map<string, { count: number; example: string; what: string }>();

  add(kind: string, what: string, req: ManagementRequest): void {
    const seen = this.byKind.get(kind);
    if (seen) seen.count++;
    else this.byKind.set(kind, { count: 1, what, example: describe(req) });
  }

  toString(): string {
    return [...this.byKind]
      .map(([kind, f]) => `${kind} (${f.count}x): ${f.what}\n    e.g. ${f.example}`)
      .join("\n");
  }
}

/** Sends one call; a dead server is restarted and the call that killed it recorded. */
async function send(req: ManagementRequest, failures: Failures): Promise<void> {
  tally.add(req.kind);
  let violation: string | undefined;
  try {
    const answer = await sendHttp(server.url, req, req.withToken ? TOKEN : "wrong");
    tally.answered(String(answer.status));
    violation = checkHttp(answer);
  } catch (error) {
    violation = `no answer: ${(error as Error).message}`;
  }
  // A call that got no answer may have killed the server: give it time to be gone.
  if (violation?.startsWith("no answer")) await exited(server, 3000);
  if (!alive(server)) {
    failures.add(`${req.kind} (crash)`, `the server process exited: ${await crashOf(server)}`, req);
    server = await start();
  } else if (violation) {
    failures.add(req.kind, violation, req);
  }
}

async function exited(s: ServerProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (alive(s) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}

/** The error the process died of: the first line of its stderr that names one. */
async function crashOf(s: ServerProcess): Promise<string> {
  try {
    await s.waitForLog(() => false, 1);
    return "";
  } catch (error) {
    const lines = String((error as Error).message).split("\n");
    return lines.find((l) => /^\w*Error\b|^Error:/.test(l.trim()))?.trim() ?? lines.at(-1) ?? "";
  }
}

/** Waits (up to 15 s) until a version of `model` is AVAILABLE; it may never be. */
async function waitUntilServed(model: string): Promise<void> {
  const until = Date.now() + 15_000;
  while (Date.now() < until && alive(server)) {
    const res = await fetch(`${server.url}/v1/models/${model}`).catch(() => undefined);
    if (res && (await res.text()).includes('"AVAILABLE"')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function alive(s: ServerProcess): boolean {
  try {
    process.kill(s.pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("management calls: a 2xx or a 4xx with an error body, never a 5xx or a crash", async (t) => {
  const failures = new Failures();
  for (const req of fc.sample(managementRequest(), {
    seed: SEED,
    numRuns: Math.round(300 * SCALE),
  })) {
    await send(req, failures);
  }
  // Uploads to one model at the same time.
  const pairs = fc.sample(
    managementRequest().filter((r) => r.kind === "upload/whole"),
    { seed: SEED + 1, numRuns: Math.round(20 * SCALE) },
  );
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const pair = [pairs[i]!, pairs[i + 1]!].map((r) => ({ ...r, kind: `parallel ${r.kind}` }));
    await Promise.all(pair.map((r) => send(r, failures)));
  }
  // Models named like JavaScript internals, labelled with metrics label names, then inference.
  for (const [model, label] of [
    ["__proto__", "signature_name"],
    ["constructor", "model_name"],
    ["toString", "status"],
  ] as const) {
    const scenario = prototypeModelScenario(model, label);
    await send(scenario.upload, failures);
    await waitUntilServed(model);
    await send(scenario.label, failures);
    await send(
      {
        kind: "scenario/prototype-model predict",
        method: "POST",
        path: "/v1/models/half_plus_two:predict",
        headers: {},
        body: Buffer.from('{"instances": [1.0]}'),
        withToken: true,
      },
      failures,
    );
  }
  t.diagnostic(`${tally.total} calls: ${tally.toString()}`);
  const after = await checkServerAfter(server, { uploadsLoaded: true });
  assert.equal(failures.toString(), "", "inputs that failed");
  assert.deepEqual(after, []);
});
