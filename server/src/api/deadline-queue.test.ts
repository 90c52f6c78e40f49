import assert from "node:assert/strict";
import { test } from "node:test";
import { DeadlineQueue } from "./deadline-queue";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("deadlines fire in order after the timeout, settled ones never", async () => {
  const queue = new DeadlineQueue(30);
  const fired: number[] = [];
  const first = queue.add(() => fired.push(1));
  queue.add(() => fired.push(2));
  await sleep(10);
  queue.add(() => fired.push(3));
  first.settle();
  await sleep(25);
  assert.deepEqual(fired, [2]);
  await sleep(20);
  assert.deepEqual(fired, [2, 3]);
});

test("many settled deadlines leave nothing behind to fire", async () => {
  const queue = new DeadlineQueue(5);
  let fired = 0;
  for (let i = 0; i < 5000; i++) queue.add(() => fired++).settle();
  const last = queue.add(() => fired++);
  await sleep(20);
  assert.equal(fired, 1);
  last.settle();
});
