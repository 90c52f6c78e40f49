import assert from "node:assert/strict";
import { test } from "node:test";
import { TestLoader } from "../testing/test-loaders";
import { AspiredVersionsManager } from "./aspired-versions-manager";
import { badModel } from "@servable/protocol";
import { ServableStateMonitor } from "./servable-state-monitor";

test("the monitor remembers every version, highest first, failed ones with their error", async () => {
  const manager = new AspiredVersionsManager({ maxNumLoadRetries: 0, loadRetryIntervalMs: 1 });
  const monitor = new ServableStateMonitor(manager);
  manager.setAspiredVersions("m", [{ version: 1, loader: new TestLoader() }]);
  await manager.whenIdle();
  manager.setAspiredVersions("m", [{ version: 2, loader: new TestLoader() }]);
  await manager.whenIdle();
  manager.setAspiredVersions("m", [
    { version: 3, loader: new TestLoader({ outcomes: [badModel("corrupt")] }) },
  ]);
  await manager.whenIdle();

  const states = monitor.versionStates("m").map((s) => [s.id.version, s.state, s.error?.message]);
  assert.deepEqual(states, [
    [3, "END", "corrupt"],
    [2, "AVAILABLE", undefined],
    [1, "END", undefined],
  ]);
  // The manager forgets version 1; the failed, still aspired version 3 stays managed.
  assert.deepEqual(
    manager
      .managedStates("m")
      .map((s) => s.id.version)
      .sort(),
    [2, 3],
  );
  assert.ok(monitor.availableSince("m", 2)! <= Date.now());
  assert.equal(monitor.availableSince("m", 3), undefined);
  assert.deepEqual(monitor.modelNames(), ["m"]);
  monitor.forget("m", 1);
  assert.deepEqual(
    monitor.versionStates("m").map((s) => s.id.version),
    [3, 2],
  );
  monitor.close();
  await manager.stop();
});
