import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, mock, test } from "node:test";
import pino from "pino";
import { ServingError } from "@servable/protocol";
import type { ModelConfig } from "../config/model-server-config";
import { MemoryLabelState } from "../repository/label-state";
import { MemoryRolloutState } from "../repository/rollout-state";
import { ServerCore, type ModelSpec, type PinnedVersionState } from "./server-core";
import { testAdapter, VALUE_FILE } from "../testing/test-adapter";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "servable-core-"));
});
after(() => rm(root, { recursive: true, force: true }));

async function writeVersion(model: string, version: number, value: string): Promise<void> {
  const dir = join(root, model, String(version));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, VALUE_FILE), value);
}

function core(
  configs: ModelConfig[],
  labelState = new MemoryLabelState(),
  manager = { maxNumLoadRetries: 0, loadRetryIntervalMs: 1 },
  pinnedState?: PinnedVersionState,
): ServerCore {
  const logger = pino({ level: "silent" });
  return new ServerCore({
    configProvider: {
      describe: "model config test.config",
      pollWaitSeconds: 0,
      read: async () => configs,
    },
    labelState,
    pinnedState,
    fileSystemPollWaitSeconds: 0,
    manager,
    adapter: testAdapter,
    allowVersionLabelsForUnavailableModels: false,
    logger,
  });
}

const config = (name: string, extra: Partial<ModelConfig> = {}): ModelConfig => ({
  name,
  basePath: join(root, name),
  modelPlatform: "tensorflow",
  versionPolicy: { kind: "latest", numVersions: 1 },
  versionLabels: {},
  ...extra,
});

async function answer(server: ServerCore, spec: ModelSpec): Promise<number> {
  const handle = server.getServableHandle(spec);
  try {
    const out = await handle.servable.run("serving_default", {
      x: { dtype: "DT_FLOAT", shape: [1], data: Float32Array.of(0) },
    });
    return (out.y!.data as Float32Array)[0]!;
  } finally {
    handle.release();
  }
}

/** Starts `server`, waits until it is ready, runs `body`, and stops the server whatever happens. */
async function whileRunning(server: ServerCore, body: () => Promise<void>): Promise<void> {
  await server.start();
  await server.whenReady();
  try {
    await body();
  } finally {
    await server.stop();
  }
}

const servingError = (code: string, message: string) => (e: unknown) =>
  e instanceof ServingError && e.code === code && e.message === message;

test("config labels resolve to versions; unknown labels are TF Serving's error", async () => {
  await writeVersion("labelled", 1, "10");
  await writeVersion("labelled", 2, "20");
  const server = core([
    config("labelled", { versionPolicy: { kind: "all" }, versionLabels: { stable: 1, canary: 2 } }),
  ]);
  await whileRunning(server, async () => {
    assert.equal(await answer(server, { name: "labelled", label: "stable" }), 10);
    assert.equal(await answer(server, { name: "labelled", label: "canary" }), 20);
    assert.equal(await answer(server, { name: "labelled" }), 20);
    assert.throws(
      () => server.getServableHandle({ name: "labelled", label: "beta" }),
      servingError("INVALID_ARGUMENT", "Unrecognized servable version label: beta"),
    );
    assert.deepEqual({ ...server.labelsOf("labelled") }, { stable: 1, canary: 2 });
    assert.equal(server.isReady(), true);
  });
});

test("a config label waits for its version to become AVAILABLE", async () => {
  await writeVersion("waiting", 1, "1");
  const server = core([
    config("waiting", { versionPolicy: { kind: "all" }, versionLabels: { next: 2 } }),
  ]);
  await whileRunning(server, async () => {
    assert.throws(
      () => server.getServableHandle({ name: "waiting", label: "next" }),
      servingError("INVALID_ARGUMENT", "Unrecognized servable version label: next"),
    );
    await writeVersion("waiting", 2, "2");
    await server.pollNow();
    assert.equal(await answer(server, { name: "waiting", label: "next" }), 2);
  });
});

test("the API may point a label only at an AVAILABLE version, and not at a config label", async () => {
  await writeVersion("strict", 1, "1");
  const server = core([config("strict", { versionLabels: { fixed: 1 } })]);
  await whileRunning(server, async () => {
    server.checkLabelTarget("strict", "stable", 1);
    assert.throws(
      () => server.checkLabelTarget("strict", "stable", 7),
      servingError(
        "FAILED_PRECONDITION",
        "Request to assign label to version 7 of model strict, which is not currently available for inference",
      ),
    );
    assert.throws(
      () => server.checkLabelTarget("nope", "stable", 1),
      servingError("NOT_FOUND", "Could not find any versions of model nope"),
    );
    assert.throws(
      () => server.checkLabelTarget("strict", "fixed", 1),
      servingError(
        "FAILED_PRECONDITION",
        "Label fixed of model strict is set by the model config test.config (its version_labels): change it there. The management API changes the other labels.",
      ),
    );
    assert.equal(server.labelOwner("strict", "fixed"), "config");
    assert.equal(server.labelOwner("strict", "stable"), undefined);
  });
});

test("labels of the label state resolve, keep their versions served, and follow the state", async () => {
  for (const v of [1, 2, 3]) await writeVersion("followed", v, String(v * 10));
  const state = new MemoryLabelState();
  await state.set("followed", "stable", 1);
  const server = core([config("followed")], state);
  await whileRunning(server, async () => {
    // Version 1 is served for its label though the policy wants only the latest.
    assert.equal(await answer(server, { name: "followed", label: "stable" }), 10);
    assert.equal(await answer(server, { name: "followed" }), 30);
    assert.deepEqual({ ...server.labelsOf("followed") }, { stable: 1 });
    assert.equal(server.labelOwner("followed", "stable"), "state");

    // Moved to a version not loaded here: the label answers from version 1 until 2 is AVAILABLE.
    await state.set("followed", "stable", 2);
    await server.refreshLabels();
    assert.equal(server.labelsOf("followed").stable, 1);
    await server.pollNow();
    assert.equal(await answer(server, { name: "followed", label: "stable" }), 20);
    assert.deepEqual(
      server.modelStatus("followed").map((s) => `${s.id.version} ${s.state}`),
      ["3 AVAILABLE", "2 AVAILABLE", "1 END"],
      "version 1 unloads once its label has moved",
    );

    await state.delete("followed", "stable");
    await server.pollNow();
    assert.throws(
      () => server.getServableHandle({ name: "followed", label: "stable" }),
      servingError("INVALID_ARGUMENT", "Unrecognized servable version label: stable"),
    );
    assert.equal(server.modelStatus("followed", 2)[0]!.state, "END");
  });
});

test("versions the pinned state names (a rollout's candidate) stay served, read before each poll", async () => {
  for (const v of [1, 2, 3]) await writeVersion("pinned", v, String(v * 10));
  const rollouts = new MemoryRolloutState();
  const record = {
    share: 0,
    shadow: 0,
    state: "rolled_back" as const,
    reason: "",
    started_at: "",
    updated_at: "",
    updated_by: "",
  };
  await rollouts.write("pinned", { ...record, candidate: 2 });
  const server = core([config("pinned")], new MemoryLabelState(), undefined, rollouts);
  await whileRunning(server, async () => {
    await server.pollNow();
    assert.equal(await answer(server, { name: "pinned", version: 2 }), 20);
    assert.equal(await answer(server, { name: "pinned" }), 30);
    assert.throws(() => server.modelStatus("pinned", 1), { code: "NOT_FOUND" }, "never loaded");

    await rollouts.remove("pinned");
    await server.pollNow();
    assert.equal(server.modelStatus("pinned", 2)[0]!.state, "END", "no longer named: unloaded");
  });
});

test("a label named like Object.prototype's keys is kept as data", async () => {
  await writeVersion("protos", 1, "5");
  const state = new MemoryLabelState();
  await state.set("protos", "__proto__", 1);
  await state.set("protos", "constructor", 1);
  const server = core([config("protos")], state);
  await whileRunning(server, async () => {
    assert.equal(await answer(server, { name: "protos", label: "__proto__" }), 5);
    assert.equal(await answer(server, { name: "protos", label: "constructor" }), 5);
    const labels = server.labelsOf("protos");
    assert.deepEqual(Object.keys(labels).sort(), ["__proto__", "constructor"]);
    assert.throws(
      () => server.getServableHandle({ name: "protos", label: "toString" }),
      servingError("INVALID_ARGUMENT", "Unrecognized servable version label: toString"),
    );
  });
});

test("model status: every version seen, failed ones with their error; TF Serving's 404 texts", async () => {
  await writeVersion("history", 1, "1");
  const server = core([config("history")]);
  await whileRunning(server, async () => {
    await writeVersion("history", 2, "not a number");
    await server.pollNow();
    const states = server.modelStatus("history").map((s) => [s.id.version, s.state, s.error?.code]);
    assert.deepEqual(states, [
      [2, "END", "INVALID_ARGUMENT"],
      [1, "AVAILABLE", undefined],
    ]);
    assert.equal(await answer(server, { name: "history" }), 1, "the previous version serves");
    await writeVersion("history", 3, "3");
    await server.pollNow();
    assert.equal(await answer(server, { name: "history" }), 3);
    assert.deepEqual(
      server.modelStatus("history").map((s) => `${s.id.version} ${s.state}`),
      ["3 AVAILABLE", "2 END", "1 END"],
    );
    assert.throws(
      () => server.modelStatus("unknown"),
      servingError("NOT_FOUND", "Could not find any versions of model unknown"),
    );
    assert.throws(
      () => server.modelStatus("history", 9),
      servingError("NOT_FOUND", "Could not find version 9 of model history"),
    );
  });
});

test("a model left out of a new config is unloaded; a model added is loaded", async () => {
  await writeVersion("first", 1, "1");
  await writeVersion("second", 1, "2");
  // The config provider reads this list each time: changing it is editing the config file.
  const configs = [config("first")];
  const server = core(configs);
  await whileRunning(server, async () => {
    configs.splice(0, 1, config("second"));
    await server.reloadConfig();
    await server.pollNow();
    assert.equal(await answer(server, { name: "second" }), 2);
    assert.throws(
      () => server.getServableHandle({ name: "first" }),
      servingError("NOT_FOUND", "Servable not found for request: Latest(first)"),
    );
    assert.equal(server.modelStatus("first")[0]!.state, "END");
  });
});

test("ready once every version found at start is AVAILABLE or END; a retry holds readiness", async () => {
  await writeVersion("fine", 1, "1");
  await writeVersion("broken", 1, "not a number");
  await writeVersion("busy", 1, "unavailable");
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const server = core([config("fine"), config("broken"), config("busy")], undefined, {
    maxNumLoadRetries: 1,
    loadRetryIntervalMs: 60_000,
  });
  try {
    assert.equal(server.isReady(), false, "not before the start");
    await server.start();
    await server.pollNow();
    assert.equal(server.modelStatus("fine")[0]!.state, "AVAILABLE");
    assert.equal(server.modelStatus("broken")[0]!.state, "END", "a bad file ends at once");
    assert.equal(server.modelStatus("busy")[0]!.state, "LOADING", "waiting for its retry");
    assert.equal(server.isReady(), false, "a version still loading holds readiness");
    mock.timers.tick(60_000);
    await server.whenReady();
    assert.equal(server.modelStatus("busy")[0]!.state, "END");
    assert.equal(server.modelStatus("busy")[0]!.error?.code, "UNAVAILABLE");
    assert.equal(server.isReady(), true);
  } finally {
    mock.timers.reset();
    await server.stop();
  }
});
