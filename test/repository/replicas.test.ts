import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  call,
  linearFiles,
  listing,
  predict,
  tree,
  upload,
  type Answer,
  startServer,
  waitFor,
  type ServerProcess,
} from "../support";

/**
 * One model repository, three servers (issue 14): while clients send requests to all
 * three, versions are uploaded through A while B starts and C is killed with SIGKILL and
 * restarted; labels are set through A and B at the same moment (different labels, then
 * the same one); a label is moved; a version is deleted through C. After each step every
 * server must reach the same versions and labels within two poll intervals, no upload may
 * be lost, and no request to a version or label that stays may get an error.
 *
 * Version i of "iris" answers y = 0.5x + b(i); the clients send x = 2.
 */
/**
 * Clients sending predict requests to every running server, one route after another,
 * each answer checked by its route. A request to a server marked down (being killed,
 * starting again) may fail; any other failure is an error.
 */
class Traffic {
  readonly errors: string[] = [];
  answered = 0;
  refused = 0;
  readonly #routes = new Map<string, (y: number) => boolean>();
  #stopped = false;
  readonly #loops: Promise<void>[] = [];

  start(replicas: Map<string, Replica>): void {
    for (const name of ["A", "B", "C"]) this.#loops.push(this.#loop(replicas, name));
  }

  route(path: string, check: (y: number) => boolean): void {
    this.#routes.set(path, check);
  }

  unroute(path: string): void {
    this.#routes.delete(path);
  }

  stop(): void {
    this.#stopped = true;
  }

  async done(): Promise<void> {
    await Promise.all(this.#loops);
  }

  async #loop(replicas: Map<string, Replica>, name: string): Promise<void> {
    while (!this.#stopped) {
      const replica = replicas.get(name);
      const server = replica?.server;
      if (!replica || !server || replica.down || this.#routes.size === 0) {
        // Nothing to send to yet: let the test go on.
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      for (const [path, check] of [...this.#routes]) {
        if (this.#stopped) return;
        try {
          const answer = await predict(server.url, path, 2);
          if (answer.status !== 200) {
            if (!this.#routes.has(path)) continue;
            this.errors.push(`${name} ${path}: ${answer.status} ${answer.error}`);
          } else if (!check(answer.y!)) {
            this.errors.push(`${name} ${path}: y = ${answer.y}`);
          } else {
            this.answered++;
          }
        } catch (error) {
          if (replica.down || replica.server !== server) this.refused++;
          else this.errors.push(`${name} ${path}: ${(error as Error).message}`);
        }
      }
    }
  }
}

const POLL_SECONDS = 1;
const BOUND_MS = 2 * POLL_SECONDS * 1000;
const token = "replicas-token";
const MODEL = "iris";

let work: string;
let repository: string;
const servers = new Map<string, Replica>();
const traffic = new Traffic();
const convergence: { step: string; ms: number; bounded: boolean }[] = [];

before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-replicas-"));
  repository = join(work, "repository");
  await mkdir(repository);
});
after(async () => {
  traffic.stop();
  await traffic.done();
  for (const replica of servers.values()) await replica.server?.stop();
  await rm(work, { recursive: true, force: true });
});

/** One server of the three, started again after a kill under the same name. */
interface Replica {
  readonly name: string;
  server: ServerProcess | undefined;
  /** Requests to it may fail from this moment (a kill or stop is coming) until it serves again. */
  down: boolean;
}

async function start(name: string): Promise<Replica> {
  const replica = servers.get(name) ?? { name, server: undefined, down: true };
  servers.set(name, replica);
  replica.server = await startServer(
    [`--model_repository=${repository}`, `--file_system_poll_wait_seconds=${POLL_SECONDS}`],
    { env: { SERVABLE_TOKEN: token, SERVABLE_RUNTIME_DIR: join(work, `runtime-${name}`) } },
  );
  replica.down = false;
  return replica;
}

async function kill(name: string): Promise<void> {
  const replica = servers.get(name)!;
  replica.down = true;
  process.kill(replica.server!.pid, "SIGKILL");
  await replica.server!.stop();
  replica.server = undefined;
}

const url = (name: string) => servers.get(name)!.server!.url;
const b = (upload: number) => 10 + upload;

/** What every server must end up serving: the AVAILABLE versions of the model and its labels. */
interface Expected {
  versions: number[];
  labels: Record<string, number>;
}

/** What a server serves of the model, and the versions it is loading. */
interface Seen extends Expected {
  loading: number[];
}

async function seenBy(replica: Replica): Promise<Seen | undefined> {
  if (!replica.server || replica.down) return undefined;
  const model = (await listing(replica.server.url)).find((m) => m.name === MODEL);
  const inState = (...states: string[]) =>
    (model?.model_version_status ?? [])
      .filter((s) => states.includes(s.state))
      .map((s) => Number(s.version))
      .sort((x, y) => x - y);
  return {
    versions: inState("AVAILABLE"),
    loading: inState("START", "LOADING"),
    labels: Object.fromEntries(
      Object.entries(model?.labels ?? {})
        .map(([l, v]): [string, number] => [l, Number(v)])
        .sort(),
    ),
  };
}

/** Polls every running server until `agree` accepts what they all serve. */
async function allServers<T>(step: string, agree: (seen: Seen[]) => T | undefined): Promise<T> {
  let last: (Seen | undefined)[] = [];
  try {
    return await waitFor(
      async () => {
        last = await Promise.all([...servers.values()].map(seenBy));
        return last.some((s) => s === undefined) ? undefined : agree(last as Seen[]);
      },
      60_000,
      25,
    );
  } catch (error) {
    const names = [...servers.keys()];
    const report = last.map((s, i) => `${names[i]}: ${JSON.stringify(s)}`).join("; ");
    throw new Error(`${step}: ${(error as Error).message}; last seen ${report}`);
  }
}

const same = (seen: Seen[]) => seen.every((s) => JSON.stringify(s) === JSON.stringify(seen[0]));
const sameAs = (s: Seen, e: Expected) =>
  s.loading.length === 0 &&
  JSON.stringify({ versions: s.versions, labels: s.labels }) === JSON.stringify(sorted(e));

/**
 * Waits until every running server serves `expected` (given as a function: the state it
 * accepts, the same on every server), records how long that took since `since`, and checks
 * it against the bound. With `loads`, the bound holds for the servers to take the change
 * up (every expected version AVAILABLE or loading, every label as expected); the time
 * until they serve it adds the version's load, which no poll interval shortens, and is
 * recorded beside.
 */
async function converge(
  step: string,
  since: number,
  expected: Expected | ((seen: Seen) => boolean),
  options: { loads?: boolean } = {},
): Promise<Seen> {
  if (options.loads && typeof expected !== "function") {
    await allServers(step, (seen) =>
      seen.every(
        (s) =>
          JSON.stringify(s.labels) === JSON.stringify(sorted(expected).labels) &&
          expected.versions.every((v) => s.versions.includes(v) || s.loading.includes(v)),
      )
        ? true
        : undefined,
    );
    const ms = Date.now() - since;
    convergence.push({ step: `${step} (taken up)`, ms, bounded: true });
    assert.ok(
      ms <= BOUND_MS,
      `${step}: the servers took it up after ${ms} ms (bound ${BOUND_MS} ms)`,
    );
  }
  const agreed = await allServers(step, (seen) => {
    if (!same(seen)) return undefined;
    const ok = typeof expected === "function" ? expected(seen[0]!) : sameAs(seen[0]!, expected);
    return ok ? seen[0]! : undefined;
  });
  const ms = Date.now() - since;
  convergence.push({
    step: options.loads ? `${step} (serving)` : step,
    ms,
    bounded: !options.loads,
  });
  if (!options.loads) {
    assert.ok(ms <= BOUND_MS, `${step}: the servers agreed after ${ms} ms (bound ${BOUND_MS} ms)`);
  }
  return agreed;
}

const sorted = (e: Expected): Expected => ({
  versions: [...e.versions].sort((x, y) => x - y),
  labels: Object.fromEntries(Object.entries(e.labels).sort()),
});

function created(answer: Answer): number {
  assert.equal(answer.status, 201, JSON.stringify(answer.json));
  return answer.json.version as number;
}

function ok(answer: Answer): void {
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
}

test("three servers on one repository agree, lose no upload and keep answering", async (t) => {
  const uploads = new Map<number, number>(); // version -> b
  const uploadThrough = async (server: string, i: number) => {
    const version = created(await upload(url(server), MODEL, await linearFiles(b(i)), { token }));
    uploads.set(version, b(i));
    return version;
  };

  // A and C serve the first version.
  await Promise.all([start("A"), start("C")]);
  const first = await uploadThrough("A", 0);
  await converge(
    "first upload, A and C",
    Date.now(),
    { versions: [first], labels: {} },
    { loads: true },
  );
  traffic.start(servers);
  traffic.route(MODEL, (y) => [...uploads.values()].some((v) => y === 1 + v));

  // Uploads through A, two at a time, while B starts and C is killed and restarted.
  const starting = start("B");
  let i = 1;
  for (let round = 0; round < 4; round++) {
    if (round === 1) await kill("C");
    await Promise.all([uploadThrough("A", i++), uploadThrough("A", i++)]);
    if (round === 2) await start("C");
  }
  await starting;
  const latest = Math.max(...uploads.keys());
  assert.equal(uploads.size, 9, "every upload got its own version");
  await converge(
    "uploads while B starts and C restarts",
    Date.now(),
    { versions: [latest], labels: {} },
    { loads: true },
  );
  // No upload lost: every version answered 201 is in the repository with its own files.
  for (const [version, value] of uploads) {
    const shard = await readFile(join(repository, MODEL, String(version), "group1-shard1of1.bin"));
    assert.equal(
      new Float32Array(shard.buffer, shard.byteOffset, 5)[1],
      value,
      `version ${version}`,
    );
  }

  // Two labels set through A and B at the same moment both survive.
  let since = Date.now();
  const [stable, canary] = await Promise.all([
    call(url("A"), "PUT", `/v1/models/${MODEL}/labels/stable`, token, { version: latest }),
    call(url("B"), "PUT", `/v1/models/${MODEL}/labels/canary`, token, { version: latest }),
  ]);
  ok(stable);
  ok(canary);
  await converge("labels set through A and B at once", since, {
    versions: [latest],
    labels: { stable: latest, canary: latest },
  });
  const old = latest;
  traffic.route(`${MODEL}/labels/stable`, (y) => y === 1 + uploads.get(old)!);
  traffic.route(`${MODEL}/labels/canary`, (y) => y >= 1 + uploads.get(old)!);
  traffic.route(`${MODEL}/versions/${old}`, (y) => y === 1 + uploads.get(old)!);

  // A newer version: the labelled one stays served beside it on every server.
  since = Date.now();
  const next = await uploadThrough("B", i++);
  await converge(
    "upload beside labelled versions",
    since,
    { versions: [old, next], labels: { stable: old, canary: old } },
    { loads: true },
  );
  traffic.route(`${MODEL}/versions/${next}`, (y) => y === 1 + uploads.get(next)!);

  // The same label through A and B at the same moment: one winner, the same everywhere.
  since = Date.now();
  const both = await Promise.all([
    call(url("A"), "PUT", `/v1/models/${MODEL}/labels/experiment`, token, { version: old }),
    call(url("B"), "PUT", `/v1/models/${MODEL}/labels/experiment`, token, { version: next }),
  ]);
  both.forEach(ok);
  const agreed = await converge("the same label through A and B at once", since, (seen) =>
    [old, next].includes(seen.labels.experiment!),
  );
  const winner = agreed.labels.experiment!;
  const onDisk = JSON.parse(
    await readFile(
      join(repository, ".servable", "models", MODEL, "labels", "experiment.json"),
      "utf8",
    ),
  ) as { version: number };
  assert.equal(onDisk.version, winner, "the winner is the label file every server reads");

  // A label moved through C.
  since = Date.now();
  ok(await call(url("C"), "PUT", `/v1/models/${MODEL}/labels/canary`, token, { version: next }));
  await converge("label moved through C", since, {
    versions: [old, next],
    labels: { stable: old, canary: next, experiment: winner },
  });

  // The old version loses its labels, then is deleted through C.
  traffic.unroute(`${MODEL}/versions/${old}`);
  traffic.unroute(`${MODEL}/labels/stable`);
  traffic.route(
    `${MODEL}/labels/stable`,
    (y) => y === 1 + uploads.get(old)! || y === 1 + uploads.get(next)!,
  );
  since = Date.now();
  ok(await call(url("A"), "PUT", `/v1/models/${MODEL}/labels/stable`, token, { version: next }));
  ok(await call(url("B"), "DELETE", `/v1/models/${MODEL}/labels/experiment`, token));
  await converge("labels moved off the old version", since, {
    versions: [next],
    labels: { stable: next, canary: next },
  });
  since = Date.now();
  const deleted = await call(url("C"), "DELETE", `/v1/models/${MODEL}/versions/${old}`, token);
  ok(deleted);
  await converge("version deleted through C", since, {
    versions: [next],
    labels: { stable: next, canary: next },
  });
  assert.ok(!(await tree(join(repository, MODEL))).includes(String(old)));

  traffic.stop();
  await traffic.done();
  const worst = convergence.filter((c) => c.bounded).reduce((w, c) => (c.ms > w.ms ? c : w));
  for (const c of convergence) t.diagnostic(`converged in ${c.ms} ms: ${c.step}`);
  t.diagnostic(
    `worst convergence ${worst.ms} ms (${worst.step}); poll ${POLL_SECONDS} s; ` +
      `${traffic.answered} requests answered, ${traffic.refused} refused by a server being killed`,
  );
  assert.deepEqual(traffic.errors.slice(0, 10), [], `${traffic.errors.length} requests failed`);
  assert.ok(traffic.answered > 100, `only ${traffic.answered} requests were sent`);
});
