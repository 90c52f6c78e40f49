import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { TestLoader, turns, UnstoppableLoader } from "../testing/test-loaders";
import { badModel, ServingError } from "@servable/protocol";
import { LoaderHarness } from "./loader-harness";

const ID = { name: "m", version: 1 };

function harness(loader: TestLoader, maxNumLoadRetries = 0, loadRetryIntervalMs = 1) {
  const states: string[] = [];
  const h = new LoaderHarness(ID, loader, { maxNumLoadRetries, loadRetryIntervalMs }, (x) =>
    states.push(x.state),
  );
  return { h, states };
}

/** Runs `body` with Date and setTimeout mocked (node:test's mock timers). */
async function withMockedClock(body: () => Promise<void>): Promise<void> {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
  try {
    await body();
  } finally {
    mock.timers.reset();
  }
}

test("a load walks new -> loading -> ready, and the servable is there only while ready", async () => {
  const { h, states } = harness(new TestLoader({ value: 4 }));
  assert.equal(h.state, "new");
  assert.equal(h.servable, undefined);
  await h.load();
  assert.deepEqual(states, ["loading", "ready"]);
  assert.ok(h.servable);
  await h.unload();
  assert.deepEqual(states, ["loading", "ready", "quiescing", "unloading", "disabled"]);
  assert.equal(h.servable, undefined);
  assert.equal(h.acquire(), undefined, "nothing to acquire once unloaded");
});

test("a corrupt version fails at once; a transient failure waits for its retry, then loads", () => {
  return withMockedClock(async () => {
    const corrupt = new TestLoader({ outcomes: [badModel("bad weights")] });
    const a = harness(corrupt, 3);
    await a.h.load();
    assert.equal(a.h.state, "error");
    assert.equal(a.h.error?.message, "bad weights");
    assert.equal(corrupt.loadCalls, 1);

    const flaky = new TestLoader({ outcomes: [new ServingError("UNAVAILABLE", "later"), "ok"] });
    const b = harness(flaky, 3, 60_000);
    await b.h.load();
    assert.equal(b.h.state, "retrying", "one attempt per load(): the wait is the manager's");
    assert.equal(b.h.retryAt, Date.now() + 60_000);
    assert.equal(b.h.error?.message, "later");
    await b.h.load();
    assert.equal(b.h.state, "ready");
    assert.equal(flaky.loadCalls, 2);
  });
});

test("only UNAVAILABLE is retried: other codes and exceptions end the version at once", async () => {
  for (const thrown of [
    new TypeError("manifest.flatMap is not a function"),
    new ServingError("INTERNAL", "retryable by default, but not a transient failure"),
    new ServingError("UNAVAILABLE", "marked permanent", false),
  ]) {
    const loader = new TestLoader({ outcomes: [thrown, "ok"] });
    const { h } = harness(loader, 5);
    await h.load();
    assert.equal(h.state, "error", thrown.message);
    assert.equal(loader.loadCalls, 1);
  }
});

test("cancel() while a load runs: the load is aborted and the version ends CANCELLED", async () => {
  const loader = new TestLoader({ manual: true });
  const { h, states } = harness(loader);
  const loading = h.load();
  await loader.loadStarted.promise;
  h.cancel();
  await loading;
  assert.equal(loader.aborted, true, "the loader saw its signal abort");
  assert.equal(h.state, "error");
  assert.equal(h.error?.code, "CANCELLED");
  assert.deepEqual(states, ["loading", "error"]);
});

test("a cancelled load that completes anyway is unloaded at once and never ready", async () => {
  const loader = new UnstoppableLoader();
  const { h, states } = harness(loader);
  const loading = h.load();
  await loader.loadStarted.promise;
  h.cancel();
  loader.finishLoad();
  await loading;
  assert.deepEqual(states, ["loading", "unloading", "error"]);
  assert.equal(h.error?.message, "Version is no longer aspired");
  assert.equal(loader.loaded, false);
  assert.equal(loader.unloadCalls, 1);
  assert.equal(h.acquire(), undefined);
});

test("an error that is not a ServingError becomes UNKNOWN with its message", async () => {
  const loader = new TestLoader();
  loader.load = async () => {
    throw new TypeError("boom");
  };
  const { h } = harness(loader);
  await h.load();
  assert.equal(h.state, "error");
  assert.equal(h.error?.code, "UNKNOWN");
  assert.equal(h.error?.message, "boom");
});

test("unload waits for every acquired reference to be released", async () => {
  const loader = new TestLoader();
  const { h, states } = harness(loader);
  await h.load();
  assert.ok(h.acquire());
  assert.ok(h.acquire());
  const unloaded = h.unload();
  await turns();
  assert.equal(h.state, "quiescing");
  assert.equal(h.acquire(), undefined, "no new requests while quiescing");
  h.release();
  await turns();
  assert.equal(loader.unloadCalls, 0);
  h.release();
  await unloaded;
  assert.equal(loader.unloadCalls, 1);
  assert.equal(states.at(-1), "disabled");
});
