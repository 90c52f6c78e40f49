import type { ModelFormat } from "./model-format";
import { onnxFormat } from "./onnx/onnx-format";
import { savedModelFormat } from "./savedmodel/savedmodel-format";
import { tfjsFormat } from "./tfjs/tfjs-format";

/** The formats a version directory may hold, tried in this order. */
export const MODEL_FORMATS: readonly ModelFormat[] = [tfjsFormat, onnxFormat, savedModelFormat];
