import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cp, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  DEMO_REPOSITORY,
  installVersion,
  linearVersion,
  serverInScratchFolder,
  waitFor,
} from "../support";

/**
 * GET /v1/models:watch on a real server: a version's load pushed as it happens (START,
 * LOADING, AVAILABLE with the times the manager saw), the token rules of reads, the stream
 * closed when the server stops; and the listing's content digests, which tell copies of a
 * version apart from versions that only share a number.
 */
const TOKEN = "events-token";
let repository: string;

const server = serverInScratchFolder("servable-events-", async (scratch) => {
  repository = join(scratch.path, "repository");
  await cp(join(DEMO_REPOSITORY, "half_plus_two"), join(repository, "half_plus_two"), {
    recursive: true,
  });
  return scratch.startServer(
    [
      `--model_repository=${repository}`,
      "--require_auth_for_reads",
      "--file_system_poll_wait_seconds=1",
    ],
    { env: { SERVABLE_TOKEN: TOKEN } },
  );
});

interface Pushed {
  event: string;
  data: Record<string, unknown>;
}

/** An open stream: every event parsed as it arrives. */
async function watch(headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/v1/models:watch`, {
    headers: { Authorization: `Bearer ${TOKEN}`, ...headers },
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  const seen: Pushed[] = [];
  let ended = false;
  const reading = (async () => {
    let buffer = "";
    try {
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) break;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data)
            seen.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // Aborted by the test.
    }
    ended = true;
  })();
  return {
    seen,
    ended: () => ended,
    reading,
    close: () => controller.abort(),
  };
}

const versionEvents = (seen: Pushed[], version: string) =>
  seen.filter((p) => p.event === "version" && p.data.version === version);

async function listedDigest(version: string): Promise<string | undefined> {
  const listing = (await (
    await fetch(`${server.url}/v1/models`, { headers: { Authorization: `Bearer ${TOKEN}` } })
  ).json()) as {
    models: { model_version_status: { version: string; content_digest?: string }[] }[];
  };
  return listing.models[0]!.model_version_status.find((v) => v.version === version)?.content_digest;
}

/** The digest by the rule of protocol/src/version-digest.ts, computed here on its own. */
async function digestOf(dir: string): Promise<string> {
  const lines: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith(".")) continue;
    const sha = createHash("sha256")
      .update(await readFile(join(dir, name)))
      .digest("hex");
    lines.push(`${name}\0${sha}\n`);
  }
  return `sha256:${createHash("sha256").update(lines.join("")).digest("hex")}`;
}

test("the stream is a read: it needs the token under --require_auth_for_reads", async () => {
  const without = await fetch(`${server.url}/v1/models:watch`);
  assert.equal(without.status, 401);
  const wrong = await fetch(`${server.url}/v1/models:watch`, {
    headers: { Authorization: "Bearer nope" },
  });
  assert.equal(wrong.status, 401);
});

test("a new stream replays the loads so far, then pushes a new version's load as it happens", async () => {
  const stream = await watch();
  await waitFor(async () => (stream.seen.some((p) => p.event === "ready") ? true : undefined));
  assert.deepEqual(
    versionEvents(stream.seen, "1").map((p) => p.data.state),
    ["START", "LOADING", "AVAILABLE"],
  );

  await installVersion(join(repository, "half_plus_two"), 2, (dir) => linearVersion(dir, 7));
  await waitFor(async () =>
    versionEvents(stream.seen, "2").some((p) => p.data.state === "AVAILABLE") ? true : undefined,
  );
  const v2 = versionEvents(stream.seen, "2");
  assert.deepEqual(
    v2.map((p) => p.data.state),
    ["START", "LOADING", "AVAILABLE"],
  );
  const times = v2.map((p) => Date.parse(String(p.data.since)));
  assert.ok(
    times.every((t, i) => Number.isFinite(t) && (i === 0 || t >= times[i - 1]!)),
    `times ${v2.map((p) => p.data.since).join(", ")}`,
  );
  assert.deepEqual(v2[2]!.data.status, { error_code: "OK", error_message: "" });
  // The availability-preserving policy unloads v1 after v2 serves; pushed too.
  await waitFor(async () =>
    versionEvents(stream.seen, "1").some((p) => p.data.state === "END") ? true : undefined,
  );
  stream.close();
});

test("the listing's content digest: a copy of a version has its digest, another version not", async () => {
  const v2 = await waitFor(() => listedDigest("2"));
  assert.equal(v2, await digestOf(join(repository, "half_plus_two", "2")));
  // v3: the same files as v2; v4: other weights.
  await installVersion(join(repository, "half_plus_two"), 3, (dir) => linearVersion(dir, 7));
  const v3 = await waitFor(() => listedDigest("3"));
  assert.equal(v3, v2);
  await installVersion(join(repository, "half_plus_two"), 4, (dir) => linearVersion(dir, 8));
  const v4 = await waitFor(() => listedDigest("4"));
  assert.notEqual(v4, v3);
  assert.match(v4, /^sha256:[0-9a-f]{64}$/);
});

test("the server stops: open streams end, and they do not hold the stop up", async () => {
  const stream = await watch();
  await waitFor(async () => (stream.seen.some((p) => p.event === "ready") ? true : undefined));
  const started = Date.now();
  await server.stop();
  const ms = Date.now() - started;
  await stream.reading;
  assert.ok(stream.ended(), "the stream ended");
  assert.ok(ms < 8000, `stopped in ${ms} ms (SIGKILL comes at 10 s)`);
});
