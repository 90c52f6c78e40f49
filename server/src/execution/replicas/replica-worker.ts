import { parentPort, workerData } from "node:worker_threads";
import pino from "pino";
import { toServingError } from "@servable/protocol";
import { MODEL_FORMATS } from "../../formats";
import { VersionDirectoryLoader } from "../version-loader";
import type { Servable } from "../../core/servable";
import { initTfjsBackend, type BackendChoice } from "../tfjs/tfjs-backend";
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
 * (then it is "warm" and may wait as a spare), loads one version when asked, with the
 * same formats as the main thread, and runs what the pool sends.
 */
const setup = workerData as WorkerSetup;
const port = parentPort!;
const send = (message: FromReplica, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);
const asTransferred = (error: unknown): TransferredError => {
  const e = toServingError(error);
  return { code: e.code, message: e.message, retryable: e.retryable };
};
const logger = pino({ level: "warn", base: { service: "servable", replica: true } });

let loader: VersionDirectoryLoader | undefined;
let servable: Servable | undefined;

async function load(spec: ReplicaSpec): Promise<void> {
  try {
    loader = new VersionDirectoryLoader(spec.dir, MODEL_FORMATS, {
      logger,
      options: { ...spec.formatOptions, savedModelTags: spec.savedModelTags },
    });
    const loaded = await loader.load();
    servable = loaded;
    send({
      type: "loaded",
      signatures: loaded.signatures,
      classLabels: loaded.classLabels,
      runtime: loaded.runtime,
      parsesExamples: loaded.parsesExamples,
    });
  } catch (error) {
    send({ type: "load-failed", error: asTransferred(error) });
  }
}

port.on("message", (message: ToReplica) => {
  switch (message.type) {
    case "load":
      void load(message.spec);
      return;
    case "unload":
      void (loader?.unload() ?? Promise.resolve()).finally(() => send({ type: "unloaded" }));
      return;
    case "run":
      if (!servable) {
        send({
          type: "failure",
          id: message.id,
          error: asTransferred(new Error("No model loaded")),
        });
        return;
      }
      servable.run(message.signatureName, message.inputs).then(
        (outputs) => send({ type: "result", id: message.id, outputs }, transferables(outputs)),
        (error: unknown) => send({ type: "failure", id: message.id, error: asTransferred(error) }),
      );
  }
});

void initTfjsBackend(setup.backend as BackendChoice).then(
  () => send({ type: "warm" }),
  (error: unknown) => send({ type: "load-failed", error: asTransferred(error) }),
);
