import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { ServingError } from "@servable/protocol";
import type { FromReplica, WorkerSetup } from "./replica-protocol";

const WORKER_FILE = join(__dirname, `replica-worker${extname(__filename)}`);

/**
 * Worker threads whose runtime is already set up (TF.js and its WebAssembly backend take
 * a few hundred milliseconds to start), waiting for a version to load. A new version — a
 * deploy, a swap — takes one and skips that start-up; a replacement warms up behind it.
 * Spares do not keep the process alive.
 */
export class WarmWorkers {
  readonly #spares: Promise<Worker>[] = [];
  #closed = false;

  constructor(
    private readonly setup: WorkerSetup,
    private readonly spares = 1,
  ) {
    this.#fill();
  }

  /** A warm worker for a replica: a spare if one is ready, else a new one. */
  take(): Promise<Worker> {
    const worker = this.#spares.shift() ?? startWarmWorker(this.setup);
    this.#fill();
    return worker.then((w) => {
      w.ref();
      return w;
    });
  }

  /** Stops the spares (the workers taken belong to their replicas). */
  async close(): Promise<void> {
    this.#closed = true;
    const spares = this.#spares.splice(0);
    await Promise.all(
      spares.map((s) =>
        s.then(
          (w) => w.terminate(),
          () => undefined,
        ),
      ),
    );
  }

  #fill(): void {
    while (!this.#closed && this.#spares.length < this.spares) {
      const spare = startWarmWorker(this.setup).then((w) => {
        w.unref();
        return w;
      });
      // A spare that fails to start is dropped; the next take() starts a fresh one.
      spare.catch(() => {
        const index = this.#spares.indexOf(spare);
        if (index >= 0) this.#spares.splice(index, 1);
      });
      this.#spares.push(spare);
    }
  }
}

/**
 * A worker that failed to start says nothing about the version it was for (threads,
 * memory, the runtime's start-up): its failure is UNAVAILABLE, so the load is retried.
 */
function startWarmWorker(setup: WorkerSetup): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = newWorker(setup);
    const fail = (why: string) =>
      reject(new ServingError("UNAVAILABLE", `A model worker could not start: ${why}`));
    const onExit = (code: number) => fail(`it exited with code ${code}`);
    const onError = (error: Error) => fail(error.message);
    worker.once("exit", onExit);
    worker.once("error", onError);
    worker.once("message", (message: FromReplica) => {
      worker.off("exit", onExit);
      worker.off("error", onError);
      if (message.type === "warm") resolve(worker);
      else if (message.type === "load-failed") {
        void worker.terminate();
        fail(message.error.message);
      }
    });
  });
}

/** Running from TypeScript sources (tests, development), a worker needs tsx's loader first. */
function newWorker(setup: WorkerSetup): Worker {
  if (extname(WORKER_FILE) !== ".ts") return new Worker(WORKER_FILE, { workerData: setup });
  const code = `require("tsx/cjs"); require(${JSON.stringify(WORKER_FILE)});`;
  return new Worker(code, { eval: true, workerData: setup });
}
