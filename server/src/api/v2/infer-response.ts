import type { TensorMap } from "@servable/protocol";
import { quote } from "../json/pretty-writer";
import { valueFormatter } from "../rest/predict-response";
import { writeBinaryTensor } from "./binary-tensors";
import { dataTypeToV2 } from "./datatypes";
import type { InferRequest } from "./infer-request";

/**
 * An answer with outputs as binary data: the JSON, then each binary output's bytes in the
 * order of `outputs` (the binary tensor data extension).
 */
export interface BinaryInferAnswer {
  readonly json: string;
  readonly tensors: readonly Uint8Array[];
}

/**
 * The Open Inference Protocol's infer response:
 *   {"model_name", "model_version", "id"?, "outputs": [{"name", "datatype", "shape", "data"}]}
 * with `data` flat and row-major; BYTES as strings. An output asked for as binary data has
 * `"parameters": {"binary_data_size": n}` instead of `data`, and the answer is then binary.
 */
export function writeInferResponse(
  name: string,
  version: number,
  request: InferRequest,
  outputs: TensorMap,
): string | BinaryInferAnswer {
  const tensors: Uint8Array[] = [];
  const parts = request.outputKeys.map((key, k) => {
    const tensor = outputs[key]!;
    const head =
      `{"name":${quote(key)},"datatype":${quote(dataTypeToV2(tensor.dtype))},` +
      `"shape":[${tensor.shape.join(",")}]`;
    if (request.binaryOutputs[k]) {
      const bytes = writeBinaryTensor(tensor);
      tensors.push(bytes);
      return `${head},"parameters":{"binary_data_size":${bytes.length}}}`;
    }
    const format = valueFormatter(tensor, false);
    const values = new Array<string>(tensor.data.length);
    for (let i = 0; i < values.length; i++) values[i] = format(i);
    return `${head},"data":[${values.join(",")}]}`;
  });
  const id = request.id === undefined ? "" : `,"id":${quote(request.id)}`;
  const json = `{"model_name":${quote(name)},"model_version":${quote(String(version))}${id},"outputs":[${parts.join(",")}]}`;
  return tensors.length > 0 ? { json, tensors } : json;
}
