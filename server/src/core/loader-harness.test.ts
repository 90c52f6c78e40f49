import assert from "node:assert/strict";
import { test } from "node:test";
import { TestLoader } from "../testing/test-loaders";
import { badModel, ServingError } from "@servable/protocol";
import { LoaderHarness } from "./loader-harness";

const ID = { name: "m", version: 1 };

function harness(loader: TestLoader, maxNumLoadRetries = 0) {
  const states: string[] = [];
  const h = new LoaderHarness(ID, loader, { maxNumLoadRetries, loadRetryIntervalMs: 1 }, (x) =>
    states.push(x.state),
  );
  return { h, states };
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

test("a corrupt version fails at once; a retryable failure is tried again", async () => {
  const corrupt = new TestLoader({ outcomes: [badModel("bad weights")] });
  const a = harness(corrupt, 3);
  await a.h.load();
  assert.equal(a.h.state, "error");
  assert.equal(a.h.error?.message, "bad weights");
  assert.equal(corrupt.loadCalls, 1);

  const flaky = new TestLoader({ outcomes: [new ServingError("UNAVAILABLE", "later"), "ok"] });
  const b = harness(flaky, 3);
  await b.h.load();
  assert.equal(b.h.state, "ready");
  assert.equal(flaky.loadCalls, 2);
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
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(h.state, "quiescing");
  assert.equal(h.acquire(), undefined, "no new requests while quiescing");
  h.release();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(loader.unloadCalls, 0);
  h.release();
  await unloaded;
  assert.equal(loader.unloadCalls, 1);
  assert.equal(states.at(-1), "disabled");
});
