import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import { DeadlineQueue } from "./deadline-queue";
import { deadlineAfter } from "./request-deadline";

/** Time moves only when a test ticks it: the clock and the timers are node:test's mocks. */
beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 }));
afterEach(() => mock.timers.reset());

const queueOf = (timeoutMs: number) => new DeadlineQueue(timeoutMs, () => Date.now());

test("deadlines fire in order after the timeout, settled ones never", () => {
  const queue = queueOf(30);
  const fired: number[] = [];
  const first = queue.start();
  first.onExpire(() => fired.push(1));
  queue.start().onExpire(() => fired.push(2));
  mock.timers.tick(10);
  queue.start().onExpire(() => fired.push(3));
  first.settle();
  mock.timers.tick(19);
  assert.deepEqual(fired, [], "nothing before 30 ms");
  mock.timers.tick(1);
  assert.deepEqual(fired, [2]);
  mock.timers.tick(9);
  assert.deepEqual(fired, [2]);
  mock.timers.tick(1);
  assert.deepEqual(fired, [2, 3]);
});

test("many settled deadlines leave nothing behind to fire", () => {
  const queue = queueOf(5);
  let fired = 0;
  for (let i = 0; i < 5000; i++) {
    const deadline = queue.start();
    deadline.onExpire(() => fired++);
    deadline.settle();
  }
  const last = queue.start();
  last.onExpire(() => fired++);
  mock.timers.tick(5);
  assert.equal(fired, 1);
});

test("race: the work's answer before the deadline, DEADLINE_EXCEEDED after it", async () => {
  const queue = queueOf(30);
  const early = queue.start();
  assert.equal(await early.race(Promise.resolve("done")), "done");
  early.settle();

  const late = queue.start();
  const never = new Promise<string>(() => undefined);
  const raced = late.race(never);
  mock.timers.tick(30);
  await assert.rejects(raced, { code: "DEADLINE_EXCEEDED", message: "Deadline Exceeded" });
  assert.throws(() => late.throwIfExpired(), { code: "DEADLINE_EXCEEDED" });
});

test("a deadline of its own (gRPC) fires once its time has passed, and not once settled", () => {
  const fired: string[] = [];
  const one = deadlineAfter(50);
  one.onExpire(() => fired.push("one"));
  const two = deadlineAfter(20);
  two.onExpire(() => fired.push("two"));
  two.settle();
  mock.timers.tick(49);
  assert.deepEqual(fired, []);
  mock.timers.tick(1);
  assert.deepEqual(fired, ["one"]);
});
