import {
  invalidArgument,
  DEFAULT_SIGNATURE,
  type SignatureDef,
  type SignatureDefMap,
  type TensorMap,
  signatureNotFound,
  own,
} from "@servable/protocol";
import { newTensorMap } from "../inference/tensor-map";
import { jsonDebugString } from "../json/debug-string";
import { isJsonObject, type JsonObject, type JsonValue } from "../json/json-parser";
import { TensorBuilder } from "../rest/json-tensor";
import { readBinaryTensor } from "./binary-tensors";
import { dataTypeToV2, v2ToDataType } from "./datatypes";

/**
 * An Open Inference Protocol (KServe V2) infer request to input tensors:
 *   {"id"?, "parameters"?: {"signature_name"?, "binary_data_output"?},
 *    "inputs": [{"name", "shape", "datatype", "data" | "parameters": {"binary_data_size"}}],
 *    "outputs"?: [{"name", "parameters"?: {"binary_data"?}}]}
 * Inputs are the signature's input keys (serving_default unless parameters.signature_name
 * names another); `data` is row-major, flat or nested. With the binary tensor data
 * extension an input's bytes follow the JSON instead (binary-tensors.ts), and outputs
 * asked for as binary data are answered that way.
 */
export interface InferRequest {
  id: string | undefined;
  signatureName: string;
  signature: SignatureDef;
  inputs: TensorMap;
  /** Output keys asked for; all of them when the request names none. */
  outputKeys: readonly string[];
  /** Per output key above: answered as binary data. */
  binaryOutputs: readonly boolean[];
}

/** The body's top-level object: what is read before the model is looked up. */
export function inferBody(doc: JsonValue): JsonObject {
  if (!isJsonObject(doc)) throw invalidArgument("Infer request must be a JSON object");
  return doc;
}

/**
 * An infer body against a version's signatures; `binary` is what followed the JSON
 * (empty without the extension).
 */
export function inferRequest(
  doc: JsonObject,
  binary: Uint8Array,
  signatures: SignatureDefMap,
): InferRequest {
  const parameters = isJsonObject(doc.parameters) ? doc.parameters : undefined;
  const requested = parameters && own(parameters, "signature_name");
  if (requested !== undefined && typeof requested !== "string") {
    throw invalidArgument("parameters.signature_name must be a string");
  }
  const allBinary = booleanParameter(parameters, "binary_data_output", "parameters") ?? false;
  const signatureName = requested || DEFAULT_SIGNATURE;
  const signature = own(signatures.signature_def, signatureName);
  if (!signature) throw invalidArgument(signatureNotFound(signatureName));
  if (!Array.isArray(doc.inputs)) throw invalidArgument("Infer request needs an 'inputs' list");

  const inputs = newTensorMap();
  let binaryAt = 0;
  for (const input of doc.inputs) {
    if (!isJsonObject(input) || typeof input.name !== "string") {
      throw invalidArgument("Each input needs a 'name', a 'shape', a 'datatype' and 'data'");
    }
    const name = input.name;
    const info = own(signature.inputs, name);
    if (!info) {
      throw invalidArgument(
        `Unexpected input '${name}': the model's inputs are ${Object.keys(signature.inputs).join(", ")}`,
      );
    }
    const datatype = input.datatype;
    const dtype = typeof datatype === "string" ? v2ToDataType(datatype) : undefined;
    if (dtype !== info.dtype) {
      throw invalidArgument(
        `Input '${name}' has datatype ${jsonText(datatype)} but the model expects ${dataTypeToV2(info.dtype)}`,
      );
    }
    const shape = input.shape;
    if (
      !Array.isArray(shape) ||
      !shape.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)
    ) {
      throw invalidArgument(`Input '${name}' needs a 'shape' of non-negative integers`);
    }
    const dims = shape as number[];
    const binarySize = binaryDataSize(input, name);
    if (binarySize !== undefined) {
      if (input.data !== undefined) {
        throw invalidArgument(`Input '${name}' has both 'data' and parameters.binary_data_size`);
      }
      if (binaryAt + binarySize > binary.length) {
        throw invalidArgument(
          `Input '${name}' has binary_data_size ${binarySize} but only ${binary.length - binaryAt} bytes of binary data are left`,
        );
      }
      const bytes = binary.subarray(binaryAt, binaryAt + binarySize);
      binaryAt += binarySize;
      inputs[name] = { dtype, shape: dims, data: readBinaryTensor(name, dtype, dims, bytes) };
      continue;
    }
    const flat = flatten(input.data, name);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (flat.length !== expected) {
      throw invalidArgument(
        `Input '${name}' has ${flat.length} values but shape [${dims.join(",")}] needs ${expected}`,
      );
    }
    const builder = new TensorBuilder(dtype, expected);
    builder.fill(flat, [flat.length]);
    inputs[name] = builder.finish(dims);
  }
  for (const key of Object.keys(signature.inputs)) {
    if (!own(inputs, key)) throw invalidArgument(`Missing input '${key}'`);
  }

  if (binaryAt !== binary.length) {
    throw invalidArgument(
      `The body has ${binary.length - binaryAt} bytes of binary data beyond the inputs' binary_data_size`,
    );
  }

  let outputKeys = Object.keys(signature.outputs);
  let binaryOutputs = outputKeys.map(() => allBinary);
  if (Array.isArray(doc.outputs) && doc.outputs.length > 0) {
    binaryOutputs = [];
    outputKeys = doc.outputs.map((o) => {
      const key = isJsonObject(o) ? o.name : undefined;
      if (typeof key !== "string" || !own(signature.outputs, key)) {
        throw invalidArgument(`Unknown output requested: ${jsonText(key)}`);
      }
      const outputParameters =
        isJsonObject(o) && isJsonObject(o.parameters) ? o.parameters : undefined;
      binaryOutputs.push(
        booleanParameter(outputParameters, "binary_data", `Output '${key}' parameters`) ??
          allBinary,
      );
      return key;
    });
  }
  const id = typeof doc.id === "string" ? doc.id : undefined;
  return { id, signatureName, signature, inputs, outputKeys, binaryOutputs };
}

/** An input's parameters.binary_data_size, if it has one. */
function binaryDataSize(input: JsonObject, name: string): number | undefined {
  const parameters = isJsonObject(input.parameters) ? input.parameters : undefined;
  const size = parameters && own(parameters, "binary_data_size");
  if (size === undefined) return undefined;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw invalidArgument(
      `Input '${name}' parameters.binary_data_size must be a non-negative integer, not ${jsonText(size)}`,
    );
  }
  return size;
}

function booleanParameter(
  parameters: JsonObject | undefined,
  key: string,
  where: string,
): boolean | undefined {
  const value = parameters && own(parameters, key);
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") {
    throw invalidArgument(`${where}.${key} must be true or false, not ${jsonText(value)}`);
  }
  return value;
}

/** A value a client wrote, as error texts quote it (a string as it is). */
const jsonText = (value: JsonValue | undefined): string =>
  value === undefined ? "undefined" : typeof value === "string" ? value : jsonDebugString(value);

/** Row-major leaves of flat or nested `data`. */
function flatten(data: JsonValue | undefined, name: string): JsonValue[] {
  if (!Array.isArray(data)) throw invalidArgument(`Input '${name}' needs 'data' as a list`);
  if (!data.some(Array.isArray)) return data;
  const out: JsonValue[] = [];
  const walk = (v: JsonValue): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(v);
  };
  walk(data);
  return out;
}
