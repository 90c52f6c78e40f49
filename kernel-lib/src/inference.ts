import type { Tensor } from "@tensorflow/tfjs";
import type { GetModelMetadataResponse } from "@servable/protocol";
import { RawJson, request } from "./client/request";
import { resolveServer, type ServerAddress } from "./client/server-address";
import {
  classificationsHtml,
  outputsHtml,
  predictionsHtml,
  regressionsHtml,
  showResults,
} from "./display/results-table";
import type { CallOptions } from "./management";
import { exampleFormat, examplesBody } from "./examples-json";
import { modelPath, type VersionChoice } from "./client/model-path";

/** A tensor of any TF.js copy: all the library asks of it is its values. */
export interface TensorLike {
  arraySync(): unknown;
  readonly shape: readonly number[];
}

/**
 * Inputs of `predict`: a list of instances (TF Serving's row format: numbers, nested
 * lists, or objects of named inputs), an object of named inputs (the columnar format), or
 * a tensor (its first dimension is the batch).
 */
export type PredictInputs = readonly unknown[] | Readonly<Record<string, unknown>> | TensorLike;

/** A tf.Example as JSON: feature name -> value(s); a bigint is an int64 feature. */
export type Example = Readonly<
  Record<string, number | bigint | string | readonly (number | bigint | string)[]>
>;

/**
 * Examples of `classify` and `regress`: tf.Examples as JSON, or rows of values (a list
 * or a tensor) for a signature with one input.
 */
export type Examples = readonly Example[] | readonly (readonly number[])[] | TensorLike;

export interface InferenceOptions extends CallOptions, VersionChoice {
  /** The signature to run (default: TF Serving's, serving_default). */
  readonly signature?: string;
}

export interface ExamplesOptions extends InferenceOptions {
  /** The feature a row of values fills (default: the signature's only input). */
  readonly feature?: string;
}

/** One example's classes and scores, as TF Serving answers: [[label, score], ...]. */
export type Classification = [label: string, score: number][];

/**
 * Runs `:predict` on the server and returns its answer: `predictions` for row inputs,
 * `outputs` for named (columnar) inputs; as tensors with `{tensors: true}`.
 */
export async function predict(
  name: string,
  inputs: PredictInputs,
  options: InferenceOptions & { readonly tensors: true },
): Promise<Tensor | Record<string, Tensor>>;
export async function predict<T = number[][]>(
  name: string,
  inputs: PredictInputs,
  options?: InferenceOptions & { readonly tensors?: false },
): Promise<T>;
export async function predict(
  name: string,
  inputs: PredictInputs,
  options: InferenceOptions & { readonly tensors?: boolean } = {},
): Promise<unknown> {
  const server = await resolveServer(options);
  const columnar = !isTensor(inputs) && !Array.isArray(inputs);
  const body = {
    ...(options.signature !== undefined && { signature_name: options.signature }),
    ...(columnar
      ? { inputs: mapValues(inputs as Record<string, unknown>, plain) }
      : { instances: plainList(inputs) }),
  };
  const answer = await request<{ predictions?: unknown[]; outputs?: unknown }>(
    server,
    `${modelPath(name, options)}:predict`,
    { json: body },
  );
  const result = columnar ? answer.outputs : answer.predictions;
  if (options.display !== false) {
    showResults(columnar ? outputsHtml(result) : predictionsHtml(result as unknown[]));
  }
  return options.tensors ? toTensors(result, !columnar) : result;
}

/** Runs `:classify`: for each example, its classes with their scores. */
export async function classify(
  name: string,
  examples: Examples,
  options: ExamplesOptions = {},
): Promise<Classification[]> {
  const { results } = await examplesCall<Classification[]>(name, examples, options, "classify");
  if (options.display !== false) showResults(classificationsHtml(results));
  return results;
}

/** Runs `:regress`: one value per example. */
export async function regress(
  name: string,
  examples: Examples,
  options: ExamplesOptions = {},
): Promise<number[]> {
  const { results } = await examplesCall<number[]>(name, examples, options, "regress");
  if (options.display !== false) showResults(regressionsHtml(results));
  return results;
}

const METHOD_NAMES = {
  classify: "tensorflow/serving/classify",
  regress: "tensorflow/serving/regress",
} as const;

async function examplesCall<T>(
  name: string,
  examples: Examples,
  options: ExamplesOptions,
  method: "classify" | "regress",
): Promise<{ results: T }> {
  const server = await resolveServer(options);
  const rows = isTensor(examples) ? (examples.arraySync() as unknown[]) : [...examples];
  const defs = await signatureDefs(server, name, options);
  const signature = options.signature ?? defaultSignature(defs, method);
  const format = exampleFormat(defs, signature ?? "serving_default", options.feature);
  const features = rows.map((row): Record<string, unknown> => {
    if (!Array.isArray(row) && !isTensor(row)) {
      return mapValues(row as Record<string, unknown>, plain);
    }
    if (format.rowFeature === undefined) {
      throw new Error(
        `Rows of values need a feature name: signature ${signature ?? "serving_default"} does not show one; give {feature} or examples as objects of features`,
      );
    }
    return { [format.rowFeature]: plain(row) };
  });
  return request<{ results: T }>(server, `${modelPath(name, options)}:${method}`, {
    json: new RawJson(examplesBody(features, format, signature)),
  });
}

type SignatureDefs = GetModelMetadataResponse["metadata"]["signature_def"]["signature_def"];

async function signatureDefs(
  server: ServerAddress,
  name: string,
  choice: VersionChoice,
): Promise<SignatureDefs> {
  const answer = await request<GetModelMetadataResponse>(
    server,
    `${modelPath(name, choice)}/metadata`,
  );
  return answer.metadata.signature_def.signature_def;
}

/** serving_default when it does `method`, else the model's only signature that does. */
function defaultSignature(defs: SignatureDefs, method: "classify" | "regress"): string | undefined {
  if (defs.serving_default?.method_name === METHOD_NAMES[method]) return "serving_default";
  const matching = Object.entries(defs).filter(([, d]) => d.method_name === METHOD_NAMES[method]);
  return matching.length === 1 ? matching[0]![0] : undefined;
}

function isTensor(value: unknown): value is TensorLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as TensorLike).arraySync === "function" &&
    Array.isArray((value as TensorLike).shape)
  );
}

/** Tensors become nested lists; anything else is sent as it is. */
function plain(value: unknown): unknown {
  return isTensor(value) ? value.arraySync() : value;
}

function plainList(inputs: PredictInputs): unknown[] {
  if (isTensor(inputs)) return inputs.arraySync() as unknown[];
  return (inputs as readonly unknown[]).map((item) =>
    typeof item === "object" && item !== null && !Array.isArray(item) && !isTensor(item)
      ? mapValues(item as Record<string, unknown>, plain)
      : plain(item),
  );
}

function mapValues(
  object: Readonly<Record<string, unknown>>,
  f: (value: unknown) => unknown,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, f(v)]));
}

/** The answer as tensors: one, or one per named output (rows of named outputs are stacked). */
async function toTensors(result: unknown, rows: boolean): Promise<Tensor | Record<string, Tensor>> {
  const tf = await import("@tensorflow/tfjs");
  const named = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  if (rows && Array.isArray(result) && named(result[0])) {
    const keys = Object.keys(result[0]);
    return Object.fromEntries(
      keys.map((k) => [
        k,
        tf.tensor(result.map((row) => (row as Record<string, unknown>)[k]) as number[]),
      ]),
    );
  }
  if (!rows && named(result)) {
    return Object.fromEntries(
      Object.entries(result).map(([k, v]) => [k, tf.tensor(v as number[])]),
    );
  }
  return tf.tensor(result as number[]);
}
