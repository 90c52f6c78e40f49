/**
 * What --tfjs_engine may say: "auto" (ONNX Runtime when the model compiles and both
 * engines agree, else TF.js), "tfjs", or "onnxruntime" (compile, or fail the load).
 * See tfjs-engine.ts.
 */
export const TFJS_ENGINES = ["auto", "tfjs", "onnxruntime"] as const;
export type TfjsEngine = (typeof TFJS_ENGINES)[number];
