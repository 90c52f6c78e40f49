import { parentPort, workerData } from "node:worker_threads";
import pino from "pino";
import { toServingError } from "@servable/protocol";
import { formatNamed } from "../../formats";
import { classifyLoadFailure, loadInThread } from "../version-loader";
import type { VersionRunner } from "../version-runner";
import { initTfjsBackend, type BackendChoice } from "../tfjs/tfjs-backend";
import { nameThisThread, THREAD_NAMES } from "../thread-name";
import {
  transferables,
  type FromReplica,
  type ReplicaSpec,
  type ToReplica,
  type TransferredError,
  type WorkerSetup,
} from "./replica-protocol";

/**
 * One model replica in a worker thread: it sets its own TensorFlow.js backend up first
 * (then it is "warm" and may wait as a spare), loads one version when asked, in the
 * format the main thread detected, and runs what the pool sends.
 */
nameThisThread(THREAD_NAMES.replica);
const setup = workerData as WorkerSetup;
const port = parentPort!;
const send = (message: FromReplica, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);
const asTransferred = (error: unknown): TransferredError => {
  const e = toServingError(error);
  return { code: e.code, message: e.message, retryable: e.retryable };
};
const logger = pino({ level: "warn", base: { service: "servable", replica: true } });

let runner: VersionRunner | undefined;

async function load(spec: ReplicaSpec): Promise<void> {
  try {
    runner = await loadInThread(
      spec.dir,
      formatNamed(spec.format),
      { logger, options: spec.formatOptions },
      spec.engine,
    );
    send({
      type: "loaded",
      signatures: runner.signatures,
      classLabels: runner.classLabels,
      runtime: runner.runtime,
      engineReason: runner.engineReason,
      parsesExamples: runner.parsesExamples,
    });
  } catch (error) {
    send({ type: "load-failed", error: asTransferred(classifyLoadFailure(error, spec.dir)) });
  }
}

port.on("message", (message: ToReplica) => {
  switch (message.type) {
    case "load":
      void load(message.spec);
      return;
    case "unload":
      void (runner?.close() ?? Promise.resolve()).finally(() => send({ type: "unloaded" }));
      return;
    case "run":
      if (!runner) {
        send({
          type: "failure",
          id: message.id,
          error: asTransferred(new Error("No model loaded")),
        });
        return;
      }
      runner.run(message.signatureName, message.inputs).then(
        (outputs) => send({ type: "result", id: message.id, outputs }, transferables(outputs)),
        (error: unknown) => send({ type: "failure", id: message.id, error: asTransferred(error) }),
      );
  }
});

void initTfjsBackend(setup.backend as BackendChoice).then(
  () => send({ type: "warm" }),
  (error: unknown) => send({ type: "load-failed", error: asTransferred(error) }),
);
