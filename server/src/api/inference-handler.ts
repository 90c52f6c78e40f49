import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import {
  deadlineExceeded,
  invalidArgument,
  toServingError,
  type TensorMap,
} from "@servable/protocol";
import type { ServableHandle } from "../core/servable-handle";
import type { Servable } from "../core/servable";
import type { ServerCore } from "../core/server-core";
import { DeadlineQueue } from "./deadline-queue";
import { sendError, sendJson } from "./error-response";
import { JsonParseError, parseJson, type JsonValue } from "./json/json-parser";
import type { RequestRecord, ServingMetrics } from "./metrics";
import { readBody } from "./request-body";
import {
  parseExampleRequest,
  writeClassifyResponse,
  writeRegressResponse,
} from "./rest/classify-regress";
import { parseExampleList } from "./rest/examples";
import { parsePredictRequest, requestObject } from "./rest/predict-request";
import { writePredictResponse } from "./rest/predict-response";
import { parseInferRequest } from "./v2/infer-request";
import { writeInferResponse } from "./v2/infer-response";
import type { InferenceRoute } from "./rest/urls";

export interface InferenceOptions {
  /** 0 for no deadline. */
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
}

/**
 * The lean path for `:predict`, `:classify` and `:regress` (no middleware): read the
 * body, take a handle to the version, parse against its signature, run, write TF
 * Serving's JSON, and record the request's metrics. The handle is released only once
 * the model has finished, even when the deadline answered the client before.
 */
export class InferenceHandler {
  readonly #deadlines: DeadlineQueue | undefined;

  constructor(
    private readonly core: ServerCore,
    private readonly metrics: ServingMetrics,
    private readonly options: InferenceOptions,
    private readonly logger: Logger,
  ) {
    this.#deadlines = options.timeoutMs > 0 ? new DeadlineQueue(options.timeoutMs) : undefined;
  }

  async handle(req: IncomingMessage, res: ServerResponse, route: InferenceRoute): Promise<void> {
    const started = performance.now();
    const record: RequestRecord = {
      model: route.spec.name,
      version: "",
      api: route.method,
      status: "OK",
      latencyUs: 0,
    };
    try {
      const body = await readBody(req, this.options.maxBodyBytes);
      let handle: ServableHandle;
      try {
        handle = this.core.getServableHandle(route.spec);
      } catch (error) {
        checkBeforeLookup(body, route.method);
        throw error;
      }
      record.version = String(handle.id.version);
      sendJson(res, 200, await this.#answer(handle, route, body, record));
    } catch (thrown) {
      const error = sendError(res, thrown);
      record.status = error.code;
      if (error.code === "UNKNOWN" || error.code === "INTERNAL") {
        this.logger.error({ model: route.spec.name, err: error.message }, "Inference failed");
      }
    } finally {
      record.latencyUs = (performance.now() - started) * 1000;
      this.metrics.record(record);
    }
  }

  /** The outputs, or DEADLINE_EXCEEDED once --rest_api_timeout_in_ms have passed. */
  #withDeadline(running: Promise<TensorMap>): Promise<TensorMap> {
    const deadlines = this.#deadlines;
    if (!deadlines) return running;
    return new Promise((resolve, reject) => {
      const deadline = deadlines.add(() => reject(deadlineExceeded("Deadline Exceeded")));
      running.then(
        (outputs) => {
          deadline.settle();
          resolve(outputs);
        },
        (error: unknown) => {
          deadline.settle();
          reject(error);
        },
      );
    });
  }

  /** Parses, runs and writes the answer; releases the handle when the model is done. */
  async #answer(
    handle: ServableHandle,
    route: InferenceRoute,
    body: Buffer,
    record: RequestRecord,
  ): Promise<string> {
    const servable = handle.servable;
    let running: Promise<TensorMap> | undefined;
    const run = async (
      signatureName: string,
      inputs: TensorMap,
      outputKeys?: readonly string[],
    ): Promise<TensorMap> => {
      const t0 = performance.now();
      const timeoutMs = this.options.timeoutMs;
      const deadline = timeoutMs > 0 ? t0 + timeoutMs : undefined;
      running = servable.run(signatureName, inputs, { deadline, outputKeys });
      const outputs = await this.#withDeadline(running);
      record.runtimeUs = (performance.now() - t0) * 1000;
      record.runtime = servable.runtime;
      return outputs;
    };
    try {
      const doc = parseBody(body, servable, route.method);
      if (route.method === "infer") {
        let request;
        try {
          request = parseInferRequest(doc, servable);
        } catch (error) {
          throw nestingError(body, error);
        }
        const outputs = await run(request.signatureName, request.inputs, request.outputKeys);
        return writeInferResponse(route.spec.name, handle.id.version, request, outputs);
      }
      if (route.method === "predict") {
        let request;
        try {
          request = parsePredictRequest(doc, servable.signatures);
        } catch {
          // JSON.parse forgets how numbers were written ("1.0" reads as 1): the error
          // texts quote the body, so read it again as TF Serving does.
          request = parsePredictRequest(parseBody(body, undefined, "predict"), servable.signatures);
        }
        return writePredictResponse(
          await run(request.signatureName, request.inputs),
          request.format,
        );
      }
      const request = parseExampleRequest(doc, servable, route.method);
      record.examples = request.numExamples;
      const outputs = await run(request.signatureName, request.inputs);
      return route.method === "classify"
        ? writeClassifyResponse(outputs, request, servable.classLabels?.[request.signatureName])
        : writeRegressResponse(outputs, request);
    } finally {
      // A request answered by its deadline still holds the version until the model is done.
      const release = () => handle.release();
      if (running) running.then(release, release);
      else release();
    }
  }
}

/**
 * TF Serving reads the body before it looks the model up, so a malformed body is the
 * error even when the model, version or label does not exist. Throws that error, if any.
 */
function checkBeforeLookup(body: Buffer, method: InferenceRoute["method"]): void {
  if (method === "infer") return;
  const { body: request } = requestObject(parseBody(body, undefined, method));
  if (method !== "predict") parseExampleList(request);
}

/**
 * JSON.parse reads nesting deeper than a recursive reader can walk: when that overflowed
 * the stack, the JSON parser's nesting error says what is wrong with the body.
 */
function nestingError(body: Buffer, error: unknown): unknown {
  if (!(error instanceof RangeError)) return error;
  try {
    parseBody(body, undefined, "infer");
  } catch (parseError) {
    return parseError;
  }
  return error;
}

/** Servables whose inputs are all floats, strings or booleans: JSON.parse loses nothing. */
const plainJsonIsEnough = new WeakMap<Servable, boolean>();

function parseBody(
  body: Buffer,
  servable: Servable | undefined,
  method: InferenceRoute["method"],
): JsonValue {
  if (body.length === 0) throw invalidArgument("JSON Parse error: The document is empty");
  const text = body.toString("utf8");
  if ((method === "predict" || method === "infer") && servable && canUseJsonParse(servable)) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      // NaN, Infinity, trailing bytes or a real error: the full parser decides.
    }
  }
  try {
    return parseJson(text);
  } catch (error) {
    if (error instanceof JsonParseError)
      throw invalidArgument(`JSON Parse error: ${error.message}`);
    throw toServingError(error);
  }
}

function canUseJsonParse(servable: Servable): boolean {
  let plain = plainJsonIsEnough.get(servable);
  if (plain === undefined) {
    plain = Object.values(servable.signatures.signature_def).every((def) =>
      Object.values(def.inputs).every((info) =>
        ["DT_FLOAT", "DT_DOUBLE", "DT_HALF", "DT_STRING", "DT_BOOL"].includes(info.dtype),
      ),
    );
    plainJsonIsEnough.set(servable, plain);
  }
  return plain;
}
