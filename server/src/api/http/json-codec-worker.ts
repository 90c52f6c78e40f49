import { parentPort } from "node:worker_threads";
import { ServingError, type TensorMap } from "@servable/protocol";
import { decodeJsonBody, encodeJsonAnswer } from "./json-codec";
import type { CodecJob, CodecReply } from "./json-codec-protocol";
import { nameThisThread, THREAD_NAMES } from "../../execution/thread-name";

/**
 * The worker thread of JsonCodecs: decodes big request bodies and encodes big answers, so
 * that the thread answering HTTP (health probes included) never waits on them. Every job
 * gets a reply; an error is a reply too, never an exception that ends the worker.
 */
const port = parentPort;
if (!port) throw new Error("json-codec-worker runs as a worker thread");
nameThisThread(THREAD_NAMES.jsonCodec);

port.on("message", (job: CodecJob) => {
  let reply: CodecReply;
  let transfer: ArrayBuffer[] = [];
  try {
    if (job.op === "decode") {
      const plan = decodeJsonBody(job.method, job.body, job.model, job.headers);
      reply = { id: job.id, plan };
      if (plan) transfer = transferable(plan.inputs);
    } else {
      const answer = encodeJsonAnswer(job.plan, job.outputs, job.context);
      // JsonCodecs keeps answers with binary outputs on its own thread (they need no formatting).
      if (typeof answer !== "string") throw new Error("A binary answer was sent to the worker");
      const bytes = Buffer.from(answer, "utf8");
      reply = { id: job.id, bytes };
      if (ownsBuffer(bytes)) transfer = [bytes.buffer as ArrayBuffer];
    }
  } catch (error) {
    reply = {
      id: job.id,
      error:
        error instanceof ServingError
          ? { code: error.code, message: error.message, httpStatus: error.httpStatus }
          : { code: "UNKNOWN", message: error instanceof Error ? error.message : String(error) },
    };
  }
  port.postMessage(reply, transfer);
});

/** The buffers of numeric tensors (strings are many small, possibly pooled, buffers). */
function transferable(tensors: TensorMap): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const tensor of Object.values(tensors)) {
    if (ArrayBuffer.isView(tensor.data) && ownsBuffer(tensor.data)) {
      buffers.add(tensor.data.buffer as ArrayBuffer);
    }
  }
  return [...buffers];
}

function ownsBuffer(view: ArrayBufferView): boolean {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}
