import assert from "node:assert/strict";
import { test } from "node:test";
import type {
  AspiredServableStateSnapshot,
  AspiredVersionPolicy,
  HarnessState,
} from "./aspired-version-policy";
import { AvailabilityPreservingPolicy } from "./availability-preserving-policy";
import { ResourcePreservingPolicy } from "./resource-preserving-policy";

/** "3:ready:aspired"-style snapshots of one stream's versions. */
function stream(...specs: string[]): AspiredServableStateSnapshot[] {
  return specs.map((spec) => {
    const [version, state, aspired] = spec.split(":") as [string, HarnessState, string];
    return { id: { name: "m", version: Number(version) }, state, isAspired: aspired === "aspired" };
  });
}

const availability = new AvailabilityPreservingPolicy();
const resource = new ResourcePreservingPolicy();

/** The policy's next action on a stream of "3:ready:aspired"-style versions: "load 3", "unload 1" or "none". */
function nextAction(policy: AspiredVersionPolicy, ...versions: string[]): string {
  const a = policy.nextAction(stream(...versions));
  return a ? `${a.action} ${a.id.version}` : "none";
}

test("availability preserving: loads the highest aspired new version first", () => {
  assert.equal(
    nextAction(availability, "1:new:aspired", "3:new:aspired", "2:new:aspired"),
    "load 3",
  );
});

test("availability preserving: keeps the only serving version until an aspired one is ready", () => {
  assert.equal(nextAction(availability, "1:ready:unaspired", "2:new:aspired"), "load 2");
  assert.equal(nextAction(availability, "1:ready:unaspired", "2:loading:aspired"), "none");
  assert.equal(nextAction(availability, "1:ready:unaspired", "2:ready:aspired"), "unload 1");
});

test("availability preserving: a failed new version never takes the old one down", () => {
  assert.equal(nextAction(availability, "1:ready:unaspired", "2:error:aspired"), "none");
});

test("availability preserving: with nothing aspired, unloads; with several un-aspired, the lowest", () => {
  assert.equal(nextAction(availability, "4:ready:unaspired"), "unload 4");
  assert.equal(
    nextAction(availability, "2:ready:unaspired", "1:ready:unaspired", "3:loading:aspired"),
    "unload 1",
  );
});

test("availability preserving: a ready aspired stream needs nothing", () => {
  assert.equal(nextAction(availability, "1:ready:aspired", "2:ready:aspired"), "none");
  assert.equal(nextAction(availability), "none");
});

test("resource preserving: unloads every un-aspired version before it loads", () => {
  assert.equal(nextAction(resource, "1:ready:unaspired", "2:new:aspired"), "unload 1");
  assert.equal(nextAction(resource, "1:unloading:unaspired", "2:new:aspired"), "none");
  assert.equal(nextAction(resource, "1:quiescing:unaspired", "2:new:aspired"), "none");
  assert.equal(nextAction(resource, "1:disabled:unaspired", "2:new:aspired"), "load 2");
});
