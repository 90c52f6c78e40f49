import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import { describeGraph, exposeZipMapInputs, findZipMapOutputs } from "@servable/convert";
import {
  badModel,
  readSignatureFile,
  decodeModel,
  int64ToNumber,
  type ModelProto,
} from "@servable/protocol";
import type { LoadContext, LoadedModel, ModelFormat } from "../model-format";
import { onnxRuntime, type OnnxRuntime } from "./onnx-runtime";
import { OnnxServable } from "./onnx-servable";
import { bindSignatures } from "./onnx-signatures";
import { sessionOptions } from "./session-options";

export const ONNX_MODEL_FILE = "model.onnx";

/**
 * ONNX models (`model.onnx`: PyTorch, PaddlePaddle, scikit-learn, XGBoost... exports) on
 * onnxruntime's CPU runtime, with Servable's signature file beside the model or a derived
 * `serving_default`. A model onnxruntime cannot load (a bad file, an opset or operator it
 * does not have) fails with onnxruntime's own message; without onnxruntime-node (an
 * optional dependency, see onnx-runtime.ts) every ONNX version fails saying how to get it.
 */
export const onnxFormat: ModelFormat = {
  name: "onnx",
  detect: (files) => files.includes(ONNX_MODEL_FILE),
  async load(dir: string, context: LoadContext): Promise<LoadedModel> {
    const path = join(dir, ONNX_MODEL_FILE);
    const options = sessionOptions(context.options);
    const ort = await onnxRuntime();
    // onnxruntime reads the file first, so that its message is the one a bad file gets.
    let session = await createSession(ort, path, options);
    try {
      const bytes = await readFile(path);
      const model = decodeModel(bytes);
      const graph = describeGraph(model);
      const unzipped = findZipMapOutputs(graph);
      const bound = bindSignatures(await readSignatureFile(dir), graph, unzipped);
      if (unzipped.length > 0) {
        await session.release();
        const outputs = new Set(graph.outputs.map((o) => o.name));
        session = await createSession(ort, exposeZipMapInputs(bytes, unzipped, outputs), options);
      }
      context.logger.info({ dir, ...describeModel(model), options }, "ONNX model loaded");
      const servable = new OnnxServable(session, bound, ort.Tensor);
      return { servable, unload: () => servable.release() };
    } catch (error) {
      await session.release();
      throw error;
    }
  },
};

async function createSession(
  ort: OnnxRuntime,
  source: string | Uint8Array,
  options: InferenceSession.SessionOptions,
): Promise<InferenceSession> {
  try {
    return typeof source === "string"
      ? await ort.InferenceSession.create(source, options)
      : await ort.InferenceSession.create(source, options);
  } catch (error) {
    throw badModel(`ONNX Runtime cannot load the model: ${(error as Error).message}`);
  }
}

function describeModel(model: ModelProto) {
  return {
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(" "),
    irVersion: int64ToNumber(model.irVersion),
    opsets: Object.fromEntries(
      (model.opsetImport ?? []).map((o) => [o.domain || "ai.onnx", int64ToNumber(o.version)]),
    ),
  };
}
