import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { internal, resourceExhausted, ServingError, type TensorMap } from "@servable/protocol";
import type { ModelView } from "../inference/inference-lifecycle";
import type { InferenceMethod } from "../rest/urls";
import { answersInBinary } from "../v2/infer-codec";
import {
  decodeJsonBody,
  encodeJsonAnswer,
  type AnswerContext,
  type BodyHeaders,
  type JsonPlan,
} from "./json-codec";
import type { HttpAnswer } from "./http-answer";
import type { CodecJob, CodecReply } from "./json-codec-protocol";

export interface JsonCodecOptions {
  /** Bodies of this many bytes or more are decoded on the worker thread. */
  readonly offloadBodyBytes: number;
  /** Answers of this many output values or more are encoded on the worker thread. */
  readonly offloadOutputValues: number;
}

/**
 * Runs the JSON codec (json-codec.ts) where it keeps the HTTP thread free: small bodies
 * and answers, the hot path, right here; big ones (a 60 MB predict takes seconds to
 * parse) on one worker thread, so that health probes and small requests are answered
 * meanwhile. The worker starts with the first big body and is replaced if it dies.
 */
export class JsonCodecs {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<
    number,
    { resolve(reply: CodecReply): void; reject(e: Error): void }
  >();

  constructor(
    private readonly options: JsonCodecOptions,
    private readonly logger: Logger,
  ) {}

  decode(
    method: InferenceMethod,
    body: Buffer,
    model: ModelView | undefined,
    headers: BodyHeaders = {},
  ): JsonPlan | undefined | Promise<JsonPlan | undefined> {
    if (jsonBytes(body, headers) < this.options.offloadBodyBytes) {
      return decodeJsonBody(method, body, model, headers);
    }
    const view = model && { signatures: model.signatures, parsesExamples: model.parsesExamples };
    return this.#submit(
      { id: 0, op: "decode", method, body, headers, model: view },
      ownsBuffer(body) ? [body.buffer as ArrayBuffer] : [],
    ).then((reply) => ("plan" in reply ? reply.plan : undefined));
  }

  encode(
    plan: JsonPlan,
    outputs: TensorMap,
    context: AnswerContext,
  ): HttpAnswer | Promise<HttpAnswer> {
    if (
      outputValues(outputs) < this.options.offloadOutputValues ||
      (plan.method === "infer" && answersInBinary(plan))
    ) {
      return encodeJsonAnswer(plan, outputs, context);
    }
    // The inputs stay here: the answer needs only how the request was laid out.
    const layout = { ...plan, inputs: {} };
    return this.#submit(
      { id: 0, op: "encode", plan: layout, outputs, context },
      transferable(outputs),
    ).then((reply) => {
      if (!("bytes" in reply)) throw internal("The JSON codec worker sent no answer");
      return Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #submit(job: CodecJob, transfer: ArrayBuffer[]): Promise<CodecReply> {
    const id = ++this.#nextId;
    const worker = this.#workerThread();
    return new Promise<CodecReply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ ...job, id }, transfer);
    }).then((reply) => {
      if ("error" in reply) {
        const error = new ServingError(reply.error.code, reply.error.message);
        if (reply.error.httpStatus !== undefined) error.httpStatus = reply.error.httpStatus;
        throw error;
      }
      return reply;
    });
  }

  #workerThread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = newWorker();
    worker.unref();
    worker.on("message", (reply: CodecReply) => {
      const waiter = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      waiter?.resolve(reply);
    });
    const fail = (why: string) => {
      if (this.#worker === worker) this.#worker = undefined;
      const waiting = [...this.#pending.values()];
      this.#pending.clear();
      for (const waiter of waiting) waiter.reject(internal(why));
    };
    worker.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ERR_WORKER_OUT_OF_MEMORY") {
        // A body can be legal and still too big to hold in memory as a tree.
        const waiting = [...this.#pending.values()];
        this.#pending.clear();
        for (const waiter of waiting) {
          waiter.reject(resourceExhausted("The request needs more memory than the server has"));
        }
      }
      this.logger.error({ err: error.message }, "The JSON codec worker failed");
      fail(`The JSON codec worker failed: ${error.message}`);
    });
    worker.on("exit", (code) => fail(`The JSON codec worker exited (${code})`));
    this.#worker = worker;
    return worker;
  }
}

const WORKER_FILE = join(__dirname, `json-codec-worker${extname(__filename)}`);

/** Running from TypeScript sources (tests, development), a worker needs tsx's loader first. */
function newWorker(): Worker {
  if (extname(WORKER_FILE) !== ".ts") return new Worker(WORKER_FILE);
  const code = `require("tsx/cjs"); require(${JSON.stringify(WORKER_FILE)});`;
  return new Worker(code, { eval: true });
}

/** The bytes to parse: V2's JSON only, when binary tensor data follows it. */
function jsonBytes(body: Buffer, headers: BodyHeaders): number {
  const declared = Number(headers.inferenceHeaderLength);
  return declared >= 0 && declared < body.length ? declared : body.length;
}

function outputValues(outputs: TensorMap): number {
  let values = 0;
  for (const tensor of Object.values(outputs)) values += tensor.data.length;
  return values;
}

/** The outputs' buffers that can move to the worker: nothing here reads them after encoding. */
function transferable(outputs: TensorMap): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const tensor of Object.values(outputs)) {
    if (
      tensor.dtype !== "DT_STRING" &&
      ArrayBuffer.isView(tensor.data) &&
      ownsBuffer(tensor.data)
    ) {
      buffers.add(tensor.data.buffer as ArrayBuffer);
    }
  }
  return [...buffers];
}

/** A buffer that is the whole of its memory can move to the worker instead of being copied. */
function ownsBuffer(view: ArrayBufferView): boolean {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}
