import { badModel, decodeModel, int64ToNumber, type ModelProto } from "@servable/protocol";
import type { OnnxVersion } from "../loaded-version";
import type { ModelFormat } from "../model-format";
import { readVersionSignatures } from "../signature-file";
import { readVersionFile } from "../version-files";
import { describeGraph, exposeZipMapInputs, findZipMapOutputs } from "@servable/convert";
import { bindSignatures } from "./onnx-signatures";

export const ONNX_MODEL_FILE = "model.onnx";

/**
 * ONNX models (`model.onnx`: PyTorch, PaddlePaddle, scikit-learn, XGBoost... exports),
 * with Servable's signature file beside the model or a derived `serving_default`. The
 * file is decoded and its signatures bound to its graph here; ONNX Runtime, which runs
 * it, may still refuse it (an opset or operator it does not have) when execution
 * creates its session, with its own message.
 */
export const onnxFormat: ModelFormat = {
  name: "onnx",
  marker: "model.onnx (ONNX)",
  detect: (files) => files.includes(ONNX_MODEL_FILE),
  async load(dir: string): Promise<OnnxVersion> {
    const bytes = await readVersionFile(dir, ONNX_MODEL_FILE);
    let model: ModelProto;
    let graph: ReturnType<typeof describeGraph>;
    try {
      model = decodeModel(bytes);
      graph = describeGraph(model);
    } catch (error) {
      throw badModel(`${ONNX_MODEL_FILE} in ${dir} does not parse: ${(error as Error).message}`);
    }
    const unzipped = findZipMapOutputs(graph);
    const bound = bindSignatures(await readVersionSignatures(dir), graph, unzipped);
    const outputs = new Set(graph.outputs.map((o) => o.name));
    return {
      engine: "onnxruntime",
      model: unzipped.length > 0 ? exposeZipMapInputs(bytes, unzipped, outputs) : bytes,
      signatures: bound.signatures,
      classLabels: bound.classLabels,
      bindings: bound.bindings,
      description: describeModel(model),
    };
  },
};

function describeModel(model: ModelProto) {
  return {
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(" "),
    irVersion: int64ToNumber(model.irVersion),
    opsets: Object.fromEntries(
      (model.opsetImport ?? []).map((o) => [o.domain || "ai.onnx", int64ToNumber(o.version)]),
    ),
  };
}
