import type { ModelFormat } from "./model-format";
import { tfjsFormat } from "./tfjs/tfjs-format";

/** The formats a version directory may hold, tried in this order. */
export const MODEL_FORMATS: readonly ModelFormat[] = [tfjsFormat];
