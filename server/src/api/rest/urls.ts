import { invalidArgument } from "@servable/protocol";
import type { ModelSpec } from "../../core/server-core";

/**
 * TF Serving's REST URL forms (http_rest_api_util.cc), matched case-insensitively:
 *   POST /v1/models/{name}[/versions/{v}|/labels/{l}]:(predict|classify|regress)
 *   GET  /v1/models[/{name}[/versions/{v}|/labels/{l}]][/metadata]
 */
const INFERENCE =
  /^\/v1\/models\/([^/:]+)(?:\/versions\/(\d+)|\/labels\/([^/:]+))?:(classify|regress|predict)$/i;
/** The Open Inference Protocol's (KServe V2) infer URL. */
const V2_INFER = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/infer$/;
const STATUS =
  /^\/v1\/models(?:\/([^/:]+))?(?:\/versions\/(\d+)|\/labels\/([^/:]+))?(?:\/(metadata))?$/i;

export type InferenceMethod = "predict" | "classify" | "regress" | "infer";

export interface InferenceRoute {
  spec: ModelSpec;
  method: InferenceMethod;
}

export interface StatusRoute {
  /** Undefined for GET /v1/models (Servable's listing of every model). */
  spec: ModelSpec | undefined;
  metadata: boolean;
}

export function matchInferenceRoute(path: string): InferenceRoute | undefined {
  const v2 = V2_INFER.exec(path);
  if (v2) return { spec: v2ModelSpec(v2[1]!, v2[2]), method: "infer" };
  const m = INFERENCE.exec(path);
  if (!m) return undefined;
  return { spec: modelSpec(m[1]!, m[2], m[3]), method: m[4]!.toLowerCase() as InferenceMethod };
}

export function matchStatusRoute(path: string): StatusRoute | undefined {
  const m = STATUS.exec(path);
  if (!m) return undefined;
  if (m[1] === undefined)
    return m[2] || m[3] || m[4] ? undefined : { spec: undefined, metadata: false };
  return { spec: modelSpec(m[1], m[2], m[3]), metadata: m[4] !== undefined };
}

function modelSpec(
  rawName: string,
  rawVersion: string | undefined,
  rawLabel: string | undefined,
): ModelSpec {
  const name = unescape(rawName);
  if (rawVersion !== undefined) {
    const version = Number(rawVersion);
    if (!Number.isSafeInteger(version))
      throw invalidArgument(`Failed to convert version: ${rawVersion} to numeric.`);
    return { name, version };
  }
  return rawLabel === undefined ? { name } : { name, label: unescape(rawLabel) };
}

/** A V2 model and version; V2 versions are strings, Servable's are integers. */
export function v2ModelSpec(rawName: string, rawVersion: string | undefined): ModelSpec {
  if (rawVersion !== undefined && !/^\d+$/.test(rawVersion)) {
    throw invalidArgument(`Model version must be an integer, got: ${rawVersion}`);
  }
  return modelSpec(rawName, rawVersion, undefined);
}

/** URL-decodes like curl_easy_unescape: a malformed escape stays as written. */
function unescape(text: string): string {
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) =>
      String.fromCharCode(parseInt(hex, 16)),
    );
  }
}
