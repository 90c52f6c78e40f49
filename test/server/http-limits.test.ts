import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, test } from "node:test";
import { demoServerForTests, waitFor } from "../support";

/**
 * The REST port's limits against clients that are slow, greedy or hostile: headers that
 * never finish, bodies over the limit, bodies that trickle past the request timeout, and
 * more connections than the cap. Each is cut off; the server keeps serving.
 */
const PREDICT = "/v1/models/half_plus_two:predict";
const MAX_BODY_BYTES = 64 * 1024;

/** A raw connection: what it has received, and a promise of its end. */
interface Raw {
  socket: Socket;
  received(): string;
  closed: Promise<number>;
}

function open(port: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = "";
    const socket = connect(port, "127.0.0.1");
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("error", () => undefined);
    const closed = new Promise<number>((done) =>
      socket.on("close", () => done(Date.now() - started)),
    );
    socket.once("connect", () => resolve({ socket, received: () => received, closed }));
    socket.once("error", reject);
  });
}

/** Resolves with the close time, or rejects if the connection is still open after `ms`. */
function closedWithin(raw: Raw, ms: number, what: string): Promise<number> {
  return Promise.race([
    raw.closed,
    new Promise<number>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms).unref(),
    ),
  ]);
}

describe("headers timeout, body limit, request timeout", () => {
  const server = demoServerForTests(
    "--rest_api_headers_timeout_in_ms=1000",
    "--rest_api_timeout_in_ms=2000",
    `--rest_api_max_body_bytes=${MAX_BODY_BYTES}`,
  );

  test("headers sent a line at a time are cut off at the headers timeout (408, closed)", async () => {
    const slow = await open(server.port);
    slow.socket.write("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n");
    const drip = setInterval(() => slow.socket.write(`X-Drip-${Date.now()}: 1\r\n`), 200);
    const silent = await open(server.port);
    try {
      // The timeout, plus the server's once-a-second check, plus slack for a busy machine.
      await closedWithin(slow, 8000, "a connection dripping header lines");
      await closedWithin(silent, 8000, "a connection that sends nothing");
    } finally {
      clearInterval(drip);
    }
    assert.match(slow.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  test("a chunked body over the limit: 413, then the connection closes without reading on", async () => {
    const raw = await open(server.port);
    raw.socket.write(`POST ${PREDICT} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const data = Buffer.alloc(64 * 1024, 0x20);
    const chunk = Buffer.concat([
      Buffer.from(`${data.length.toString(16)}\r\n`),
      data,
      Buffer.from("\r\n"),
    ]);
    const LOTS = 256 * 1024 * 1024;
    let written = 0;
    let closed = false;
    void raw.closed.then(() => (closed = true));
    // Write as fast as the server reads (a streaming client: it reads what comes back
    // between writes), until the server closes the connection or took a lot.
    while (!closed && written < LOTS) {
      written += chunk.length;
      if (!raw.socket.write(chunk)) {
        await Promise.race([new Promise((r) => raw.socket.once("drain", r)), raw.closed]);
      } else if (written % (16 * chunk.length) === 0) {
        await new Promise((r) => setImmediate(r));
      }
    }
    raw.socket.destroy();
    assert.match(raw.received(), /^HTTP\/1\.1 413 /);
    assert.match(raw.received(), /Request body is larger than the server's limit of 65536 bytes/);
    // What loopback socket buffers hold, far below what a server that reads on takes.
    assert.ok(closed && written < 64 * 1024 * 1024, `the server took ${written} bytes`);
  });

  test("a Content-Length over the limit: 413 at once, and the body is never waited for", async () => {
    const raw = await open(server.port);
    raw.socket.write(
      `POST ${PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * MAX_BODY_BYTES}\r\n\r\n`,
    );
    await closedWithin(raw, 5000, "a refused body");
    assert.match(raw.received(), /^HTTP\/1\.1 413 /);
  });

  test("a body that trickles past --rest_api_timeout_in_ms: 504, and the connection closes", async () => {
    const raw = await open(server.port);
    const started = Date.now();
    raw.socket.write(
      `POST ${PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"instances": [`,
    );
    const elapsed = await closedWithin(raw, 10_000, "a body that never finishes");
    assert.match(raw.received(), /^HTTP\/1\.1 504 /);
    assert.match(raw.received(), /"error": "Deadline Exceeded"/);
    assert.ok(Date.now() - started >= 1900, `answered after ${elapsed} ms, before the timeout`);
  });

  test("the server still serves", async () => {
    const res = await fetch(`${server.url}${PREDICT}`, {
      method: "POST",
      body: '{"instances": [1.0, 2.0, 5.0]}',
    });
    assert.equal(res.status, 200);
    assert.equal((await res.text()).replace(/\s/g, ""), '{"predictions":[2.5,3.0,4.5]}');
  });
});

describe("--rest_api_max_connections", () => {
  const CAP = 3;
  const server = demoServerForTests(`--rest_api_max_connections=${CAP}`);

  /** A keep-alive connection that has had one answer: it is open and counted. */
  async function established(): Promise<Raw> {
    const raw = await open(server.port);
    raw.socket.write("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    await waitFor(
      async () => (raw.received().includes('{"live":true}') ? true : undefined),
      10_000,
      10,
    );
    return raw;
  }

  test("connections beyond the cap are closed on arrival; a freed slot serves again", async () => {
    const held = [];
    for (let i = 0; i < CAP; i++) held.push(await established());
    const extra = await open(server.port);
    extra.socket.write("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    await closedWithin(extra, 5000, "a connection over the cap");
    assert.equal(extra.received(), "", "closed without an answer");

    held.pop()!.socket.destroy();
    const again = await waitFor(async () => {
      const raw = await open(server.port);
      raw.socket.write("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      await raw.closed;
      return raw.received().includes('{"live":true}') ? raw : undefined;
    }, 10_000);
    assert.match(again.received(), /^HTTP\/1\.1 200 /);
    for (const raw of held) raw.socket.destroy();
  });
});
