import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import {
  freePort,
  postJson,
  ROOT,
  startServer,
  waitFor,
  type ServerProcess,
  installVersion,
  linearVersion,
} from "../support";
import { ServableModel } from "../../extension/src/model";
import type { VersionFile } from "../../extension/src/server-api";
import type { Connection, ExportedVersion, ServableSettings } from "../../extension/src/tokens";
import { MissingFolderError, type ExportedModels } from "../../extension/src/workspace";

/**
 * The sidebar's model (extension/src/model.ts) against a real serving server on loopback: polling, change detection, the
 * unreachable state and recovery, traffic from the metrics. The workspace side is read
 * from a local folder here (the Contents API one is exercised by the browser tests).
 */

const DEMO = join(ROOT, "server", "demo", "models");

class FolderExportedModels implements ExportedModels {
  constructor(private readonly root: string) {}
  async list(folder: string): Promise<ExportedVersion[]> {
    const dir = join(this.root, folder);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      throw new MissingFolderError(folder);
    }
    return names.flatMap((name) =>
      readdirSync(join(dir, name)).map((version) => ({
        name,
        version,
        path: `${folder}/${name}/${version}`,
      })),
    );
  }
  async files(version: ExportedVersion): Promise<VersionFile[]> {
    const dir = join(this.root, version.path);
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((n) =>
        statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)],
      );
    return walk(dir).map((file) => ({
      path: relative(dir, file),
      data: new Blob([readFileSync(file)]),
    }));
  }
}

let scratch: string;
let workspace: string;
let server: ServerProcess;
let port: number;
const model = () => modelUnderTest;
let modelUnderTest: ServableModel;

const settings = (): ServableSettings => ({
  serverUrl: `http://127.0.0.1:${port}`,
  token: TOKEN,
  modelsFolder: "models",
  pollingInterval: 0.2,
});

const TOKEN = "model-test-token";

const serve = () =>
  startServer(
    [
      `--rest_api_port=${port}`,
      "--model_repository",
      join(scratch, "repository"),
      "--file_system_poll_wait_seconds=1",
    ],
    { env: { SERVABLE_TOKEN: TOKEN, SERVABLE_RUNTIME_DIR: join(scratch, "runtime") } },
  );

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "servable-model-"));
  cpSync(DEMO, join(scratch, "repository"), { recursive: true });
  workspace = join(scratch, "workspace");
  cpSync(join(DEMO, "half_plus_two", "1"), join(workspace, "models", "half_plus_two", "1"), {
    recursive: true,
  });
  // Another model under a number the server does not have, and the served one's files
  // under a number it does not have: the numbers say nothing, the files do.
  await linearVersion(join(workspace, "models", "half_plus_two", "7"), 9);
  cpSync(join(DEMO, "half_plus_two", "1"), join(workspace, "models", "half_plus_two", "8"), {
    recursive: true,
  });
  port = await freePort();
  server = await serve();
  modelUnderTest = new ServableModel({
    exportedModels: new FolderExportedModels(workspace),
    settings: settings(),
  });
});

after(async () => {
  modelUnderTest?.dispose();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test("polling finds the served models and the exported versions not served yet", async () => {
  await waitFor(async () =>
    model().served[0]?.versions[0]?.state === "AVAILABLE" ? true : undefined,
  );
  assert.equal(model().connection.status, "connected");
  const [halfPlusTwo] = model().served;
  assert.equal(halfPlusTwo.name, "half_plus_two");
  assert.deepEqual(
    halfPlusTwo.versions.map((v) => v.version),
    ["1"],
  );
  assert.ok((halfPlusTwo.versions[0].sizeBytes ?? 0) > 0);
  assert.ok(halfPlusTwo.versions[0].availableSince);
  // v1's files are served (as v1 and in folder 8), so only folder 7 is offered for deploying.
  await waitFor(async () => (model().exported.length === 1 ? true : undefined));
  assert.deepEqual(
    model().exported.map((e) => `${e.name}/${e.version}`),
    ["half_plus_two/7"],
  );
});

test("a refresh that finds nothing new emits nothing", async () => {
  await model().refresh();
  let served = 0;
  let exported = 0;
  let connection = 0;
  const onServed = () => served++;
  const onExported = () => exported++;
  const onConnection = () => connection++;
  model().servedChanged.connect(onServed);
  model().exportedChanged.connect(onExported);
  model().connectionChanged.connect(onConnection);
  try {
    await model().refresh();
    await model().refresh();
    assert.deepEqual([served, exported, connection], [0, 0, 0]);
  } finally {
    model().servedChanged.disconnect(onServed);
    model().exportedChanged.disconnect(onExported);
    model().connectionChanged.disconnect(onConnection);
  }
});

test("traffic: requests per second and p50 latency per version, from the metrics", async () => {
  const url = `http://127.0.0.1:${port}/v1/models/half_plus_two/versions/1:predict`;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    await postJson(url, { instances: [1.0, 2.0] });
    const points = model().traffic("half_plus_two", "1");
    const last = points[points.length - 1];
    if (last && last.requestsPerSecond > 0 && last.p50Ms !== null) {
      assert.ok(last.p50Ms > 0 && last.p50Ms < 1000, `p50 ${last.p50Ms} ms`);
      return;
    }
  }
  assert.fail(`no traffic seen: ${JSON.stringify(model().traffic("half_plus_two", "1"))}`);
});

test("the server going away: unreachable with the reason, then recovered on its return", async () => {
  const changes: Connection["status"][] = [];
  const onChange = (_: unknown, c: Connection) => changes.push(c.status);
  model().connectionChanged.connect(onChange);
  try {
    await server.stop();
    const down = await waitFor(async () =>
      model().connection.status === "unreachable" ? model().connection : undefined,
    );
    assert.match(
      (down as { message: string }).message,
      new RegExp(`Cannot reach the serving server at http://127.0.0.1:${port}`),
    );
    // The last listing stays on screen while the server is away.
    assert.equal(model().served[0]?.name, "half_plus_two");

    server = await serve();
    await waitFor(
      async () => (model().connection.status === "connected" ? true : undefined),
      15_000,
    );
    assert.deepEqual(changes, ["unreachable", "connected"]);
  } finally {
    model().connectionChanged.disconnect(onChange);
  }
});

test("a missing models folder is a workspace problem, not a server one", async () => {
  const other = new ServableModel({
    exportedModels: new FolderExportedModels(join(scratch, "nowhere")),
    settings: settings(),
    autoStart: false,
  });
  try {
    await other.refresh();
    assert.equal(other.connection.status, "connected");
    assert.deepEqual(other.exported, []);
    assert.match(other.workspaceProblem, /no folder models\//);
  } finally {
    other.dispose();
  }
});

test("a server that is not there: actions reject with the reason and keep it for the view", async () => {
  const other = new ServableModel({
    exportedModels: null,
    settings: { ...settings(), serverUrl: `http://127.0.0.1:${await freePort()}` },
    autoStart: false,
  });
  try {
    await other.refresh();
    assert.equal(other.connection.status, "unreachable");
    await assert.rejects(other.setLabel("half_plus_two", "stable", "1"), { name: "NetworkError" });
    assert.match(other.action("label:half_plus_two/1")?.error ?? "", /Cannot reach/);
    assert.equal(other.action("label:half_plus_two/1")?.running, false);
  } finally {
    other.dispose();
  }
});

test("pushed: a new version's load is seen as it happens, LOADING then AVAILABLE, with its timing", async () => {
  await waitFor(async () => (model().push === "live" ? true : undefined), 15_000);
  const drawn: string[] = [];
  const onServed = () => {
    const v = model()
      .served.find((m) => m.name === "half_plus_two")
      ?.versions.find((x) => x.version === "5");
    if (v && drawn.at(-1) !== v.state) drawn.push(v.state);
  };
  model().servedChanged.connect(onServed);
  try {
    await installVersion(join(scratch, "repository", "half_plus_two"), 5, (dir) =>
      linearVersion(dir, 5),
    );
    const v5 = await waitFor(async () => {
      const v = model()
        .served.find((m) => m.name === "half_plus_two")
        ?.versions.find((x) => x.version === "5");
      return v?.state === "AVAILABLE" && v.transitions?.length ? v : undefined;
    });
    // Every state the model announced, one signal per pushed change: the poll (0.2 s)
    // would have seen the load, a few milliseconds long, at most by luck.
    assert.deepEqual(
      drawn.filter((s) => s !== "START"),
      ["LOADING", "AVAILABLE"],
    );
    const load = v5.transitions!.find((t) => t.from === "LOADING" && t.to === "AVAILABLE");
    assert.ok(load, JSON.stringify(v5.transitions));
    assert.ok(load.ms >= 0 && load.ms < 30_000, `${load.ms} ms`);
  } finally {
    model().servedChanged.disconnect(onServed);
  }
});

test("Deploy: the server numbers the version; the folder leaves Exported by its files", async () => {
  const folder = await waitFor(async () => model().exported.find((e) => e.version === "7"));
  const before = new Set(model().served[0]!.versions.map((v) => Number(v.version)));
  await model().deploy(folder);
  const deployed = await waitFor(async () =>
    model().served[0]!.versions.find(
      (v) => !before.has(Number(v.version)) && v.state === "AVAILABLE" && v.contentDigest,
    ),
  );
  // The server's next number (the repository holds 1 and 5), not the folder's.
  assert.equal(deployed.version, "6");
  const answer = await postJson(
    `http://127.0.0.1:${port}/v1/models/half_plus_two/versions/6:predict`,
    { instances: [0.0] },
  );
  assert.deepEqual(answer.json, { predictions: [9.0] });
  await waitFor(async () => (model().exported.length === 0 ? true : undefined));
});
