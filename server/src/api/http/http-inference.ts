import type { IncomingMessage, ServerResponse } from "node:http";
import {
  INFERENCE_HEADER_CONTENT_LENGTH,
  own,
  ROUTING_KEY_HEADER,
  VERSION_HEADER,
} from "@servable/protocol";
import { sendError } from "./error-response";
import { DeadlineQueue } from "../inference/deadline-queue";
import type { InferenceLifecycle } from "../inference/inference-lifecycle";
import { readBody } from "../request-body";
import type { InferenceRoute } from "../rest/urls";
import type { JsonCodecs } from "./json-codecs";
import type { BodyHeaders, JsonPlan } from "./json-codec";
import { writeAnswer, type HttpAnswer } from "./http-answer";

export interface HttpInferenceOptions {
  /** --rest_api_timeout_in_ms: the whole request, from arrival to the last byte written (0: none). */
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
}

/**
 * The HTTP side of `:predict`, `:classify`, `:regress` (TF Serving's REST) and V2's
 * `/infer`, on the lean path (no middleware): the request's deadline starts on arrival,
 * its body is read and decoded by the JSON codec, the inference lifecycle runs it, and
 * the answer is written, all before the deadline, which answers 504 when it comes first.
 */
export class HttpInference {
  readonly #deadlines: DeadlineQueue | undefined;

  constructor(
    private readonly lifecycle: InferenceLifecycle,
    private readonly codecs: JsonCodecs,
    private readonly options: HttpInferenceOptions,
  ) {
    this.#deadlines = options.timeoutMs > 0 ? new DeadlineQueue(options.timeoutMs) : undefined;
  }

  handle(req: IncomingMessage, res: ServerResponse, route: InferenceRoute): void {
    const deadline = this.#deadlines?.start();
    const body = readBody(req, this.options.maxBodyBytes);
    const { codecs } = this;
    const routingKey = req.headers[ROUTING_KEY_HEADER];
    const headerLength = req.headers[INFERENCE_HEADER_CONTENT_LENGTH];
    const headers: BodyHeaders =
      route.method === "infer" && typeof headerLength === "string"
        ? { inferenceHeaderLength: headerLength }
        : {};
    this.lifecycle
      .infer<JsonPlan, HttpAnswer>({
        spec: route.spec,
        api: route.method,
        entrypoint: "REST",
        deadline,
        routingKey: typeof routingKey === "string" ? routingKey : undefined,
        // Every answer says which version gave it (the rollouts' split is per request).
        onResolved: (version) => res.setHeader(VERSION_HEADER, version),
        decode: (servable) =>
          body.then((bytes) => codecs.decode(route.method, bytes, servable, headers)),
        encode: (outputs, plan, handle) =>
          codecs.encode(plan, outputs, {
            model: route.spec.name,
            version: handle.id.version,
            classLabels: own(handle.servable.classLabels, plan.signatureName),
          }),
      })
      .then(
        (answer) => {
          if (!deadline) {
            writeAnswer(res, answer);
            return;
          }
          // Writing is part of the request: a client too slow to take the answer loses it.
          deadline.onExpire(() => res.destroy());
          writeAnswer(res, answer, () => deadline.settle());
        },
        (error: unknown) => {
          sendError(res, error);
          deadline?.settle();
        },
      );
  }
}
