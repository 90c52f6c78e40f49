import assert from "node:assert/strict";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  demoFiles,
  linearFiles,
  listing,
  tree,
  upload,
  startServer,
  waitFor,
  type ServerProcess,
} from "../support";

/**
 * Uploads in progress belong to the server receiving them (issue 14): a server that starts
 * on the same repository sweeps only the staging of servers that are gone, never an upload
 * under way, and never takes a staging folder for a model; a version number one server
 * gave out is 409 on every other.
 */
const token = "staging-token";
let work: string;
let repository: string;
const started: ServerProcess[] = [];

before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-staging-"));
  repository = join(work, "repository");
  await mkdir(repository);
});
after(async () => {
  for (const server of started) await server.stop();
  await rm(work, { recursive: true, force: true });
});

async function start(name: string): Promise<ServerProcess> {
  const server = await startServer(
    [`--model_repository=${repository}`, "--file_system_poll_wait_seconds=1"],
    { env: { SERVABLE_TOKEN: token, SERVABLE_RUNTIME_DIR: join(work, `runtime-${name}`) } },
  );
  started.push(server);
  return server;
}

test("a server that starts leaves another's upload in progress alone", async () => {
  const a = await start("A");
  // An upload through A: its first file arrives, the rest comes later.
  const boundary = "----slow";
  const files = await demoFiles();
  const parts = await Promise.all(
    files.map(async ([path, blob]) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${path}"; filename="${path}"\r\n\r\n`,
        ),
        Buffer.from(await blob.arrayBuffer()),
        Buffer.from("\r\n"),
      ]),
    ),
  );
  const body = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
  const req = httpRequest(`${a.url}/v1/models/slow/versions`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      "Content-Type": `multipart/form-data; boundary=${boundary}`,
      "Content-Length": body.length,
    },
  });
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on("error", reject);
    req.on("response", (res: IncomingMessage) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, text }));
    });
  });
  req.write(parts[0]);
  const staging = join(repository, ".servable", "staging");
  await waitFor(async () =>
    (await tree(staging)).some((p) => /upload-[0-9a-f]+\/files\/model\.json$/.test(p))
      ? true
      : undefined,
  );

  // B starts (and sweeps) meanwhile; no model appears from A's staging.
  const b = await start("B");
  assert.deepEqual(
    (await listing(b.url)).map((m) => m.name),
    [],
    "no staging folder is taken for a model",
  );
  req.end(body.subarray(parts[0]!.length));
  const answer = await answered;
  assert.equal(answer.status, 201, answer.text);
  assert.equal((JSON.parse(answer.text) as { version: number }).version, 1);
  const stored = await readFile(join(repository, "slow", "1", "model.json"));
  assert.ok(stored.equals(Buffer.from(await files[0]![1].arrayBuffer())));
  await waitFor(async () =>
    (await listing(b.url)).some((m) => m.name === "slow") ? true : undefined,
  );
});

test("a version number given out through one server is 409 through another", async () => {
  const [a, b] = started;
  const first = await upload(a!.url, "numbers", await linearFiles(1), {
    token,
    query: "?version=7",
  });
  assert.equal(first.status, 201, JSON.stringify(first.json));
  const again = await upload(b!.url, "numbers", await linearFiles(2), {
    token,
    query: "?version=7",
  });
  assert.equal(again.status, 409);
  assert.equal(again.json.error, "Version 7 of model numbers already exists");
  const next = await upload(b!.url, "numbers", await linearFiles(3), { token });
  assert.equal(next.json.version, 8);
});
