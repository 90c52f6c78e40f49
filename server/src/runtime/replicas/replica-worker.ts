import { parentPort, workerData } from "node:worker_threads";
import pino from "pino";
import { toServingError } from "../../core/errors";
import { MODEL_FORMATS } from "../../formats";
import { VersionDirectoryLoader } from "../../formats/version-loader";
import type { Servable } from "../../servable/servable";
import { initTfjsBackend, type BackendChoice } from "../tfjs-backend";
import {
  transferables,
  type FromReplica,
  type ReplicaSpec,
  type ToReplica,
  type TransferredError,
} from "./replica-protocol";

/**
 * One model replica in a worker thread: its own TensorFlow.js backend and its own copy
 * of the version, loaded by the same formats as in the main thread; runs what the pool
 * sends, one message at a time.
 */
const spec = workerData as ReplicaSpec;
const port = parentPort!;
const send = (message: FromReplica, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);
const asTransferred = (error: unknown): TransferredError => {
  const e = toServingError(error);
  return { code: e.code, message: e.message, retryable: e.retryable };
};

async function main(): Promise<void> {
  const logger = pino({ level: "warn", base: { service: "servable", replica: true } });
  let loader: VersionDirectoryLoader;
  let servable: Servable;
  try {
    await initTfjsBackend(spec.backend as BackendChoice);
    loader = new VersionDirectoryLoader(spec.dir, MODEL_FORMATS, {
      logger,
      options: { ...spec.formatOptions, savedModelTags: spec.savedModelTags },
    });
    servable = await loader.load();
  } catch (error) {
    send({ type: "load-failed", error: asTransferred(error) });
    return;
  }
  port.on("message", (message: ToReplica) => {
    if (message.type === "unload") {
      void loader.unload().finally(() => send({ type: "unloaded" }));
      return;
    }
    servable.run(message.signatureName, message.inputs).then(
      (outputs) => send({ type: "result", id: message.id, outputs }, transferables(outputs)),
      (error: unknown) => send({ type: "failure", id: message.id, error: asTransferred(error) }),
    );
  });
  send({
    type: "loaded",
    signatures: servable.signatures,
    classLabels: servable.classLabels,
    runtime: servable.runtime,
    parsesExamples: servable.parsesExamples,
  });
}

void main();
