import type { HostTensor, TensorMap } from "@servable/protocol";
import type { SignatureBinding } from "../../formats/onnx/onnx-signatures";

/**
 * ONNX classifier and regressor outputs in the shapes TF Serving's classify and regress
 * take (classifier.cc, regressor.cc), for the outputs a classify or regress signature
 * binds:
 *
 * - classes, one label per example ([N], int64 or string: an ai.onnx.ml classifier's
 *   `label`) with scores beside it: every example gets the model's class labels in the
 *   order of the score columns ([N, C] strings), so each class is paired with its score;
 *   without scores, the predicted label alone ([N, 1]).
 * - classes as a matrix ([N, C]): as text (int64 labels in decimal).
 * - scores (float32 or float64 [N, C], or a ZipMap's probabilities, already a matrix
 *   here): float32.
 * - regress outputs (any numeric [N] or [N, 1]): float32.
 */
export function toServedOutputs(outputs: TensorMap, binding: SignatureBinding): TensorMap {
  const served = Object.create(null) as TensorMap;
  const hasScores = [...binding.outputs.values()].some((o) => o.role === "scores");
  for (const [key, tensor] of Object.entries(outputs)) {
    const role = binding.outputs.get(key)?.role ?? "tensor";
    if (role === "classes") {
      served[key] = classesMatrix(tensor, hasScores ? binding.classLabels : undefined);
    } else if (role === "scores" || role === "regress") {
      served[key] = asFloat32(tensor);
    } else {
      served[key] = tensor;
    }
  }
  return served;
}

function classesMatrix(tensor: HostTensor, labels: readonly string[] | undefined): HostTensor {
  if (tensor.shape.length !== 1) return asStrings(tensor);
  const rows = tensor.shape[0]!;
  if (!labels) return { ...asStrings(tensor), shape: [rows, 1] };
  const encoded = labels.map((l) => new TextEncoder().encode(l));
  const data: Uint8Array[] = [];
  for (let i = 0; i < rows; i++) data.push(...encoded);
  return { dtype: "DT_STRING", shape: [rows, labels.length], data };
}

function asStrings(tensor: HostTensor): HostTensor {
  if (tensor.dtype === "DT_STRING") return tensor;
  const encoder = new TextEncoder();
  const values = tensor.data as ArrayLike<number | bigint>;
  const data = Array.from({ length: values.length }, (_, i) => encoder.encode(String(values[i])));
  return { dtype: "DT_STRING", shape: tensor.shape, data };
}

function asFloat32(tensor: HostTensor): HostTensor {
  if (tensor.dtype === "DT_FLOAT" || tensor.dtype === "DT_STRING") return tensor;
  const values = tensor.data as ArrayLike<number | bigint>;
  const data = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = Number(values[i]);
  return { dtype: "DT_FLOAT", shape: tensor.shape, data };
}
