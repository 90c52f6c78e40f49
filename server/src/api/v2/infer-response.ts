import type { TensorMap } from "@servable/protocol";
import { quote } from "../json/pretty-writer";
import { valueFormatter } from "../rest/predict-response";
import { dataTypeToV2 } from "./datatypes";
import type { InferRequest } from "./infer-request";

/**
 * The Open Inference Protocol's infer response:
 *   {"model_name", "model_version", "id"?, "outputs": [{"name", "datatype", "shape", "data"}]}
 * with `data` flat and row-major; BYTES as strings.
 */
export function writeInferResponse(
  name: string,
  version: number,
  request: InferRequest,
  outputs: TensorMap,
): string {
  const parts = request.outputKeys.map((key) => {
    const tensor = outputs[key]!;
    const format = valueFormatter(tensor, false);
    const values = new Array<string>(tensor.data.length);
    for (let i = 0; i < values.length; i++) values[i] = format(i);
    return (
      `{"name":${quote(key)},"datatype":${quote(dataTypeToV2(tensor.dtype))},` +
      `"shape":[${tensor.shape.join(",")}],"data":[${values.join(",")}]}`
    );
  });
  const id = request.id === undefined ? "" : `,"id":${quote(request.id)}`;
  return `{"model_name":${quote(name)},"model_version":${quote(String(version))}${id},"outputs":[${parts.join(",")}]}`;
}
