import { stat } from "node:fs/promises";
import {
  decodePredictionLog,
  readTfRecordFile,
  requestLogFiles,
  tensorFromProto,
  type ExampleMessage,
  type Int64,
  type PredictionLog,
  type TensorProto,
} from "@servable/protocol";
import type { Example } from "./inference";

/** One logged request with its answer, as the server's request log holds it. */
export interface LoggedRequest {
  readonly kind: "predict" | "classify" | "regress" | "multi_inference";
  readonly model: string;
  /** The version that answered. */
  readonly version: number | undefined;
  readonly signature: string;
  /** When it was answered (to the second). */
  readonly time: Date | undefined;
  /** TF Serving's request message (PredictRequest, ClassificationRequest…), proto field names. */
  readonly request: unknown;
  /** TF Serving's response message. */
  readonly response: unknown;
  /** Predict: the inputs as nested lists by input key, a columnar `predict` argument. */
  readonly inputs?: Record<string, unknown>;
  /** Classify and regress: the examples, as `classify` and `regress` take them. */
  readonly examples?: Example[];
}

/**
 * Reads a request log back: the file at `path`, or every file of the log whose
 * `filename_prefix` is `path` (`<prefix>-00000.tfrecord`, …), oldest first. To replay a
 * day of traffic against a new version:
 *
 *     for await (const r of readRequestLog("/var/log/servable/iris")) {
 *       if (r.kind === "predict") await predict("iris", r.inputs!, { version: 2 });
 *     }
 *
 * @throws Error naming the file and record when a file is corrupt (masked CRC-32C).
 */
export async function* readRequestLog(path: string): AsyncGenerator<LoggedRequest> {
  const isFile = (await stat(path).catch(() => undefined))?.isFile() ?? false;
  const files = isFile ? [path] : (await requestLogFiles(path)).map((f) => f.path);
  if (files.length === 0)
    throw new Error(`No request log at ${path} (nor ${path}-00000.tfrecord…)`);
  for (const file of files) {
    for (const record of await readTfRecordFile(file)) {
      const entry = loggedRequest(decodePredictionLog(record));
      if (entry) yield entry;
    }
  }
}

function loggedRequest(log: PredictionLog): LoggedRequest | undefined {
  const spec = log.log_metadata?.model_spec;
  const seconds = log.log_metadata?.timestamp_secs;
  const common = {
    model: spec?.name ?? "",
    version: spec?.version?.value !== undefined ? Number(spec.version.value) : undefined,
    signature: spec?.signature_name || "serving_default",
    time: seconds !== undefined ? new Date(Number(seconds) * 1000) : undefined,
  };
  if (log.predict_log) {
    const { request, response } = log.predict_log;
    const inputs = Object.create(null) as Record<string, unknown>;
    for (const [key, proto] of Object.entries(request?.inputs ?? {})) inputs[key] = nested(proto);
    return { kind: "predict", ...common, request, response, inputs };
  }
  const examples = log.classify_log ?? log.regress_log;
  if (examples) {
    const list = examples.request?.input?.example_list?.examples ?? [];
    return {
      kind: log.classify_log ? "classify" : "regress",
      ...common,
      request: examples.request,
      response: examples.response,
      examples: list.map(exampleJson),
    };
  }
  if (log.multi_inference_log) {
    const { request, response } = log.multi_inference_log;
    return { kind: "multi_inference", ...common, request, response };
  }
  return undefined;
}

/** A TensorProto as nested lists (strings as text, int64s as numbers). */
function nested(proto: TensorProto): unknown {
  const tensor = tensorFromProto(proto, "logged input");
  const decoder = new TextDecoder();
  const flat = Array.from(tensor.data as ArrayLike<unknown>, (v) =>
    v instanceof Uint8Array ? decoder.decode(v) : typeof v === "bigint" ? Number(v) : v,
  );
  const build = (depth: number, start: number): [unknown, number] => {
    if (depth === tensor.shape.length) return [flat[start], start + 1];
    const items: unknown[] = [];
    let at = start;
    for (let i = 0; i < tensor.shape[depth]!; i++) {
      const [item, next] = build(depth + 1, at);
      items.push(item);
      at = next;
    }
    return [items, at];
  };
  return build(0, 0)[0];
}

function exampleJson(example: ExampleMessage): Example {
  const out: Record<string, (number | bigint | string)[]> = Object.create(null) as Record<
    string,
    (number | bigint | string)[]
  >;
  const decoder = new TextDecoder();
  for (const [name, f] of Object.entries(example.features?.feature ?? {})) {
    if (f.bytes_list) out[name] = (f.bytes_list.value ?? []).map((b) => decoder.decode(b));
    else if (f.int64_list) out[name] = (f.int64_list.value ?? []).map((v: Int64) => BigInt(v));
    else out[name] = f.float_list?.value ?? [];
  }
  return out;
}
