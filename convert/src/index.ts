/**
 * `@servable/convert`: the model converters the server and the kernel library share, in
 * one place. It depends on `@servable/protocol` (and protobufjs) only; TF.js models come
 * in as structural types, so it never loads TF.js itself.
 *
 *   tfjs/        what a TF.js model is to a converter: its tensors and layers, dtypes,
 *                following a layers model's graph; writing a TF.js model folder
 *   savedmodel/  TF.js layers model -> frozen TensorFlow SavedModel (GraphDef builder,
 *                TensorFlow's OpDefs, one writer per layer kind)
 *   onnx/        ONNX graphs: building them (onnx.helper's constructors), reading their
 *                interface, element types, ZipMap outputs, signatures of a model file;
 *                TF.js layers models compiled to ONNX (tfjs-to-onnx, one writer per layer
 *                kind in onnx-layers)
 *   xgboost/     XGBoost JSON model -> ONNX tree ensembles
 *
 * A converter reads one source (tfjs/, xgboost/) and builds one target (savedmodel/,
 * onnx/); TF.js -> ONNX follows a layers model with tfjs/ and builds with onnx/.
 */
export * from "./tfjs/tfjs-model";
export * from "./tfjs/tfjs-dtypes";
export * from "./tfjs/write-tfjs-model";
export * from "./savedmodel";
export * as onnxHelper from "./onnx/onnx-builder";
export * from "./onnx/element-types";
export * from "./onnx/onnx-graph";
export * from "./onnx/zipmap";
export * from "./onnx/derive-signatures";
export * from "./onnx/model-file-signatures";
export * from "./xgboost/xgboost-model";
export * from "./xgboost/xgboost-to-onnx";
export * from "./onnx/tfjs-to-onnx";
export { ONNX_LAYERS, ONNX_ACTIVATIONS } from "./onnx/onnx-layers";
export * from "./onnx/graph-to-onnx";
export * from "./onnx/compiled-agreement";
