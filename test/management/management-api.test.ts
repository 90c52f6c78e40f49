import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import {
  call as callUrl,
  demoFiles,
  linearFiles,
  predict,
  stateOf as stateOfUrl,
  tree,
  upload as uploadUrl,
  type Files,
  getJson,
  postJson,
  ROOT,
  startServer,
  waitFor,
  type ServerProcess,
} from "../support";

const upload = (
  server: ServerProcess,
  name: string,
  files: Files,
  options?: { token?: string; query?: string },
) => uploadUrl(server.url, name, files, options);
const call = (
  server: ServerProcess,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
) => callUrl(server.url, method, path, token, body);
const stateOf = (server: ServerProcess, name: string, version: number) =>
  stateOfUrl(server.url, name, version);

/**
 * The management API (docs/management-api.md) against real server processes: uploads,
 * labels, deletes, the token and its runtime file, the limits, and that bad or cut-off
 * uploads leave nothing behind.
 */
let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-management-"));
});
after(() => rm(work, { recursive: true, force: true }));

const waitForState = (server: ServerProcess, name: string, version: number, state: string) =>
  waitFor(
    async () => ((await stateOf(server, name, version)) === state ? true : undefined),
    20_000,
  );

async function predictY(server: ServerProcess, path: string, x: number): Promise<number> {
  const answer = await predict(server.url, path, x);
  assert.equal(answer.status, 200, answer.error);
  return answer.y!;
}

/** The version a label file in the repository state holds, or undefined without one. */
async function labelFile(repository: string, model: string, label: string) {
  const path = join(repository, ".servable", "models", model, "labels", `${label}.json`);
  const text = await readFile(path, "utf8").catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as { version: number }).version;
}

describe("a server on a model repository, with its generated token", () => {
  let server: ServerProcess;
  let repository: string;
  let runtime: string;
  let token: string;

  before(async () => {
    repository = join(work, "repository");
    runtime = join(work, "runtime");
    await mkdir(repository);
    server = await startServer([`--model_repository=${repository}`], {
      env: { SERVABLE_RUNTIME_DIR: runtime, SERVABLE_TOKEN: "" },
    });
    const file = join(runtime, `server-${server.port}.json`);
    token = (JSON.parse(await readFile(file, "utf8")) as { token: string }).token;
  });
  after(() => server.stop());

  test("the generated token is in the runtime file, mode 0600, and the log says where", async () => {
    const file = join(runtime, `server-${server.port}.json`);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const info = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(info).sort(), ["pid", "token", "url"]);
    assert.equal(info.pid, server.pid);
    assert.equal(info.url, `http://127.0.0.1:${server.port}`);
    const logged = await server.waitForLog((l) => l.runtime_file === file);
    assert.equal(logged.token_source, "generated");
    assert.ok(
      !server.logs.some((l) => JSON.stringify(l).includes(token)),
      "the token is never logged",
    );
  });

  test("every management call needs the token: 401 with TF Serving's error body", async () => {
    const files = await demoFiles();
    for (const bad of [undefined, "wrong"]) {
      const answer = await upload(server, "m", files, bad === undefined ? {} : { token: bad });
      assert.equal(answer.status, 401);
      assert.match(String(answer.json.error), /bearer token|Authorization/);
      assert.equal(
        (await call(server, "PUT", "/v1/models/m/labels/x", bad, { version: 1 })).status,
        401,
      );
      assert.equal((await call(server, "DELETE", "/v1/models/m/labels/x", bad)).status, 401);
      assert.equal((await call(server, "DELETE", "/v1/models/m/versions/1", bad)).status, 401);
    }
    assert.deepEqual(
      (await tree(repository)).filter((p) => !p.startsWith(".servable")),
      [],
      "nothing was written",
    );
    // Reads stay open.
    assert.equal((await getJson(`${server.url}/v1/models`)).status, 200);
  });

  test("an upload becomes the model's next version, and loads", async () => {
    const first = await upload(server, "lin", await linearFiles(1), { token });
    assert.equal(first.status, 201);
    assert.deepEqual(
      { ...first.json, state: undefined },
      { name: "lin", version: 1, state: undefined },
    );
    assert.match(String(first.json.state), /^(START|LOADING|AVAILABLE)$/);
    await waitForState(server, "lin", 1, "AVAILABLE");
    assert.equal(await predictY(server, "lin", 2), 2);
    const second = await upload(server, "lin", await linearFiles(5), { token });
    assert.equal(second.json.version, 2);
    await waitForState(server, "lin", 2, "AVAILABLE");
    assert.equal(await predictY(server, "lin", 2), 6);
    const chosen = await upload(server, "lin", await linearFiles(7), {
      token,
      query: "?version=10",
    });
    assert.equal(chosen.json.version, 10);
    const again = await upload(server, "lin", await linearFiles(7), {
      token,
      query: "?version=10",
    });
    assert.equal(again.status, 409);
    assert.equal(again.json.error, "Version 10 of model lin already exists");
    await waitForState(server, "lin", 10, "AVAILABLE");
    assert.deepEqual(
      (await tree(join(repository, "lin"))).filter((p) => !p.includes("/")),
      ["1", "10", "2"],
    );
  });

  test("TF.js's own tf.io.http save handler deploys a model", async () => {
    const input = tf.input({ shape: [3], name: "x" });
    const y = tf.layers.dense({ units: 2, name: "y" }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    const saved = await model.save(
      tf.io.http(`${server.url}/v1/models/tfjs_http/versions`, {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    const answer = (await saved.responses![0]!.json()) as { version: number };
    assert.equal(answer.version, 1);
    await waitForState(server, "tfjs_http", 1, "AVAILABLE");
    const served = await postJson(`${server.url}/v1/models/tfjs_http:predict`, {
      instances: [[1, 2, 3]],
    });
    const expected = (
      model.predict(tf.tensor2d([[1, 2, 3]])) as tf.Tensor
    ).arraySync() as number[][];
    const got = (served.json as { predictions: number[][] }).predictions[0]!;
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[0]![i]!) < 1e-5));
  });

  test("bad names and paths are 400 and leave nothing behind", async () => {
    const before = await tree(repository);
    const files = await demoFiles();
    const cases: [string, Files, RegExp][] = [
      ["bad%20name", files, /Invalid model name/],
      [".hidden", files, /Invalid model name/],
      ["ok", [...files, ["../escape.json", new Blob(["{}"])]], /Invalid file path/],
      ["ok", [...files, ["variables//x", new Blob(["{}"])]], /Invalid file path/],
      ["ok", [["notes.txt", new Blob(["hello"])]], /holds no model the server can load/],
      ["ok", [...files, ["model.json", new Blob(["{}"])]], /two files named model.json/],
      ["ok", [], /no files|multipart/],
    ];
    for (const [name, parts, message] of cases) {
      const answer = await upload(server, name, parts, { token });
      assert.equal(answer.status, 400, `${name} ${message}`);
      assert.match(String(answer.json.error), message);
    }
    const text = new FormData();
    text.append("model.json", "not a file part");
    const field = await fetch(`${server.url}/v1/models/ok/versions`, {
      method: "POST",
      body: text,
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(field.status, 400);
    const notMultipart = await call(server, "POST", "/v1/models/ok/versions", token, { a: 1 });
    assert.equal(notMultipart.status, 400);
    assert.match(String(notMultipart.json.error), /multipart\/form-data/);
    assert.deepEqual(await tree(repository), before);
  });

  test("an upload cut off midway leaves nothing behind and the server keeps serving", async () => {
    const before = await tree(repository);
    const boundary = "----cut";
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${server.url}/v1/models/cut/versions`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": `multipart/form-data; boundary=${boundary}`,
          "Content-Length": 10_000_000,
        },
      });
      req.on("error", () => resolve());
      req.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="model.json"; filename="model.json"\r\n\r\n`,
      );
      req.write(Buffer.alloc(200_000, 32), () => setTimeout(() => (req.destroy(), resolve()), 200));
    });
    await waitFor(
      async () => ((await tree(repository)).join() === before.join() ? true : undefined),
      5000,
    );
    assert.equal(await predictY(server, "lin", 2), 8);
  });

  test("labels point at AVAILABLE versions, keep them served, and persist", async () => {
    // lin has versions 1, 2 and 10; the latest, 10 (y = 0.5x + 7), is the one served.
    const set = await call(server, "PUT", "/v1/models/lin/labels/stable", token, { version: 10 });
    assert.equal(set.status, 200);
    assert.deepEqual(set.json, { name: "lin", label: "stable", version: 10 });
    assert.equal(await predictY(server, "lin/labels/stable", 2), 8);
    const unavailable = await call(server, "PUT", "/v1/models/lin/labels/old", token, {
      version: 2,
    });
    assert.equal(unavailable.status, 400);
    assert.equal(
      unavailable.json.error,
      "Request to assign label to version 2 of model lin, which is not currently available for inference",
    );
    for (const [body, message] of [
      ["{", /Expected a JSON body/],
      [{ version: "x" }, /Invalid version/],
      [{}, /Expected a JSON body/],
    ] as const) {
      const answer = await call(server, "PUT", "/v1/models/lin/labels/x", token, body);
      assert.equal(answer.status, 400);
      assert.match(String(answer.json.error), message);
    }
    const badLabel = await call(server, "PUT", "/v1/models/lin/labels/bad-label", token, {
      version: 10,
    });
    assert.equal(badLabel.status, 400);
    assert.equal(
      (await call(server, "PUT", "/v1/models/nope/labels/x", token, { version: 1 })).status,
      404,
    );

    // A newer version: the label keeps version 10 served beside it.
    const newer = await upload(server, "lin", await linearFiles(9), { token });
    assert.equal(newer.json.version, 11);
    await waitForState(server, "lin", 11, "AVAILABLE");
    assert.equal(await predictY(server, "lin", 2), 10);
    assert.equal(await predictY(server, "lin/labels/stable", 2), 8);
    assert.equal(await stateOf(server, "lin", 10), "AVAILABLE");
    assert.equal(await labelFile(repository, "lin", "stable"), 10);
    const listing = (await getJson(`${server.url}/v1/models`)).json as {
      models: { name: string; labels: Record<string, string> }[];
    };
    assert.deepEqual(listing.models.find((m) => m.name === "lin")!.labels, { stable: "10" });

    // Without its label, version 10 is neither latest nor labelled: it unloads.
    const removed = await call(server, "DELETE", "/v1/models/lin/labels/stable", token);
    assert.deepEqual(removed.json, { name: "lin", label: "stable" });
    assert.equal((await call(server, "DELETE", "/v1/models/lin/labels/stable", token)).status, 404);
    await waitForState(server, "lin", 10, "END");
    assert.equal(await labelFile(repository, "lin", "stable"), undefined);
  });

  test("a deleted version is unloaded and its folder removed; a labelled one is refused", async () => {
    await call(server, "PUT", "/v1/models/lin/labels/stable", token, { version: 11 });
    const refused = await call(server, "DELETE", "/v1/models/lin/versions/11", token);
    assert.equal(refused.status, 400);
    assert.match(
      String(refused.json.error),
      /labelled stable: point the label at another version or remove it first/,
    );
    await call(server, "DELETE", "/v1/models/lin/labels/stable", token);

    const deleted = await call(server, "DELETE", "/v1/models/lin/versions/11", token);
    assert.deepEqual(deleted.json, { name: "lin", version: 11, state: "END" });
    assert.equal(await stateOf(server, "lin", 11), "HTTP 404");
    // The next highest version takes over.
    await waitForState(server, "lin", 10, "AVAILABLE");
    assert.equal(await predictY(server, "lin", 2), 8);
    assert.deepEqual(
      (await tree(join(repository, "lin"))).filter((p) => !p.includes("/")),
      ["1", "10", "2"],
    );
    assert.equal((await call(server, "DELETE", "/v1/models/lin/versions/11", token)).status, 404);
    assert.equal((await call(server, "DELETE", "/v1/models/lin/versions/x", token)).status, 400);
  });

  test("the runtime file goes when the server stops", async () => {
    const other = await startServer([`--model_repository=${repository}`], {
      env: { SERVABLE_RUNTIME_DIR: runtime, SERVABLE_TOKEN: "" },
    });
    const file = join(runtime, `server-${other.port}.json`);
    assert.ok((await stat(file)).isFile());
    await other.stop();
    await assert.rejects(stat(file), /ENOENT/);
  });
});

describe("limits", () => {
  let server: ServerProcess;
  let repository: string;
  const token = "limits-token";

  before(async () => {
    repository = join(work, "limits");
    await mkdir(repository);
    server = await startServer(
      [`--model_repository=${repository}`, "--max_upload_bytes=20000", "--max_upload_files=3"],
      { env: { SERVABLE_TOKEN: token, SERVABLE_RUNTIME_DIR: join(work, "limits-runtime") } },
    );
  });
  after(() => server.stop());

  test("SERVABLE_TOKEN is the token, and the runtime file does not repeat it", async () => {
    const info = JSON.parse(
      await readFile(join(work, "limits-runtime", `server-${server.port}.json`), "utf8"),
    ) as Record<string, unknown>;
    assert.equal(info.token, undefined);
    assert.equal((await upload(server, "m", await demoFiles(), { token })).status, 201);
  });

  test("an upload over --max_upload_bytes is 413, whether its length is announced or not", async () => {
    const before = await tree(repository);
    const big: Files = [
      ...(await demoFiles()).slice(0, 2),
      ["extra.bin", new Blob([new Uint8Array(30_000)])],
    ];
    const announced = await upload(server, "m", big, { token });
    assert.equal(announced.status, 413);
    assert.match(String(announced.json.error), /larger than the server's limit of 20000 bytes/);

    const form = new FormData();
    for (const [path, data] of big) form.append(path, data, path);
    const encoded = new Request("http://x.invalid/", { method: "POST", body: form });
    const streamed = await fetch(`${server.url}/v1/models/m/versions`, {
      method: "POST",
      body: encoded.body,
      headers: {
        Authorization: `Bearer ${token}`,
        "Content-Type": encoded.headers.get("content-type")!,
      },
      duplex: "half",
    } as RequestInit);
    assert.equal(streamed.status, 413);
    await waitFor(
      async () => ((await tree(repository)).join() === before.join() ? true : undefined),
      5000,
    );
  });

  test("more files than --max_upload_files is 400", async () => {
    const before = await tree(repository);
    const files: Files = [...(await demoFiles()), ["a.txt", new Blob(["a"])]];
    const answer = await upload(server, "m", files, { token });
    assert.equal(answer.status, 400);
    assert.match(String(answer.json.error), /Too many files: the server takes at most 3/);
    await waitFor(
      async () => ((await tree(repository)).join() === before.join() ? true : undefined),
      5000,
    );
  });
});

describe("--require_auth_for_reads and --auth_token_file", () => {
  let server: ServerProcess;
  const token = "file-token";

  before(async () => {
    const tokenFile = join(work, "token.txt");
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const repository = join(work, "guarded");
    await cp(join(ROOT, "server", "demo", "models"), repository, { recursive: true });
    server = await startServer(
      [
        `--model_repository=${repository}`,
        `--auth_token_file=${tokenFile}`,
        "--require_auth_for_reads",
      ],
      {
        env: {
          SERVABLE_TOKEN: "not-this-one",
          SERVABLE_RUNTIME_DIR: join(work, "guarded-runtime"),
        },
      },
    );
  });
  after(() => server.stop());

  test("reads and inference need the token; health and metrics do not", async () => {
    const get = (path: string, t?: string) =>
      fetch(`${server.url}${path}`, { headers: t ? { Authorization: `Bearer ${t}` } : {} });
    const predict = (t?: string) =>
      fetch(`${server.url}/v1/models/half_plus_two:predict`, {
        method: "POST",
        body: '{"instances": [1.0]}',
        headers: t ? { Authorization: `Bearer ${t}` } : {},
      });
    for (const path of [
      "/v1/models",
      "/v1/models/half_plus_two",
      "/v1/models/half_plus_two/metadata",
      "/v2/models/half_plus_two",
    ]) {
      assert.equal((await get(path)).status, 401, path);
      assert.equal((await get(path, "not-this-one")).status, 401, path);
      assert.equal((await get(path, token)).status, 200, path);
    }
    assert.equal((await predict()).status, 401);
    const answered = await predict(token);
    assert.equal(answered.status, 200);
    assert.deepEqual(await answered.json(), { predictions: [2.5] });
    assert.equal((await get("/v2/health/live")).status, 200);
    assert.equal((await get("/v2/health/ready")).status, 200);
    assert.equal((await get("/monitoring/prometheus/metrics")).status, 200);
  });
});

describe("restarts and servers without a repository", () => {
  test("after a kill -9 mid-upload: labels come back, nothing half-written loads, the staging goes", async () => {
    const repository = join(work, "restart");
    await mkdir(repository);
    const env = { SERVABLE_TOKEN: "t", SERVABLE_RUNTIME_DIR: join(work, "restart-runtime") };
    let server = await startServer([`--model_repository=${repository}`], { env });
    await upload(server, "lin", await linearFiles(1), { token: "t" });
    await waitForState(server, "lin", 1, "AVAILABLE");
    assert.equal(
      (await call(server, "PUT", "/v1/models/lin/labels/stable", "t", { version: 1 })).status,
      200,
    );
    await upload(server, "lin", await linearFiles(3), { token: "t" });
    await waitForState(server, "lin", 2, "AVAILABLE");

    // An upload under way: its first file is being written when the process is killed.
    const boundary = "----killed";
    const req = httpRequest(`${server.url}/v1/models/lin/versions`, {
      method: "POST",
      headers: {
        Authorization: "Bearer t",
        "Content-Type": `multipart/form-data; boundary=${boundary}`,
        "Content-Length": 10_000_000,
      },
    });
    req.on("error", () => undefined);
    req.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="model.json"; filename="model.json"\r\n\r\n`,
    );
    req.write(Buffer.alloc(100_000, 32));
    const staging = join(repository, ".servable", "staging");
    const killed = await waitFor(async () =>
      (await tree(staging)).find((p) => /\/upload-[0-9a-f]+\/files\/model\.json$/.test(p)),
    );
    process.kill(server.pid, "SIGKILL");
    await server.stop();
    req.destroy();

    server = await startServer([`--model_repository=${repository}`], { env });
    try {
      await waitForState(server, "lin", 1, "AVAILABLE");
      assert.equal(await predictY(server, "lin/labels/stable", 2), 2);
      assert.equal(await predictY(server, "lin", 2), 4);
      // The killed server's staging folder goes once its heartbeat is two beats old.
      const dead = killed.split("/")[0]!;
      await waitFor(async () => ((await tree(staging)).includes(dead) ? undefined : true), 30_000);
      assert.equal(await labelFile(repository, "lin", "stable"), 1);
      assert.deepEqual(
        (await tree(repository)).filter((p) => !p.startsWith(".servable")),
        [
          "lin",
          "lin/1",
          "lin/1/group1-shard1of1.bin",
          "lin/1/model.json",
          "lin/1/signatures.json",
          "lin/2",
          "lin/2/group1-shard1of1.bin",
          "lin/2/model.json",
          "lin/2/signatures.json",
        ],
      );
    } finally {
      await server.stop();
    }
  });

  test("a server of --model_base_path takes labels but no uploads (404)", async () => {
    const server = await startServer(
      [
        "--model_name=half_plus_two",
        `--model_base_path=${join(ROOT, "server", "demo", "models", "half_plus_two")}`,
      ],
      { env: { SERVABLE_TOKEN: "t", SERVABLE_RUNTIME_DIR: join(work, "single-runtime") } },
    );
    try {
      const answer = await upload(server, "half_plus_two", await demoFiles(), { token: "t" });
      assert.equal(answer.status, 404);
      assert.match(String(answer.json.error), /the server has no --model_repository/);
      assert.equal(
        (await call(server, "DELETE", "/v1/models/half_plus_two/versions/1", "t")).status,
        404,
      );
      assert.equal(
        (await call(server, "PUT", "/v1/models/half_plus_two/labels/stable", "t", { version: 1 }))
          .status,
        200,
      );
      assert.equal(await predictY(server, "half_plus_two/labels/stable", 1), 2.5);
    } finally {
      await server.stop();
    }
  });
});
