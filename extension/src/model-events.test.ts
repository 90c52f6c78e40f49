import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { ModelEventsWatcher, parseVersionEvent } from "./model-events";

test("a version event is read field by field; anything else is not one", () => {
  const data = {
    name: "iris",
    version: "3",
    state: "LOADING",
    status: { error_code: "OK", error_message: "" },
    since: "2026-12-02T10:00:00.000Z",
  };
  assert.deepEqual(parseVersionEvent(JSON.stringify(data)), data);
  assert.deepEqual(parseVersionEvent(JSON.stringify({ ...data, status: undefined })), data);
  for (const bad of [
    "not json",
    "null",
    "[]",
    JSON.stringify({ ...data, state: "SLEEPING" }),
    JSON.stringify({ ...data, version: 3 }),
    JSON.stringify({ ...data, since: undefined }),
  ]) {
    assert.equal(parseVersionEvent(bad), undefined, bad);
  }
});

/** A local HTTP server answering every request with `answer`. */
async function serve(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`not within 5 s: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("a server without the push channel: unavailable, asked again later; one with it: live", async () => {
  const statuses: string[] = [];
  const events: string[] = [];
  let url = "";
  const watcher = new ModelEventsWatcher(
    () => ({ serverUrl: url, token: "t" }),
    {
      onVersion: (e, live) => events.push(`${e.state}${live ? "" : " (replayed)"}`),
      onReady: () => events.push("ready"),
      onReset: () => events.push("reset"),
      onStatus: (s) => statuses.push(s),
    },
    { retryMs: 20, maxRetryMs: 50 },
  );
  // An older server: TF Serving's 400 for a path it does not know.
  const old = await serve((_, res) => res.writeHead(400).end('{"error": "Malformed request"}'));
  url = old.url;
  watcher.start();
  await until(() => statuses.includes("unavailable"), "unavailable");

  let authorization: string | undefined;
  let resumedFrom: string | null = null;
  const version = (state: string, id: string) =>
    `id: ${id}\nevent: version\ndata: ${JSON.stringify({
      name: "m",
      version: "1",
      state,
      status: { error_code: "OK", error_message: "" },
      since: "2026-12-02T10:00:00.000Z",
    })}\n\n`;
  const current = await serve((req, res) => {
    authorization = req.headers.authorization;
    resumedFrom = new URL(req.url!, "http://x").searchParams.get("last_event_id");
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    res.write(version("LOADING", "s.1") + "event: ready\ndata: {}\n\n");
    setTimeout(() => res.end(version("AVAILABLE", "s.2")), 20);
  });
  url = current.url;
  try {
    await until(() => events.includes("AVAILABLE"), "a live event");
    assert.deepEqual(events.slice(0, 3), ["LOADING (replayed)", "ready", "AVAILABLE"]);
    assert.ok(statuses.includes("live"));
    assert.equal(authorization, "Bearer t");
    // The stream ended: the watcher comes back, from the last id it saw.
    await until(() => resumedFrom === "s.2", "a reconnection from the last id");
  } finally {
    watcher.stop();
    old.server.close();
    current.server.closeAllConnections();
    current.server.close();
  }
  assert.equal(watcher.status, "off");
});
