import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { Worker } from "node:worker_threads";

const threadNames = (): string[] =>
  readdirSync(`/proc/${process.pid}/task`).map((tid) =>
    readFileSync(`/proc/${process.pid}/task/${tid}/comm`, "utf8").trim(),
  );

test(
  "a worker thread names itself and no other thread",
  { skip: !existsSync("/proc/thread-self") && "needs Linux's /proc/thread-self" },
  async () => {
    const main = readFileSync(`/proc/${process.pid}/comm`, "utf8").trim();
    const code = `require("tsx/cjs");
      const { nameThisThread } = require(${JSON.stringify(require.resolve("./thread-name"))});
      nameThisThread("servable-test-thread-name");
      require("node:worker_threads").parentPort.postMessage("named");
      setInterval(() => {}, 1000);`;
    const worker = new Worker(code, { eval: true });
    worker.on("error", () => undefined);
    try {
      await new Promise((resolve) => worker.once("message", resolve));
      const names = threadNames();
      // Cut at 15 bytes, the kernel's limit.
      assert.equal(names.filter((n) => n === "servable-test-t").length, 1);
      assert.equal(readFileSync(`/proc/${process.pid}/comm`, "utf8").trim(), main);
    } finally {
      await worker.terminate();
    }
  },
);
