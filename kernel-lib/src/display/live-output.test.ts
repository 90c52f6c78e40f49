import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import { startLiveOutput, stopLiveOutputs } from "./live-output";

/**
 * The refresh logic of a live output, on Node's mock timers, through the bridge tslab
 * gives cells (`__tslab__.require("tslab")`), here a recorder of what each display shows.
 * That tslab and JupyterLab draw the updates in place is shown by the notebook tests.
 */

let shown: Map<number, string[]>;

beforeEach(() => {
  shown = new Map();
  let displays = 0;
  const tslab = {
    display: { html() {} },
    newDisplay() {
      const id = ++displays;
      shown.set(id, []);
      return { html: (markup: string) => shown.get(id)!.push(markup) };
    },
  };
  (globalThis as { __tslab__?: unknown }).__tslab__ = { require: () => tslab };
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
});

afterEach(async () => {
  await stopLiveOutputs();
  mock.timers.reset();
  delete (globalThis as { __tslab__?: unknown }).__tslab__;
});

/** Lets the refresh that a timer started finish (its render is async). */
async function tick(ms: number): Promise<void> {
  mock.timers.tick(ms);
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

test("refreshed every interval, then stopped with its reason once the time is up", async () => {
  let renders = 0;
  await startLiveOutput({
    key: "a",
    everyMs: 2000,
    forMs: 6000,
    render: async () => ({ html: `frame ${++renders}` }),
    final: async (reason) => ({ html: `final: ${reason}` }),
  });
  assert.deepEqual(shown.get(1), ["frame 1"]);
  await tick(2000);
  await tick(2000);
  assert.deepEqual(shown.get(1), ["frame 1", "frame 2", "frame 3"]);
  await tick(2000);
  await tick(2000);
  assert.equal(shown.get(1)!.at(-1), "final: stopped refreshing after 6 s");
  const count = shown.get(1)!.length;
  await tick(10_000);
  assert.equal(shown.get(1)!.length, count, "nothing after it stopped");
});

test("a newer output under the same key stops the older one; other keys go on", async () => {
  const frame = (name: string) => ({
    key: name.split(":")[0]!,
    everyMs: 1000,
    forMs: 60_000,
    render: async () => ({ html: name }),
    final: async (reason: string) => ({ html: `${name} ended: ${reason}` }),
  });
  await startLiveOutput(frame("m:first"));
  await startLiveOutput(frame("other:one"));
  await startLiveOutput(frame("m:second"));
  assert.equal(shown.get(1)!.at(-1), "m:first ended: a newer card for it was shown below");
  await tick(1000);
  assert.equal(shown.get(1)!.at(-1), "m:first ended: a newer card for it was shown below");
  assert.deepEqual(shown.get(2), ["other:one", "other:one"]);
  assert.deepEqual(shown.get(3), ["m:second", "m:second"]);
});

test("a frame that says done is the last; stop() ends with the reason given", async () => {
  let n = 0;
  await startLiveOutput({
    key: "done",
    everyMs: 1000,
    forMs: 60_000,
    render: async () => ({ html: `n=${++n}`, done: n === 2 }),
    final: async (reason) => ({ html: reason }),
  });
  await tick(1000);
  await tick(1000);
  assert.deepEqual(shown.get(1), ["n=1", "n=2"]);
  const output = await startLiveOutput({
    key: "stopped",
    everyMs: 1000,
    forMs: 60_000,
    render: async () => ({ html: "live" }),
    final: async (reason) => ({ html: reason }),
  });
  await output!.stop("promoted");
  assert.deepEqual(shown.get(2), ["live", "promoted"]);
  assert.equal(output!.stopped, true);
});

test("outside tslab nothing is shown and nothing runs", async () => {
  delete (globalThis as { __tslab__?: unknown }).__tslab__;
  let renders = 0;
  const output = await startLiveOutput({
    key: "x",
    everyMs: 1000,
    forMs: 60_000,
    render: async () => ({ html: String(++renders) }),
    final: async () => ({ html: "" }),
  });
  assert.equal(output, undefined);
  assert.equal(renders, 0);
});
