import assert from "node:assert/strict";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  installVersion,
  linearVersion,
  call,
  predict,
  getJson,
  serverInScratchFolder,
  waitFor,
} from "../support";

/**
 * Labels from two places on one server: a --model_config_file's version_labels, and the
 * repository state the management API (or a GitOps tool) writes. The API changes only the
 * labels the config file does not set, and says so; a label file written by hand is
 * served within a poll.
 */
const token = "labels-token";
let repository: string;
let configPath: string;

const server = serverInScratchFolder("servable-config-labels-", async (scratch) => {
  repository = join(scratch.path, "repository");
  for (const version of [1, 2]) {
    await installVersion(join(repository, "iris"), version, (dir) => linearVersion(dir, version));
  }
  configPath = join(scratch.path, "models.config");
  await writeFile(
    configPath,
    `model_config_list {
  config {
    name: "iris"
    base_path: "${join(repository, "iris")}"
    model_version_policy { all {} }
    version_labels { key: "stable" value: 1 }
  }
}
`,
  );
  return scratch.startServer(
    [
      `--model_config_file=${configPath}`,
      `--model_repository=${repository}`,
      "--file_system_poll_wait_seconds=1",
    ],
    { env: { SERVABLE_TOKEN: token } },
  );
});

test("the API refuses to change a config file's label, and says where to change it", async () => {
  for (const [method, body] of [
    ["PUT", { version: 2 }],
    ["DELETE", undefined],
  ] as const) {
    const answer = await call(server.url, method, "/v1/models/iris/labels/stable", token, body);
    assert.equal(answer.status, 400, method);
    assert.equal(
      answer.json.error,
      `Label stable of model iris is set by the model config ${configPath} (its version_labels): ` +
        "change it there. The management API changes the other labels.",
    );
  }
  assert.deepEqual(await predict(server.url, "iris/labels/stable", 0), { status: 200, y: 1 });
});

test("the API sets the other labels in the repository state, and lists where each is set", async () => {
  const set = await call(server.url, "PUT", "/v1/models/iris/labels/canary", token, {
    version: 2,
  });
  assert.equal(set.status, 200, JSON.stringify(set.json));
  assert.deepEqual(await predict(server.url, "iris/labels/canary", 0), { status: 200, y: 2 });
  const file = join(repository, ".servable", "models", "iris", "labels", "canary.json");
  assert.equal((JSON.parse(await readFile(file, "utf8")) as { version: number }).version, 2);

  const listed = await getJson(`${server.url}/v1/models/iris/labels`);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.json, {
    name: "iris",
    labels: [
      { label: "canary", version: 2, serving: 2, set_in: "management_api", changeable: true },
      { label: "stable", version: 1, serving: 1, set_in: "model_config", changeable: false },
    ],
    labels_kept_in: `the repository state ${join(repository, ".servable", "models")}`,
    config_labels_kept_in: `model config ${configPath}`,
  });
  assert.equal((await getJson(`${server.url}/v1/models/nope/labels`)).status, 404);
});

test("a label file a GitOps tool writes is served within a poll; its removal too", async () => {
  const dir = join(repository, ".servable", "models", "iris", "labels");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "gitops.json"), '{"version": 1}\n');
  await waitFor(
    async () => ((await predict(server.url, "iris/labels/gitops", 0)).y === 1 ? true : undefined),
    5_000,
  );
  // A config label written as a file too: the config file's stays the one served.
  await writeFile(join(dir, "stable.json"), '{"version": 2}\n');
  await server.waitForLog((l) =>
    /is set by the model config .* the one in .* is ignored/.test(String(l.msg)),
  );
  assert.deepEqual(await predict(server.url, "iris/labels/stable", 0), { status: 200, y: 1 });
  await rm(join(dir, "gitops.json"));
  await waitFor(
    async () =>
      (await predict(server.url, "iris/labels/gitops", 0)).status === 400 ? true : undefined,
    5_000,
  );
});
