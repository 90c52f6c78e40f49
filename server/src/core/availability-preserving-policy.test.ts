import assert from "node:assert/strict";
import { test } from "node:test";
import type { AspiredServableStateSnapshot, HarnessState } from "./aspired-version-policy";
import { AvailabilityPreservingPolicy } from "./availability-preserving-policy";
import { ResourcePreservingPolicy } from "./resource-preserving-policy";

/** "3:ready:aspired"-style snapshots of one stream's versions. */
function stream(...specs: string[]): AspiredServableStateSnapshot[] {
  return specs.map((spec) => {
    const [version, state, aspired] = spec.split(":") as [string, HarnessState, string];
    return { id: { name: "m", version: Number(version) }, state, isAspired: aspired === "aspired" };
  });
}

const describeAction = (a: { action: string; id: { version: number } } | undefined) =>
  a ? `${a.action} ${a.id.version}` : "none";

const availability = new AvailabilityPreservingPolicy();
const resource = new ResourcePreservingPolicy();

test("availability preserving: loads the highest aspired new version first", () => {
  const next = availability.nextAction(stream("1:new:aspired", "3:new:aspired", "2:new:aspired"));
  assert.equal(describeAction(next), "load 3");
});

test("availability preserving: keeps the only serving version until an aspired one is ready", () => {
  assert.equal(
    describeAction(availability.nextAction(stream("1:ready:unaspired", "2:new:aspired"))),
    "load 2",
  );
  assert.equal(
    describeAction(availability.nextAction(stream("1:ready:unaspired", "2:loading:aspired"))),
    "none",
  );
  assert.equal(
    describeAction(availability.nextAction(stream("1:ready:unaspired", "2:ready:aspired"))),
    "unload 1",
  );
});

test("availability preserving: a failed new version never takes the old one down", () => {
  assert.equal(
    describeAction(availability.nextAction(stream("1:ready:unaspired", "2:error:aspired"))),
    "none",
  );
});

test("availability preserving: with nothing aspired, unloads; with several un-aspired, the lowest", () => {
  assert.equal(describeAction(availability.nextAction(stream("4:ready:unaspired"))), "unload 4");
  assert.equal(
    describeAction(
      availability.nextAction(
        stream("2:ready:unaspired", "1:ready:unaspired", "3:loading:aspired"),
      ),
    ),
    "unload 1",
  );
});

test("availability preserving: a ready aspired stream needs nothing", () => {
  assert.equal(
    describeAction(availability.nextAction(stream("1:ready:aspired", "2:ready:aspired"))),
    "none",
  );
  assert.equal(describeAction(availability.nextAction([])), "none");
});

test("resource preserving: unloads every un-aspired version before it loads", () => {
  assert.equal(
    describeAction(resource.nextAction(stream("1:ready:unaspired", "2:new:aspired"))),
    "unload 1",
  );
  assert.equal(
    describeAction(resource.nextAction(stream("1:unloading:unaspired", "2:new:aspired"))),
    "none",
  );
  assert.equal(
    describeAction(resource.nextAction(stream("1:quiescing:unaspired", "2:new:aspired"))),
    "none",
  );
  assert.equal(
    describeAction(resource.nextAction(stream("1:disabled:unaspired", "2:new:aspired"))),
    "load 2",
  );
});
