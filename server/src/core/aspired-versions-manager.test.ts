import assert from "node:assert/strict";
import { describe, mock, test } from "node:test";
import { Deferred, TestLoader, turns, UnstoppableLoader } from "../testing/test-loaders";
import { AspiredVersionsManager, type ManagerOptions } from "./aspired-versions-manager";
import { badModel, ServingError } from "@servable/protocol";
import { ResourcePreservingPolicy } from "./resource-preserving-policy";
import type { ServableState } from "./servable-state";

const NO_RETRIES = { maxNumLoadRetries: 0, loadRetryIntervalMs: 1 };

/** A manager and the "name:version STATE" lines it published, in order. */
function managerWithLog(options: Partial<ManagerOptions> = {}) {
  const manager = new AspiredVersionsManager({ ...NO_RETRIES, ...options });
  const events: string[] = [];
  const states: ServableState[] = [];
  manager.subscribe((s) => {
    states.push(s);
    events.push(`${s.id.name}:${s.id.version} ${s.state}`);
  });
  return { manager, events, states };
}

/**
 * Runs `body` with a manager that retries a failed load 5 times, 60 s apart, on a mocked
 * clock: only the test moves time (mock.timers.tick), so a wait the test did not expect
 * never ends and the test times out rather than passing slowly.
 */
async function withRetriesOnMockedClock(
  body: (log: ReturnType<typeof managerWithLog>) => Promise<void>,
): Promise<void> {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  try {
    await body(managerWithLog({ maxNumLoadRetries: 5, loadRetryIntervalMs: 60_000 }));
  } finally {
    mock.timers.reset();
  }
}

/** The value the latest (or a given) version of a model answers with. */
async function answer(manager: AspiredVersionsManager, name: string, version?: number) {
  const handle = manager.getServableHandle({ name, version });
  try {
    const out = await handle.servable.run("serving_default", {
      x: { dtype: "DT_FLOAT", shape: [1], data: Float32Array.of(0) },
    });
    return (out.y!.data as Float32Array)[0];
  } finally {
    handle.release();
  }
}

describe("AspiredVersionsManager", () => {
  test("loads an aspired version: START, LOADING, AVAILABLE, then serves it", async () => {
    const { manager, events } = managerWithLog();
    const loader = new TestLoader({ value: 7 });
    manager.setAspiredVersions("m", [{ version: 1, loader }]);
    await manager.whenIdle();
    assert.deepEqual(events, ["m:1 START", "m:1 LOADING", "m:1 AVAILABLE"]);
    assert.equal(await answer(manager, "m"), 7);
    assert.equal(await answer(manager, "m", 1), 7);
    assert.deepEqual(manager.availableVersions("m"), [1]);
  });

  test("a request for what is not available is NOT_FOUND with TF Serving's text", async () => {
    const { manager } = managerWithLog();
    manager.setAspiredVersions("m", [{ version: 1, loader: new TestLoader() }]);
    await manager.whenIdle();
    const notFound = (text: string) => (e: unknown) =>
      e instanceof ServingError && e.code === "NOT_FOUND" && e.message === text;
    assert.throws(
      () => manager.getServableHandle({ name: "other" }),
      notFound("Servable not found for request: Latest(other)"),
    );
    assert.throws(
      () => manager.getServableHandle({ name: "m", version: 3 }),
      notFound("Servable not found for request: Specific(m, 3)"),
    );
  });

  test("a swap keeps the old version serving until the new one is AVAILABLE", async () => {
    const { manager, events } = managerWithLog();
    const v1 = new TestLoader({ value: 1 });
    manager.setAspiredVersions("m", [{ version: 1, loader: v1 }]);
    await manager.whenIdle();
    events.length = 0;

    const v2 = new TestLoader({ value: 2, manual: true });
    const started = v2.loadStarted.promise;
    manager.setAspiredVersions("m", [{ version: 2, loader: v2 }]);
    await started;
    // Version 2 is loading: requests still get version 1.
    assert.equal(await answer(manager, "m"), 1);
    assert.equal(v1.unloadCalls, 0);
    v2.finishLoad();
    await manager.whenIdle();
    assert.deepEqual(events, [
      "m:2 START",
      "m:2 LOADING",
      "m:2 AVAILABLE",
      "m:1 UNLOADING",
      "m:1 END",
    ]);
    assert.equal(await answer(manager, "m"), 2);
    assert.equal(v1.unloadCalls, 1);
    assert.equal(v1.loaded, false);
  });

  test("a version a request holds unloads only once the request releases it", async () => {
    const { manager, events } = managerWithLog();
    const v1 = new TestLoader({ value: 1 });
    manager.setAspiredVersions("m", [{ version: 1, loader: v1 }]);
    await manager.whenIdle();
    const held = manager.getServableHandle({ name: "m" });

    manager.setAspiredVersions("m", [{ version: 2, loader: new TestLoader({ value: 2 }) }]);
    const unloading = new Deferred();
    manager.subscribe((s) => s.id.version === 1 && s.state === "UNLOADING" && unloading.resolve());
    await unloading.promise;
    await turns();
    assert.equal(v1.unloadCalls, 0, "unload waits for the held handle");
    assert.equal(events.at(-1), "m:1 UNLOADING");
    // New requests go to version 2 already.
    assert.equal(await answer(manager, "m"), 2);
    held.release();
    held.release(); // a second release does nothing
    await manager.whenIdle();
    assert.equal(v1.unloadCalls, 1);
    assert.equal(events.at(-1), "m:1 END");
  });

  test("a version that fails to load ends with its error; the previous one keeps serving", async () => {
    const { manager, states } = managerWithLog();
    manager.setAspiredVersions("m", [{ version: 1, loader: new TestLoader({ value: 1 }) }]);
    await manager.whenIdle();
    const bad = new TestLoader({ outcomes: [badModel("model.json is not JSON")] });
    manager.setAspiredVersions("m", [{ version: 2, loader: bad }]);
    await manager.whenIdle();
    const last = states.at(-1)!;
    assert.equal(last.id.version, 2);
    assert.equal(last.state, "END");
    assert.equal(last.error?.code, "INVALID_ARGUMENT");
    assert.equal(last.error?.message, "model.json is not JSON");
    assert.equal(bad.loadCalls, 1, "a load that cannot pass is not retried");
    assert.equal(await answer(manager, "m"), 1);
    assert.deepEqual(manager.availableVersions("m"), [1]);

    // A good version after the bad one replaces the old one as usual.
    manager.setAspiredVersions("m", [{ version: 3, loader: new TestLoader({ value: 3 }) }]);
    await manager.whenIdle();
    assert.equal(await answer(manager, "m"), 3);
    assert.deepEqual(manager.availableVersions("m"), [3]);
  });

  test("retries a load that may pass, up to --max_num_load_retries", async () => {
    const flaky = new ServingError("UNAVAILABLE", "disk busy");
    const { manager } = managerWithLog({ maxNumLoadRetries: 2, loadRetryIntervalMs: 1 });
    const passesThirdTime = new TestLoader({ value: 5, outcomes: [flaky, flaky, "ok"] });
    manager.setAspiredVersions("a", [{ version: 1, loader: passesThirdTime }]);
    await manager.whenIdle();
    assert.equal(passesThirdTime.loadCalls, 3);
    assert.equal(await answer(manager, "a"), 5);

    const { manager: other, states } = managerWithLog({
      maxNumLoadRetries: 2,
      loadRetryIntervalMs: 1,
    });
    const neverPasses = new TestLoader({ outcomes: [flaky] });
    other.setAspiredVersions("b", [{ version: 1, loader: neverPasses }]);
    await other.whenIdle();
    assert.equal(neverPasses.loadCalls, 3, "the first attempt and two retries");
    assert.equal(states.at(-1)!.state, "END");
    assert.equal(states.at(-1)!.error?.message, "disk busy");
  });

  test("a version dropped while it waits to retry stops retrying", () =>
    withRetriesOnMockedClock(async ({ manager, states }) => {
      const loader = new TestLoader({ outcomes: [new ServingError("UNAVAILABLE", "not yet")] });
      manager.setAspiredVersions("m", [{ version: 1, loader }]);
      await turns();
      assert.equal(manager.managedStates("m")[0]!.state, "LOADING", "waiting for its retry");
      manager.setAspiredVersions("m", []);
      await manager.whenIdle();
      assert.equal(loader.loadCalls, 1, "no second attempt, no 60 s wait");
      assert.equal(states.at(-1)!.state, "END");
      assert.equal(states.at(-1)!.error?.message, "not yet");
    }));

  test("an empty aspired list unloads every version; stop() unloads every model", async () => {
    const { manager } = managerWithLog();
    const a = new TestLoader();
    const b1 = new TestLoader();
    const b2 = new TestLoader();
    manager.setAspiredVersions("a", [{ version: 1, loader: a }]);
    manager.setAspiredVersions("b", [
      { version: 1, loader: b1 },
      { version: 2, loader: b2 },
    ]);
    await manager.whenIdle();
    assert.deepEqual(manager.availableVersions("b"), [2, 1]);
    manager.setAspiredVersions("a", []);
    await manager.whenIdle();
    assert.equal(a.loaded, false);
    assert.deepEqual(manager.availableVersions("a"), []);
    assert.deepEqual(manager.managedStates("a"), [], "forgotten once unloaded");
    await manager.stop();
    assert.equal(b1.loaded || b2.loaded, false);
  });

  test("loads one version at a time by default, across models", async () => {
    const { manager } = managerWithLog();
    const a = new TestLoader({ manual: true });
    const b = new TestLoader({ manual: true });
    const aStarted = a.loadStarted.promise;
    manager.setAspiredVersions("a", [{ version: 1, loader: a }]);
    manager.setAspiredVersions("b", [{ version: 1, loader: b }]);
    await aStarted;
    await turns();
    assert.equal(b.loadCalls, 0, "b waits for a's load");
    const bStarted = b.loadStarted.promise;
    a.finishLoad();
    await bStarted;
    b.finishLoad();
    await manager.whenIdle();
    assert.deepEqual([a.loaded, b.loaded], [true, true]);
  });

  test("with numLoadThreads 2, two models load side by side", async () => {
    const { manager } = managerWithLog({ numLoadThreads: 2 });
    const a = new TestLoader({ manual: true });
    const b = new TestLoader({ manual: true });
    const both = Promise.all([a.loadStarted.promise, b.loadStarted.promise]);
    manager.setAspiredVersions("a", [{ version: 1, loader: a }]);
    manager.setAspiredVersions("b", [{ version: 1, loader: b }]);
    await both;
    a.finishLoad();
    b.finishLoad();
    await manager.whenIdle();
    assert.deepEqual([a.loaded, b.loaded], [true, true]);
  });

  test("refuses a load whose estimate does not fit the memory limit", async () => {
    const { manager, states } = managerWithLog({ totalModelMemoryLimitBytes: 100 });
    manager.setAspiredVersions("small", [{ version: 1, loader: new TestLoader({ ramBytes: 60 }) }]);
    await manager.whenIdle();
    const big = new TestLoader({ ramBytes: 50 });
    manager.setAspiredVersions("big", [{ version: 1, loader: big }]);
    await manager.whenIdle();
    assert.equal(big.loadCalls, 0);
    const refused = states.at(-1)!;
    assert.equal(refused.state, "END");
    assert.equal(refused.error?.code, "RESOURCE_EXHAUSTED");
    assert.match(refused.error!.message, /needs 50 bytes, 40 of 100 bytes are free/);
  });

  test("with the resource-preserving policy the old version unloads before the new loads", async () => {
    const { manager, events } = managerWithLog({ policy: new ResourcePreservingPolicy() });
    manager.setAspiredVersions("m", [{ version: 1, loader: new TestLoader({ value: 1 }) }]);
    await manager.whenIdle();
    events.length = 0;
    manager.setAspiredVersions("m", [{ version: 2, loader: new TestLoader({ value: 2 }) }]);
    await manager.whenIdle();
    assert.ok(
      events.indexOf("m:1 END") < events.indexOf("m:2 LOADING"),
      `unload first: ${events.join(", ")}`,
    );
    assert.equal(await answer(manager, "m"), 2);
  });

  test("a version aspired again while it unloads loads again afterwards", async () => {
    const { manager } = managerWithLog();
    const first = new TestLoader({ value: 1 });
    manager.setAspiredVersions("m", [{ version: 1, loader: first }]);
    await manager.whenIdle();
    const held = manager.getServableHandle({ name: "m" });
    manager.setAspiredVersions("m", []);
    await turns();
    const second = new TestLoader({ value: 11 });
    manager.setAspiredVersions("m", [{ version: 1, loader: second }]);
    held.release();
    await manager.whenIdle();
    assert.equal(first.unloadCalls, 1);
    assert.equal(second.loadCalls, 1);
    assert.equal(await answer(manager, "m"), 11);
  });

  test("latest{2}: two versions serve, the latest answers unversioned requests", async () => {
    const { manager } = managerWithLog();
    manager.setAspiredVersions("m", [
      { version: 3, loader: new TestLoader({ value: 3 }) },
      { version: 2, loader: new TestLoader({ value: 2 }) },
    ]);
    await manager.whenIdle();
    assert.equal(await answer(manager, "m"), 3);
    assert.equal(await answer(manager, "m", 2), 2);
    // Version 2 stays loaded (untouched) when the list keeps it.
    manager.setAspiredVersions("m", [
      { version: 4, loader: new TestLoader({ value: 4 }) },
      { version: 3, loader: new TestLoader({ value: 33 }) },
    ]);
    await manager.whenIdle();
    assert.deepEqual(manager.availableVersions("m"), [4, 3]);
    assert.equal(await answer(manager, "m", 3), 3, "a loaded aspired version is never reloaded");
  });

  describe("a load that fails never holds the others (issue 12, finding 3)", () => {
    test(
      "an exception no loader expected (a malformed file's TypeError) ends the version at once",
      {
        timeout: 10_000,
      },
      // Were the TypeError retried, the version would stay LOADING, whenIdle() would not
      // resolve, and the test would time out.
      () =>
        withRetriesOnMockedClock(async ({ manager, states }) => {
          const malformed = new TestLoader({
            outcomes: [new TypeError("manifest.flatMap is not a function")],
          });
          manager.setAspiredVersions("bad", [{ version: 1, loader: malformed }]);
          await manager.whenIdle();
          assert.equal(malformed.loadCalls, 1);
          assert.equal(states.at(-1)!.state, "END");
          assert.match(states.at(-1)!.error!.message, /manifest\.flatMap is not a function/);
        }),
    );

    test(
      "a version waiting for its retry holds no load slot: a model added meanwhile loads",
      {
        timeout: 10_000,
      },
      () =>
        withRetriesOnMockedClock(async ({ manager, events }) => {
          const flaky = new TestLoader({
            value: 1,
            outcomes: [new ServingError("UNAVAILABLE", "disk busy"), "ok"],
          });
          manager.setAspiredVersions("flaky", [{ version: 1, loader: flaky }]);
          await turns();
          const healthy = new TestLoader({ value: 2 });
          const available = new Deferred();
          manager.subscribe(
            (s) => s.id.name === "healthy" && s.state === "AVAILABLE" && available.resolve(),
          );
          manager.setAspiredVersions("healthy", [{ version: 1, loader: healthy }]);
          // No clock moves: the healthy model must not wait for the flaky one's 60 s.
          await available.promise;
          assert.equal(await answer(manager, "healthy"), 2);
          assert.equal(flaky.loadCalls, 1);
          assert.equal(manager.managedStates("flaky")[0]!.state, "LOADING");
          // What follows an upload or a delete waits for settling, not for this retry.
          await manager.whenSettled();

          mock.timers.tick(60_000);
          await manager.whenIdle();
          assert.equal(flaky.loadCalls, 2, "retried once its interval passed");
          assert.equal(await answer(manager, "flaky"), 1);
          assert.deepEqual(
            events.filter((e) => e.startsWith("flaky")),
            ["flaky:1 START", "flaky:1 LOADING", "flaky:1 AVAILABLE"],
          );
        }),
    );
  });

  describe("a version left out while it loads never serves (issue 12, finding 4)", () => {
    test("left out during its resource estimate: it never loads, and ends CANCELLED", async () => {
      const { manager, events, states } = managerWithLog();
      const v1 = new TestLoader({ value: 1, manualEstimate: true });
      manager.setAspiredVersions("m", [{ version: 1, loader: v1 }]);
      await turns();
      // A second upload wins while version 1 is being measured.
      manager.setAspiredVersions("m", [{ version: 2, loader: new TestLoader({ value: 2 }) }]);
      await turns();
      v1.finishEstimate();
      await manager.whenIdle();
      assert.equal(v1.loadCalls, 0);
      assert.equal(v1.loaded, false);
      assert.ok(!events.includes("m:1 AVAILABLE"), events.join(", "));
      const last1 = states.filter((s) => s.id.version === 1).at(-1)!;
      assert.equal(last1.state, "END");
      assert.equal(last1.error?.code, "CANCELLED");
      assert.deepEqual(manager.availableVersions("m"), [2]);
      assert.deepEqual(
        manager.managedStates("m").map((s) => `${s.id.version} ${s.state}`),
        ["2 AVAILABLE"],
        "nothing left behind",
      );
    });

    test("left out while it loads: its load is aborted (a worker thread is freed)", async () => {
      const { manager, events } = managerWithLog();
      const v1 = new TestLoader({ value: 1, manual: true });
      manager.setAspiredVersions("m", [{ version: 1, loader: v1 }]);
      await v1.loadStarted.promise;
      manager.setAspiredVersions("m", [{ version: 2, loader: new TestLoader({ value: 2 }) }]);
      await manager.whenIdle();
      assert.equal(v1.aborted, true);
      assert.equal(v1.loaded, false);
      assert.ok(!events.includes("m:1 AVAILABLE"), events.join(", "));
      assert.equal(await answer(manager, "m"), 2);
    });

    test("a load that cannot stop is unloaded as soon as it ends, without ever serving", async () => {
      const { manager, events } = managerWithLog();
      const v1 = new UnstoppableLoader({ value: 1 });
      manager.setAspiredVersions("m", [{ version: 1, loader: v1 }]);
      await v1.loadStarted.promise;
      manager.setAspiredVersions("m", [{ version: 2, loader: new TestLoader({ value: 2 }) }]);
      await turns();
      v1.finishLoad();
      await manager.whenIdle();
      assert.equal(v1.loaded, false);
      assert.equal(v1.unloadCalls, 1);
      assert.deepEqual(
        events.filter((e) => e.startsWith("m:1")),
        ["m:1 START", "m:1 LOADING", "m:1 UNLOADING", "m:1 END"],
      );
      assert.deepEqual(manager.availableVersions("m"), [2]);
    });

    test("left out and aspired again while its load winds down: it loads again afterwards", async () => {
      const { manager } = managerWithLog();
      const first = new UnstoppableLoader({ value: 1 });
      manager.setAspiredVersions("m", [{ version: 1, loader: first }]);
      await first.loadStarted.promise;
      manager.setAspiredVersions("m", []);
      await turns();
      const second = new TestLoader({ value: 11 });
      manager.setAspiredVersions("m", [{ version: 1, loader: second }]);
      first.finishLoad();
      await manager.whenIdle();
      assert.equal(first.loaded, false);
      assert.equal(second.loadCalls, 1);
      assert.equal(await answer(manager, "m"), 11);
      assert.deepEqual(manager.availableVersions("m"), [1]);
    });
  });
});
