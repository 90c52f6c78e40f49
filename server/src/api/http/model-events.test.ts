import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, test } from "node:test";
import express from "express";
import pino from "pino";
import type { ServableState } from "../../core/servable-state";
import { ModelEvents, type ModelEventsOptions } from "./model-events";

/**
 * The push channel over a real HTTP server on loopback; the manager's state changes are
 * published by the test through the subscription the channel takes (as ServerCore's).
 */

let server: Server | undefined;
let events: ModelEvents | undefined;

afterEach(async () => {
  events?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = events = undefined;
});

async function start(
  options: Partial<ModelEventsOptions> = {},
): Promise<{ url: string; publish: (s: ServableState) => void }> {
  let listener: ((s: ServableState) => void) | undefined;
  events = new ModelEvents({
    subscribe: (l) => ((listener = l), () => (listener = undefined)),
    logger: pino({ level: "silent" }),
    ...options,
  });
  const app = express();
  app.use(events.router);
  server = createServer(app);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/models:watch`, publish: (s) => listener?.(s) };
}

const state = (version: number, s: ServableState["state"], since = 1_000): ServableState => ({
  id: { name: "iris", version },
  state: s,
  since,
});

/** Reads a stream's text until `done(text)` holds or the deadline passes. */
async function readUntil(
  response: Response,
  done: (text: string) => boolean,
  timeoutMs = 5000,
): Promise<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    while (!done(text)) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      text += value;
    }
  } finally {
    clearTimeout(deadline);
    reader.releaseLock();
  }
  assert.ok(done(text), `not seen within ${timeoutMs} ms:\n${text}`);
  return text;
}

interface Frame {
  id?: string;
  event?: string;
  data?: string;
}
function frames(text: string): Frame[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "" && !block.startsWith(":") && !block.startsWith("retry"))
    .map((block) => {
      const frame: Frame = {};
      for (const line of block.split("\n")) {
        const [field, ...rest] = line.split(": ");
        if (field === "id" || field === "event" || field === "data") frame[field] = rest.join(": ");
      }
      return frame;
    });
}

test("a new stream replays the changes so far, says ready, then follows live", async () => {
  const { url, publish } = await start();
  publish(state(1, "START", 1000));
  publish(state(1, "LOADING", 1001));
  publish(state(1, "AVAILABLE", 1007));
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/event-stream/);
  const body = response.body!.tee();
  const replay = readUntil(new Response(body[0]), (t) => t.includes("event: ready"));
  const replayed = frames(await replay);
  assert.deepEqual(
    replayed.map((f) => f.event),
    ["version", "version", "version", "ready"],
  );
  assert.deepEqual(JSON.parse(replayed[2]!.data!), {
    name: "iris",
    version: "1",
    state: "AVAILABLE",
    status: { error_code: "OK", error_message: "" },
    since: new Date(1007).toISOString(),
  });

  publish(state(2, "LOADING", 2000));
  const live = frames(
    await readUntil(new Response(body[1]), (t) => t.includes('"version":"2"')),
  ).filter((f) => f.event === "version");
  assert.equal(JSON.parse(live.at(-1)!.data!).state, "LOADING");
  controller.abort();
});

test("a reconnecting client resumes after its last id; an id it cannot resume from is a reset", async () => {
  const { url, publish } = await start({ historySize: 3 });
  publish(state(1, "START"));
  publish(state(1, "LOADING"));
  const first = frames(await readUntil(await fetch(url), (t) => t.includes("event: ready"))).filter(
    (f) => f.event === "version",
  );
  const lastId = first.at(-1)!.id!;
  publish(state(1, "AVAILABLE"));

  const resumed = frames(
    await readUntil(await fetch(url, { headers: { "Last-Event-ID": lastId } }), (t) =>
      t.includes("event: ready"),
    ),
  );
  assert.deepEqual(
    resumed.map((f) => [f.event, f.data && JSON.parse(f.data).state]),
    [
      ["version", "AVAILABLE"],
      ["ready", undefined],
    ],
  );
  // The same through the query (a browser's fetch cannot send Last-Event-ID across origins
  // without a preflight the header is not allowed in).
  const byQuery = frames(
    await readUntil(await fetch(`${url}?last_event_id=${lastId}`), (t) =>
      t.includes("event: ready"),
    ),
  );
  assert.equal(byQuery.length, 2);

  // Three more changes: the history (3) no longer holds what followed lastId.
  publish(state(2, "START"));
  publish(state(2, "LOADING"));
  publish(state(2, "AVAILABLE"));
  const reset = frames(
    await readUntil(await fetch(url, { headers: { "Last-Event-ID": lastId } }), (t) =>
      t.includes("event: ready"),
    ),
  );
  assert.equal(reset[0]!.event, "reset");
  assert.equal(reset.filter((f) => f.event === "version").length, 3);
  // An id of another server process: a reset too.
  const other = frames(
    await readUntil(await fetch(url, { headers: { "Last-Event-ID": "ffffffff.1" } }), (t) =>
      t.includes("event: ready"),
    ),
  );
  assert.equal(other[0]!.event, "reset");
});

test("keep-alive comments while nothing changes", async () => {
  const { url } = await start({ keepAliveMs: 30 });
  const text = await readUntil(
    await fetch(url),
    (t) => (t.match(/^: keep-alive$/gm) ?? []).length >= 2,
  );
  assert.match(text, /^retry: 2000$/m);
});

test("a client that does not read is cut off once its unsent bytes pass the bound", async () => {
  const { url, publish } = await start({ maxBufferedBytes: 16 * 1024 });
  const { port } = new URL(url);
  const socket = connect(Number(port), "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => undefined);
  socket.write(`GET /v1/models:watch HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  socket.pause();
  const deadline = Date.now() + 10_000;
  while (events!.clients === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  assert.equal(events!.clients, 1);
  // Far more than the socket buffers hold; published in bursts so the server writes.
  for (let burst = 0; burst < 200 && events!.clients > 0; burst++) {
    for (let i = 0; i < 500; i++) publish(state(burst * 500 + i, "AVAILABLE"));
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(events!.clients, 0, "the stream was closed");
  socket.resume();
  await closed;
});

test("close() ends every stream: the client sees the end, the server can stop", async () => {
  const { url } = await start();
  const response = await fetch(url);
  await readUntil(response.clone(), (t) => t.includes("event: ready"));
  assert.equal(events!.clients, 1);
  events!.close();
  // The body ends (read to its end without a deadline abort).
  const rest = await response.text();
  assert.match(rest, /event: ready/);
  assert.equal(events!.clients, 0);
  const answer = await fetch(url);
  assert.equal(answer.status, 503);
});
