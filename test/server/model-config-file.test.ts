import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  corruptVersion,
  installVersion,
  linearVersion,
  getJson,
  postJson,
  serverInScratchFolder,
  waitFor,
} from "../support";

/**
 * --model_config_file (TF Serving's ModelServerConfig in text format): version policies
 * `specific`, `all` and `latest {num_versions: 2}`, version_labels and the /labels/{l}
 * routes, and a config that changes while the server polls it. Version N of every model
 * answers y = 0.5x + N, so x = 0 tells which version answered.
 */
let work: string;
let configPath: string;

const configText = (labels: { stable: number; canary: number }, withEverything = true) => `
model_config_list {
  config {
    name: "pinned"
    base_path: "${join(work, "pinned")}"
    model_platform: "tensorflow"
    model_version_policy { specific { versions: 1 versions: 3 } }
  }
  ${
    withEverything
      ? `config {
    name: "everything"
    base_path: "${join(work, "everything")}"
    model_version_policy { all {} }
  }`
      : ""
  }
  config {
    name: "broken"
    base_path: "${join(work, "broken")}"
  }
  config {
    name: "latest_two"
    base_path: "${join(work, "latest_two")}"
    model_version_policy { latest { num_versions: 2 } }
    version_labels { key: "stable" value: ${labels.stable} }
    version_labels { key: "canary" value: ${labels.canary} }
  }
}
`;

const server = serverInScratchFolder("servable-config-", async (scratch) => {
  work = scratch.path;
  for (const name of ["pinned", "everything", "latest_two"]) {
    for (const version of [1, 2, 3]) {
      await installVersion(join(work, name), version, (dir) => linearVersion(dir, version));
    }
  }
  await installVersion(join(work, "broken"), 1, corruptVersion);
  configPath = join(work, "models.config");
  await writeFile(configPath, configText({ stable: 2, canary: 3 }));
  return scratch.startServer([
    `--model_config_file=${configPath}`,
    "--model_config_file_poll_wait_seconds=1",
    "--file_system_poll_wait_seconds=1",
    "--max_num_load_retries=0",
  ]);
});

async function versionsIn(model: string): Promise<string[]> {
  const res = await getJson(`${server.url}/v1/models/${model}`);
  const body = res.json as { model_version_status: { version: string; state: string }[] };
  return body.model_version_status.map((s) => `${s.version} ${s.state}`);
}

async function answer(path: string): Promise<{ status: number; value?: number; text: string }> {
  const res = await postJson(`${server.url}/v1/models/${path}:predict`, '{"instances": [0.0]}');
  const value = (res.json as { predictions?: number[] }).predictions?.[0];
  return { status: res.status, value, text: res.text };
}

test("specific {versions: 1, 3}: exactly those serve", async () => {
  assert.deepEqual(await versionsIn("pinned"), ["3 AVAILABLE", "1 AVAILABLE"]);
  assert.equal((await answer("pinned")).value, 3);
  assert.equal((await answer("pinned/versions/1")).value, 1);
  const two = await answer("pinned/versions/2");
  assert.equal(two.status, 404);
  assert.deepEqual(JSON.parse(two.text), {
    error: "Servable not found for request: Specific(pinned, 2)",
  });
  const status = await getJson(`${server.url}/v1/models/pinned/versions/2`);
  assert.equal(status.status, 404);
  assert.deepEqual(status.json, { error: "Could not find version 2 of model pinned" });
});

test("all {}: every version serves", async () => {
  assert.deepEqual(await versionsIn("everything"), ["3 AVAILABLE", "2 AVAILABLE", "1 AVAILABLE"]);
  for (const version of [1, 2, 3]) {
    assert.equal((await answer(`everything/versions/${version}`)).value, version);
  }
});

test("latest {num_versions: 2} with labels: /labels/{l} routes reach the labelled version", async () => {
  assert.deepEqual(await versionsIn("latest_two"), ["3 AVAILABLE", "2 AVAILABLE"]);
  assert.equal((await answer("latest_two")).value, 3);
  assert.equal((await answer("latest_two/labels/stable")).value, 2);
  assert.equal((await answer("latest_two/labels/canary")).value, 3);

  const metadata = await getJson(`${server.url}/v1/models/latest_two/labels/stable/metadata`);
  assert.equal(metadata.status, 200);
  assert.deepEqual((metadata.json as { model_spec: unknown }).model_spec, {
    name: "latest_two",
    signature_name: "",
    version: "2",
  });
  // As TF Serving: a label's status is the status of every version.
  const status = await getJson(`${server.url}/v1/models/latest_two/labels/stable`);
  assert.equal(status.status, 200);
  assert.equal((status.json as { model_version_status: unknown[] }).model_version_status.length, 2);

  const regress = await postJson(
    `${server.url}/v1/models/latest_two/labels/stable:regress`,
    '{"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]}',
  );
  assert.equal(regress.text.replace(/\s/g, ""), '{"results":[3.0]}');

  const anyLabelStatus = await getJson(`${server.url}/v1/models/latest_two/labels/beta`);
  assert.equal(anyLabelStatus.status, 200, "status ignores the label, as TF Serving's does");

  const unknown = await answer("latest_two/labels/beta");
  assert.equal(unknown.status, 400);
  assert.deepEqual(JSON.parse(unknown.text), {
    error: "Unrecognized servable version label: beta",
  });

  const listing = await getJson(`${server.url}/v1/models`);
  const latestTwo = (
    listing.json as { models: { name: string; labels: Record<string, string> }[] }
  ).models.find((m) => m.name === "latest_two");
  assert.deepEqual(latestTwo?.labels, { stable: "2", canary: "3" });
});

test("a model whose only version cannot load: END with its error; the server is ready for the others", async () => {
  const status = await getJson(`${server.url}/v1/models/broken`);
  const [version] = (
    status.json as {
      model_version_status: { version: string; state: string; status: { error_code: string } }[];
    }
  ).model_version_status;
  assert.equal(version?.state, "END");
  assert.equal(version?.status.error_code, "INVALID_ARGUMENT");
  // Readiness waits for every version found at start to be AVAILABLE or END: a version
  // that failed for good keeps no healthy model out of service.
  const ready = await getJson(`${server.url}/v2/health/ready`);
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.json, { ready: true });
  assert.deepEqual((await getJson(`${server.url}/v2/health/live`)).json, { live: true });
  assert.equal((await answer("pinned")).value, 3, "the other models serve");
});

test("a changed config file moves labels and unloads models it no longer lists", async () => {
  await writeFile(configPath, configText({ stable: 3, canary: 3 }, false));
  await waitFor(
    async () => ((await answer("latest_two/labels/stable")).value === 3 ? true : undefined),
    15_000,
  );
  await waitFor(
    async () =>
      (await versionsIn("everything")).every((s) => s.endsWith("END")) ? true : undefined,
    15_000,
  );
  const gone = await answer("everything");
  assert.equal(gone.status, 404);
  assert.deepEqual(JSON.parse(gone.text), {
    error: "Servable not found for request: Latest(everything)",
  });
  assert.equal((await answer("pinned")).value, 3, "the other models are untouched");
});

test("a config that does not parse is refused and the running one kept", async () => {
  await writeFile(configPath, "model_config_list { config { name: ");
  await server.waitForLog(
    (l) => String(l.msg).startsWith("Keeping the current model config"),
    10_000,
  );
  assert.equal((await answer("latest_two/labels/stable")).value, 3);
  assert.equal((await answer("pinned/versions/1")).value, 1);
});
