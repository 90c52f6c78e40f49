import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  call,
  linearFiles,
  listing,
  predict,
  processUsage,
  stateOf,
  tree,
  upload,
  versionStates,
  getJson,
  setUpInScratchFolder,
  waitFor,
  type ServerProcess,
} from "../support";

/**
 * Hostile uploads and names against a real server (issue 12's management findings): a
 * truncated multipart body, model and label names that are Object.prototype's keys,
 * parallel uploads to one model, and parallel first uploads of a new model. Each must
 * end in an answer with an error body or a version, never in a dead process, a ghost
 * version or a folder left behind.
 */
const token = "hardening-token";
let repository: string;
let server: ServerProcess;

setUpInScratchFolder("servable-hardening-", async (scratch) => {
  repository = join(scratch.path, "repository");
  await mkdir(repository);
  server = await scratch.startServer([`--model_repository=${repository}`], {
    env: { SERVABLE_TOKEN: token },
  });
  const first = await upload(server.url, "lin", await linearFiles(1), { token });
  assert.equal(first.status, 201);
  await waitForState("lin", 1, "AVAILABLE");
});

const waitForState = (name: string, version: number, state: string) =>
  waitFor(
    async () => ((await stateOf(server.url, name, version)) === state ? true : undefined),
    30_000,
  );

/** The repository's folders, without the server's own state folder. */
async function models(): Promise<string[]> {
  return (await tree(repository)).filter((p) => !p.startsWith(".servable"));
}

/** Sends `body` as one complete request (its Content-Length says all of it came). */
function rawUpload(name: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}/v1/models/${name}/versions`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${token}`,
        "Content-Type": "multipart/form-data; boundary=B",
        "Content-Length": Buffer.byteLength(body),
      },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, text }));
    });
    req.end(body);
  });
}

describe("finding 1: a multipart body that ends early", () => {
  test("is a 400 with an error body; the server keeps serving and keeps nothing", async () => {
    const before = await models();
    const part = (name: string) =>
      `--B\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\n\r\n`;
    for (const body of [
      `${part("model.json")}{}`,
      `${part("variables/variables.index")}abc`,
      `${part("model.json")}{}\r\n--B\r\n`,
      `--B\r\nContent-Disp`,
    ]) {
      const answer = await rawUpload("truncated", body);
      assert.equal(answer.status, 400, answer.text);
      assert.match(
        (JSON.parse(answer.text) as { error: string }).error,
        /Malformed multipart body|cut off|no files/,
      );
    }
    assert.equal((await getJson(`${server.url}/v2/health/live`)).status, 200);
    assert.deepEqual(await predict(server.url, "lin", 2), { status: 200, y: 2 });
    await waitFor(async () => ((await models()).join() === before.join() ? true : undefined));
  });
});

describe("finding 2: names are data", () => {
  test("a model named __proto__ is a model like any other, and harms no other model", async () => {
    for (const name of ["__proto__", "constructor"]) {
      const answer = await upload(server.url, name, await linearFiles(4), { token });
      assert.equal(answer.status, 201, JSON.stringify(answer.json));
      await waitForState(name, 1, "AVAILABLE");
      const label = await call(
        server.url,
        "PUT",
        `/v1/models/${name}/labels/signature_name`,
        token,
        {
          version: 1,
        },
      );
      assert.equal(label.status, 200, JSON.stringify(label.json));
      assert.deepEqual(await predict(server.url, `${name}/labels/signature_name`, 2), {
        status: 200,
        y: 5,
      });
    }
    // Every other model still answers (a polluted prototype broke every predict).
    assert.deepEqual(await predict(server.url, "lin", 2), { status: 200, y: 2 });
    const names = (await listing(server.url)).map((m) => m.name);
    assert.ok(names.includes("__proto__") && names.includes("constructor"), names.join());
  });

  test("a label named __proto__ is set, resolved, listed and removed like any other", async () => {
    for (const label of ["__proto__", "constructor", "hasOwnProperty"]) {
      const set = await call(server.url, "PUT", `/v1/models/lin/labels/${label}`, token, {
        version: 1,
      });
      assert.equal(set.status, 200, JSON.stringify(set.json));
      assert.deepEqual(await predict(server.url, `lin/labels/${label}`, 2), { status: 200, y: 2 });
    }
    const lin = (await listing(server.url)).find((m) => m.name === "lin")!;
    assert.deepEqual(Object.entries(lin.labels).sort(), [
      ["__proto__", "1"],
      ["constructor", "1"],
      ["hasOwnProperty", "1"],
    ]);
    for (const label of ["__proto__", "constructor", "hasOwnProperty"]) {
      const removed = await call(server.url, "DELETE", `/v1/models/lin/labels/${label}`, token);
      assert.equal(removed.status, 200, JSON.stringify(removed.json));
      const gone = await predict(server.url, `lin/labels/${label}`, 2);
      assert.equal(gone.status, 400);
      assert.equal(gone.error, `Unrecognized servable version label: ${label}`);
    }
    // A label the model never had is 404, whatever its name.
    const never = await call(server.url, "DELETE", "/v1/models/lin/labels/toString", token);
    assert.equal(never.status, 404);
  });
});

describe("finding 9: parallel first uploads of a new model", () => {
  test("get distinct versions and leave no staging folder in the repository", async () => {
    const answers = await Promise.all(
      [1, 2, 3].map(async (b) => upload(server.url, "fresh", await linearFiles(b), { token })),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 201, 201]);
    assert.deepEqual(answers.map((a) => a.json.version).sort(), [1, 2, 3]);
    const top = (await tree(repository)).filter((p) => !p.includes("/"));
    assert.ok(top.includes("fresh"), top.join());
    assert.deepEqual(
      top.filter((p) => p.startsWith(".")),
      [".servable"],
      "no staging folder among the models",
    );
    assert.deepEqual(
      (await tree(join(repository, "fresh"))).filter((p) => !p.includes("/")),
      ["1", "2", "3"],
    );
  });
});

describe("finding 4: parallel uploads to one model", () => {
  test("get distinct versions or a 409; no version is left loaded and unreachable", async (t) => {
    const baseline = await processUsage(server.pid);
    const versions = new Set<number>();
    for (let round = 0; round < 10; round++) {
      const explicit = round % 3 === 2 ? `?version=${100 + round}` : "";
      const answers = await Promise.all(
        [0, 1].map(async (i) =>
          upload(server.url, "lin", await linearFiles(10 + round), {
            token,
            query: i === 0 ? "" : explicit,
          }),
        ),
      );
      for (const answer of answers) {
        assert.ok([201, 409].includes(answer.status), JSON.stringify(answer.json));
        if (answer.status === 201) {
          const version = answer.json.version as number;
          assert.ok(!versions.has(version), `version ${version} given twice`);
          versions.add(version);
        }
      }
    }
    const latest = Math.max(...versions);
    await waitForState("lin", latest, "AVAILABLE");
    // Settled: the latest version serves, and every version reported AVAILABLE answers.
    const settled = await waitFor(async () => {
      const states = await versionStates(server.url, "lin");
      return states.some((s) => s.state === "LOADING" || s.state === "UNLOADING")
        ? undefined
        : states;
    });
    const available = settled.filter((s) => s.state === "AVAILABLE");
    for (const s of available) {
      const answer = await predict(server.url, `lin/versions/${s.version}`, 0);
      assert.equal(
        answer.status,
        200,
        `version ${s.version} is AVAILABLE but answers ${answer.error}`,
      );
      assert.equal(s.status.error_code, "OK", JSON.stringify(s));
    }
    assert.deepEqual(
      available.map((s) => Number(s.version)),
      [latest],
      "the latest policy serves one version",
    );
    const usage = await processUsage(server.pid);
    t.diagnostic(
      `after 10 rounds of 2 parallel uploads: threads ${baseline.threads} -> ${usage.threads}, ` +
        `RSS ${baseline.rssMb} -> ${usage.rssMb} MB`,
    );
    assert.ok(
      usage.threads <= baseline.threads + 2,
      `threads ${baseline.threads} -> ${usage.threads}: a worker per ghost version`,
    );
  });
});
