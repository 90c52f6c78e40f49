import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  DEFAULT_SIGNATURE,
  encodePredictionLog,
  encodeTfRecords,
  own,
  type PredictionLog,
  type SignatureDef,
  type TensorInfo,
  type TensorProto,
} from "@servable/protocol";

/**
 * A warmup request: a `:predict` body as the REST API takes it, `instances` (rows) or
 * `inputs` (columns), and the signature it runs (default serving_default).
 *
 *     { instances: [[5.1, 3.5, 1.4, 0.2]] }
 *     { inputs: { measurements: [[5.1, 3.5, 1.4, 0.2], [6, 3, 4, 1]] } }
 */
export interface WarmupRequest {
  readonly signature_name?: string;
  readonly instances?: readonly unknown[];
  readonly inputs?: unknown;
}

/** Where TF Serving looks for a version's warmup requests. */
export const WARMUP_FILE = join("assets.extra", "tf_serving_warmup_requests");

/**
 * Writes `requests` into the version folder `dir` as TF Serving's warmup file: a TFRecord
 * of PredictionLogs, each a PredictRequest whose tensors have the signature's dtypes. The
 * server replays them while it loads the version, so the first client request does not
 * pay for compiling the model's kernels.
 * @throws Error naming the request and input that do not fit the signatures.
 */
export async function writeWarmupRequests(
  dir: string,
  model: string,
  requests: readonly WarmupRequest[],
  signatures: Readonly<Record<string, SignatureDef>>,
): Promise<void> {
  if (requests.length > 1000) {
    throw new Error(`${requests.length} warmup requests given: TF Serving replays at most 1000`);
  }
  const logs = requests.map((request, i) => warmupLog(request, model, signatures, i));
  await mkdir(join(dir, "assets.extra"), { recursive: true });
  await writeFile(join(dir, WARMUP_FILE), encodeTfRecords(logs.map(encodePredictionLog)));
}

function warmupLog(
  request: WarmupRequest,
  model: string,
  signatures: Readonly<Record<string, SignatureDef>>,
  index: number,
): PredictionLog {
  const where = `warmup[${index}]`;
  const signatureName = request.signature_name ?? DEFAULT_SIGNATURE;
  const signature = own(signatures, signatureName);
  if (!signature) {
    throw new Error(
      `${where}: the model has no signature ${signatureName} (it has ${Object.keys(signatures).join(", ")})`,
    );
  }
  const columns = requestColumns(request, signature, where);
  const inputs: Record<string, TensorProto> = Object.create(null) as Record<string, TensorProto>;
  for (const [key, value] of columns) {
    const info = own(signature.inputs, key);
    if (!info) {
      throw new Error(
        `${where}: ${key} is not an input of ${signatureName} (its inputs are ${Object.keys(signature.inputs).join(", ")})`,
      );
    }
    inputs[key] = tensorProto(value, info, `${where}.${key}`);
  }
  const missing = Object.keys(signature.inputs).filter((k) => !columns.has(k));
  if (missing.length > 0) throw new Error(`${where}: input ${missing.join(", ")} is missing`);
  return {
    predict_log: {
      request: { model_spec: { name: model, signature_name: signatureName }, inputs },
    },
  };
}

/** Each input's whole value (batch dimension first), from rows or columns. */
function requestColumns(
  request: WarmupRequest,
  signature: SignatureDef,
  where: string,
): Map<string, unknown> {
  const keys = Object.keys(signature.inputs);
  const hasInstances = request.instances !== undefined;
  if (hasInstances === (request.inputs !== undefined)) {
    throw new Error(`${where}: give either instances or inputs, as a :predict body does`);
  }
  if (!hasInstances) {
    if (isRecord(request.inputs)) return new Map(Object.entries(request.inputs));
    if (keys.length !== 1) throw new Error(`${where}: name the inputs (${keys.join(", ")})`);
    return new Map([[keys[0]!, request.inputs]]);
  }
  const rows = request.instances!;
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new Error(`${where}: instances must be a non-empty list`);
  }
  if (rows.every(isRecord)) {
    return new Map(
      keys.map((key) => [key, rows.map((row) => own(row as Record<string, unknown>, key))]),
    );
  }
  if (keys.length !== 1)
    throw new Error(`${where}: name the inputs of each instance (${keys.join(", ")})`);
  return new Map([[keys[0]!, rows]]);
}

/** A nested list (or a scalar) as a TensorProto of the input's dtype. */
function tensorProto(value: unknown, info: TensorInfo, where: string): TensorProto {
  if (value === undefined) throw new Error(`${where} is missing`);
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = (v as unknown[])[0]) shape.push(v.length);
  const flat: unknown[] = [];
  flatten(value, shape, 0, flat, where);
  const tensor: TensorProto = {
    dtype: info.dtype,
    tensor_shape: { dim: shape.map((size) => ({ size })) },
  };
  switch (info.dtype) {
    case "DT_FLOAT":
    case "DT_HALF":
      tensor.float_val = flat.map((x) => number(x, where));
      break;
    case "DT_DOUBLE":
      tensor.double_val = flat.map((x) => number(x, where));
      break;
    case "DT_INT64":
      tensor.int64_val = flat.map((x) => String(integer(x, where)));
      break;
    case "DT_BOOL":
      tensor.bool_val = flat.map((x) => {
        if (typeof x !== "boolean") throw new Error(`${where}: ${String(x)} is not a boolean`);
        return x;
      });
      break;
    case "DT_STRING":
      tensor.string_val = flat.map((x) => {
        if (typeof x === "string") return new TextEncoder().encode(x);
        if (isRecord(x) && typeof x.b64 === "string") return Buffer.from(x.b64, "base64");
        throw new Error(`${where}: ${String(x)} is not a string or {b64: ...}`);
      });
      break;
    default:
      tensor.int_val = flat.map((x) => Number(integer(x, where)));
  }
  return tensor;
}

function flatten(value: unknown, shape: number[], depth: number, out: unknown[], where: string) {
  if (depth === shape.length) {
    if (Array.isArray(value)) throw new Error(`${where} is not rectangular`);
    out.push(value);
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[depth]) {
    throw new Error(`${where} is not rectangular`);
  }
  for (const item of value) flatten(item, shape, depth + 1, out, where);
}

function number(x: unknown, where: string): number {
  if (typeof x !== "number") throw new Error(`${where}: ${String(x)} is not a number`);
  return x;
}

function integer(x: unknown, where: string): bigint {
  if (typeof x === "bigint") return x;
  if (typeof x === "number" && Number.isInteger(x)) return BigInt(x);
  throw new Error(`${where}: ${String(x)} is not an integer`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
