/** Bringing existing model files (ONNX, XGBoost JSON) into a model repository. */
export { importModel, ImportError, type ImportOptions, type ImportedModel } from "./import-model";
export { xgboostToOnnx, OBJECTIVES, type ConvertedModel } from "./xgboost-to-onnx";
export { readXgbModel, XgbConversionError, type XgbModel } from "./xgboost-model";
