import type { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import {
  deadlineExceeded,
  internal,
  ServingError,
  unavailable,
  type SignatureDefMap,
  type TensorMap,
} from "@servable/protocol";
import { loadCancelled } from "../../core/load-failure";
import type { RunOptions } from "../../core/servable";
import type { VersionRunner } from "../version-runner";
import type { WarmWorkers } from "./warm-workers";
import {
  transferables,
  type FromReplica,
  type ReplicaSpec,
  type ToReplica,
  type TransferredError,
} from "./replica-protocol";

/** How long a replica may take to unload its model before its thread is stopped anyway. */
const UNLOAD_WAIT_MS = 5000;

interface Pending {
  resolve(outputs: TensorMap): void;
  reject(error: unknown): void;
}

/** One worker thread holding a copy of the model. */
class Replica {
  readonly pending = new Map<number, Pending>();
  ready = false;
  stopping = false;

  constructor(
    readonly index: number,
    readonly worker: Worker,
  ) {}
}

/**
 * A version served by worker threads, each with its own backend and copy of the model
 * (the REST thread never runs model math). A request goes to the replica with the fewest
 * requests in flight. A replica that dies fails the requests it held with INTERNAL (500)
 * and is replaced by a fresh one.
 */
export class ReplicaPool implements VersionRunner {
  readonly #replicas: (Replica | undefined)[];
  #nextId = 0;
  #closed = false;
  #readyWaiters: (() => void)[] = [];

  private constructor(
    private readonly spec: ReplicaSpec,
    size: number,
    private readonly workers: WarmWorkers,
    private readonly logger: Logger,
    readonly signatures: SignatureDefMap,
    readonly classLabels: Readonly<Record<string, readonly string[]>> | undefined,
    readonly runtime: string,
    readonly engineReason: string | undefined,
    readonly parsesExamples: boolean | undefined,
  ) {
    this.#replicas = new Array<Replica | undefined>(size).fill(undefined);
  }

  /**
   * Starts `size` replicas; resolves once all have loaded, rejects if one cannot. When
   * `signal` aborts, every worker taken so far is stopped: a cancelled load keeps no thread.
   */
  static async start(
    spec: ReplicaSpec,
    size: number,
    workers: WarmWorkers,
    logger: Logger,
    signal?: AbortSignal,
  ): Promise<ReplicaPool> {
    const started = await Promise.allSettled(
      Array.from({ length: size }, () => startReplica(spec, workers, signal)),
    );
    const failure = started.find((s) => s.status === "rejected");
    if (failure) {
      await Promise.all(
        started.map((s) => (s.status === "fulfilled" ? s.value.worker.terminate() : undefined)),
      );
      throw (failure as PromiseRejectedResult).reason;
    }
    const loaded = started.map((s) => (s as PromiseFulfilledResult<StartedWorker>).value);
    const first = loaded[0]!.loaded;
    const pool = new ReplicaPool(
      spec,
      size,
      workers,
      logger,
      first.signatures,
      first.classLabels,
      first.runtime,
      first.engineReason,
      first.parsesExamples,
    );
    loaded.forEach((w, i) => pool.#adopt(i, w.worker));
    return pool;
  }

  async run(signatureName: string, inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    return this.#runOn(await this.#pick(options?.deadline), signatureName, inputs);
  }

  /** A `run` on each replica as started (a replacement after a crash is not among them). */
  eachCopy(): ((signatureName: string, inputs: TensorMap) => Promise<TensorMap>)[] {
    return this.#replicas.map((replica) => (signatureName, inputs) => {
      if (!replica?.ready) throw unavailable("The model replica stopped");
      return this.#runOn(replica, signatureName, inputs);
    });
  }

  #runOn(replica: Replica, signatureName: string, inputs: TensorMap): Promise<TensorMap> {
    const id = this.#nextId++;
    return new Promise<TensorMap>((resolve, reject) => {
      replica.pending.set(id, { resolve, reject });
      const message: ToReplica = { type: "run", id, signatureName, inputs };
      replica.worker.postMessage(message, transferables(inputs));
    });
  }

  /**
   * Stops one replica at once, as a crash would: the requests it holds fail and a new
   * replica takes its place (a way to recycle one that misbehaves).
   */
  async recycleReplica(index: number): Promise<void> {
    await this.#replicas[index]?.worker.terminate();
  }

  /** Replicas ready to take requests now. */
  get readyReplicas(): number {
    return this.#replicas.filter((r) => r?.ready).length;
  }

  /** Unloads the model in every replica and stops the threads. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      this.#replicas.map(async (replica) => {
        if (!replica) return;
        replica.stopping = true;
        // Answers to requests still running may come first: wait for "unloaded" itself.
        let onMessage!: (m: FromReplica) => void;
        let timer: NodeJS.Timeout | undefined;
        const unloaded = new Promise<void>((resolve) => {
          onMessage = (m) => m.type === "unloaded" && resolve();
          replica.worker.on("message", onMessage);
          replica.worker.once("exit", () => resolve());
          timer = setTimeout(() => {
            this.logger.warn(
              { replica: replica.index },
              `Model replica ${replica.index} did not unload within ${UNLOAD_WAIT_MS} ms; stopping its thread`,
            );
            resolve();
          }, UNLOAD_WAIT_MS);
        });
        replica.worker.postMessage({ type: "unload" } satisfies ToReplica);
        await unloaded;
        clearTimeout(timer);
        replica.worker.off("message", onMessage);
        await replica.worker.terminate();
      }),
    );
  }

  async #pick(deadline: number | undefined): Promise<Replica> {
    for (;;) {
      if (this.#closed) throw unavailable("The model version is unloading");
      let best: Replica | undefined;
      for (const r of this.#replicas) {
        if (r?.ready && (!best || r.pending.size < best.pending.size)) best = r;
      }
      if (best) return best;
      await new Promise<void>((resolve) => this.#readyWaiters.push(resolve));
      if (deadline !== undefined && performance.now() >= deadline) {
        throw deadlineExceeded("Deadline Exceeded while waiting for a model replica");
      }
    }
  }

  #adopt(index: number, worker: Worker): void {
    const replica = new Replica(index, worker);
    replica.ready = true;
    this.#replicas[index] = replica;
    worker.on("message", (message: FromReplica) => {
      if (message.type !== "result" && message.type !== "failure") return;
      const pending = replica.pending.get(message.id);
      if (!pending) return;
      replica.pending.delete(message.id);
      if (message.type === "result") pending.resolve(message.outputs);
      else pending.reject(fromTransferred(message.error));
    });
    worker.on("error", (error) => this.#lose(replica, error.message));
    worker.on("exit", (code) => this.#lose(replica, `exited with code ${code}`));
    for (const resolve of this.#readyWaiters.splice(0)) resolve();
  }

  /** Fails what a dead replica held and starts a replacement. */
  #lose(replica: Replica, reason: string): void {
    if (this.#replicas[replica.index] !== replica) return;
    this.#replicas[replica.index] = undefined;
    replica.ready = false;
    for (const pending of replica.pending.values()) {
      pending.reject(
        internal(`Model replica ${replica.index} stopped (${reason}) while running this request`),
      );
    }
    replica.pending.clear();
    if (replica.stopping || this.#closed) return;
    this.logger.error(
      { replica: replica.index, reason },
      `Model replica ${replica.index} stopped; starting a new one`,
    );
    startReplica(this.spec, this.workers).then(
      ({ worker }) => {
        if (this.#closed) void worker.terminate();
        else this.#adopt(replica.index, worker);
      },
      (error: unknown) =>
        this.logger.error(
          { replica: replica.index, err: (error as Error).message },
          "Model replica could not restart",
        ),
    );
  }
}

interface StartedWorker {
  worker: Worker;
  loaded: Extract<FromReplica, { type: "loaded" }>;
}

/** A warm worker that has loaded the version; stopped at once if `signal` aborts. */
async function startReplica(
  spec: ReplicaSpec,
  workers: WarmWorkers,
  signal?: AbortSignal,
): Promise<StartedWorker> {
  signal?.throwIfAborted();
  const worker = await workers.take();
  if (signal?.aborted) {
    void worker.terminate();
    throw loadCancelled();
  }
  return new Promise((resolve, reject) => {
    const settle = () => {
      worker.off("exit", onExit);
      worker.off("error", onError);
      worker.off("message", onMessage);
      signal?.removeEventListener("abort", onAbort);
    };
    const onExit = (code: number) => {
      settle();
      reject(internal(`Model replica exited with code ${code} while loading`));
    };
    const onError = (error: Error) => {
      settle();
      reject(internal(`Model replica failed while loading: ${error.message}`));
    };
    const onAbort = () => {
      settle();
      void worker.terminate();
      reject(loadCancelled());
    };
    const onMessage = (message: FromReplica) => {
      if (message.type === "loaded") {
        settle();
        resolve({ worker, loaded: message });
      } else if (message.type === "load-failed") {
        settle();
        void worker.terminate();
        reject(fromTransferred(message.error));
      }
    };
    worker.on("exit", onExit);
    worker.on("error", onError);
    worker.on("message", onMessage);
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.postMessage({ type: "load", spec } satisfies ToReplica);
  });
}

function fromTransferred(error: TransferredError): ServingError {
  return new ServingError(error.code, error.message, error.retryable);
}
