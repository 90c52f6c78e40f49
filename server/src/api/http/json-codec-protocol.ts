import type { StatusCode, TensorMap } from "@servable/protocol";
import type { ModelView } from "../inference/inference-lifecycle";
import type { InferenceMethod } from "../rest/urls";
import type { AnswerContext, BodyHeaders, JsonPlan } from "./json-codec";

/** The messages between JsonCodecs and its worker thread. */
export type CodecJob =
  | {
      id: number;
      op: "decode";
      method: InferenceMethod;
      body: Uint8Array;
      headers: BodyHeaders;
      model: ModelView | undefined;
    }
  | { id: number; op: "encode"; plan: JsonPlan; outputs: TensorMap; context: AnswerContext };

export type CodecReply =
  | { id: number; plan: JsonPlan | undefined }
  | { id: number; bytes: Uint8Array }
  | {
      id: number;
      error: { code: Exclude<StatusCode, "OK">; message: string; httpStatus?: number };
    };
