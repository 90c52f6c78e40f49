import {
  invalidArgument,
  ServingError,
  DEFAULT_SIGNATURE,
  type SignatureDef,
  type SignatureDefMap,
  type TensorInfo,
  type TensorMap,
  signatureNotFound,
  own,
} from "@servable/protocol";
import { newTensorMap } from "../inference/tensor-map";
import { jsonDebugString } from "../json/debug-string";
import { isJsonObject, type JsonObject, type JsonValue } from "../json/json-parser";
import {
  denseShape,
  formatShapeForError,
  isBase64Object,
  jsonToTensor,
  TensorBuilder,
} from "./json-tensor";

/**
 * The body of a predict request to input tensors (TF Serving's
 * `FillPredictRequestFromJson`): the row format ("instances") or the columnar one
 * ("inputs"), checked against the signature's inputs with TF Serving's error texts.
 */
export type RequestFormat = "row" | "columnar";

export interface PredictRequest {
  signatureName: string;
  signature: SignatureDef;
  format: RequestFormat;
  inputs: TensorMap;
}

/** The body's top-level object and the signature it names: what TF Serving reads first. */
export interface RequestObject {
  body: JsonObject;
  signatureName: string;
}

/**
 * The request body's top-level object and the signature name it asks for: what TF
 * Serving checks before it looks the model up.
 */
export function requestObject(doc: JsonValue): RequestObject {
  if (!isJsonObject(doc))
    throw invalidArgument(`JSON Value: ${jsonDebugString(doc)} Is not object`);
  const requested = doc.signature_name;
  if (requested !== undefined && typeof requested !== "string") {
    throw invalidArgument(
      `JSON Value: ${jsonDebugString(doc)} not formatted correctly. 'signature_name' key must be a string value.`,
    );
  }
  return { body: doc, signatureName: requested || DEFAULT_SIGNATURE };
}

/** The signature a request names. @throws ServingError INVALID_ARGUMENT when there is none. */
export function signatureOf(signatures: SignatureDefMap, signatureName: string): SignatureDef {
  const signature = own(signatures.signature_def, signatureName);
  if (!signature) throw invalidArgument(signatureNotFound(signatureName));
  return signature;
}

/** A whole predict body against a version's signatures. */
export function parsePredictRequest(doc: JsonValue, signatures: SignatureDefMap): PredictRequest {
  return predictRequest(requestObject(doc), signatures);
}

/** The predict request of a body whose top-level object has been read. */
export function predictRequest(
  { body, signatureName }: RequestObject,
  signatures: SignatureDefMap,
): PredictRequest {
  const signature = signatureOf(signatures, signatureName);
  const infos = signature.inputs;
  if (Object.keys(infos).length === 0) {
    throw invalidArgument(`Failed to get input map for signature: ${signatureName || "DEFAULT"}`);
  }
  const instances = body.instances;
  const inputs = body.inputs;
  if (instances !== undefined && inputs !== undefined) {
    throw invalidArgument(
      `JSON Value: ${jsonDebugString(body)} Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist `,
    );
  }
  if (instances !== undefined) {
    if (!Array.isArray(instances)) {
      throw invalidArgument(
        `JSON Value: ${jsonDebugString(body)} Expecting 'instances' to be an list/array`,
      );
    }
    if (instances.length === 0) {
      throw invalidArgument(`JSON Value: ${jsonDebugString(body)} No values in 'instances' array`);
    }
    return {
      signatureName,
      signature,
      format: "row",
      inputs: tensorsFromInstances(instances, infos),
    };
  }
  if (inputs !== undefined) {
    return {
      signatureName,
      signature,
      format: "columnar",
      inputs: tensorsFromInputs(inputs, infos),
    };
  }
  throw invalidArgument("Missing 'inputs' or 'instances' key");
}

/** An element of "instances" that names its inputs (an object that is not {"b64": ...}). */
const isNamedElement = (value: JsonValue): boolean => isJsonObject(value) && !isBase64Object(value);

/** An input's tensor as "instances" fill it, the first element's shape setting the pace. */
interface Collected {
  shape: number[];
  size: number;
  builder: TensorBuilder;
}

function tensorsFromInstances(
  instances: JsonValue[],
  infos: Record<string, TensorInfo>,
): TensorMap {
  const names = Object.keys(infos);
  if (!isJsonObject(instances[0]) && names.length > 1) {
    throw invalidArgument(
      "instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map",
    );
  }
  const named = isNamedElement(instances[0]!);
  const collected = new Map<string, Collected>();
  instances.forEach((element, index) => {
    if (named) {
      if (!isNamedElement(element)) {
        throw invalidArgument(`Expecting object but got list at item ${index} of input list`);
      }
      const object = element as JsonObject;
      for (const [key, value] of Object.entries(object)) {
        wrapElementError(
          `Failed to process element: ${index} key: ${key} of 'instances' list. Error: `,
          () => addInstanceItem(value, key, infos, collected, instances.length),
        );
      }
      const keys = Object.keys(object).sort();
      const expected = [...names].sort();
      if (keys.join("\u0000") !== expected.join("\u0000")) {
        throw invalidArgument(
          `Failed to process element: ${index} of 'instances' list. JSON object: ${jsonDebugString(element)} keys must be equal to: ${expected.join(",")}`,
        );
      }
    } else {
      if (isNamedElement(element)) {
        throw invalidArgument(`Expecting value/list but got object at item ${index} of input list`);
      }
      wrapElementError(`Failed to process element: ${index} of 'instances' list. Error: `, () =>
        addInstanceItem(element, names[0]!, infos, collected, instances.length),
      );
    }
  });
  const tensors = newTensorMap();
  for (const [name, { shape, builder }] of collected) {
    tensors[name] = builder.finish([instances.length, ...shape]);
  }
  return tensors;
}

function addInstanceItem(
  item: JsonValue,
  name: string,
  infos: Record<string, TensorInfo>,
  collected: Map<string, Collected>,
  rows: number,
): void {
  const info = own(infos, name);
  if (!info) throw invalidArgument(`JSON object: does not have named input: ${name}`);
  const shape = denseShape(item);
  const size = shape.reduce((a, b) => a * b, 1);
  const first = collected.get(name);
  if (!first) {
    const builder = new TensorBuilder(info.dtype, size * rows);
    builder.fill(item, shape);
    collected.set(name, { shape, size, builder });
    return;
  }
  if (size !== first.size || shape.join(",") !== first.shape.join(",")) {
    // TF Serving reports an element's own structure errors before its size or shape.
    new TensorBuilder(info.dtype, size).fill(item, shape);
    if (size !== first.size) {
      throw invalidArgument(`Expecting tensor size: ${first.size} but got: ${size}`);
    }
    throw invalidArgument(
      `Expecting shape ${formatShapeForError(first.shape)} but got: ${formatShapeForError(shape)}`,
    );
  }
  first.builder.fill(item, shape);
}

/** TF Serving quotes an element's own error after its position, with the error's code. */
function wrapElementError(prefix: string, body: () => void): void {
  try {
    body();
  } catch (error) {
    if (!(error instanceof ServingError)) throw error;
    throw invalidArgument(`${prefix}${error.code}: ${error.message}`);
  }
}

function tensorsFromInputs(inputs: JsonValue, infos: Record<string, TensorInfo>): TensorMap {
  const names = Object.keys(infos);
  if (!isJsonObject(inputs) || isBase64Object(inputs)) {
    if (names.length > 1) {
      throw invalidArgument(
        "inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map",
      );
    }
    const tensors = newTensorMap();
    tensors[names[0]!] = jsonToTensor(inputs, infos[names[0]!]!.dtype);
    return tensors;
  }
  const tensors = newTensorMap();
  for (const name of names) {
    const value = own(inputs, name);
    if (value === undefined)
      throw invalidArgument(`Missing named input: ${name} in 'inputs' object.`);
    tensors[name] = jsonToTensor(value, infos[name]!.dtype);
  }
  return tensors;
}
