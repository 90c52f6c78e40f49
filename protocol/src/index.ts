/**
 * `@servable/protocol`: what the server, the kernel library and the sidebar must agree
 * on, in one place. It depends on protobufjs only.
 */
export * from "./data-type";
export * from "./float16";
export * from "./tensor";
export * from "./signature";
export * from "./signature-file";
export * from "./tf-example";
export * from "./serving-error";
export * from "./runtime-file";
export * from "./protobuf/tensorflow-protos";
export * from "./protobuf/serving-protos";
export * from "./protobuf/tensor-values";
export * from "./protobuf/text-format";
export * from "./protobuf/onnx-proto";
export * from "./names";
export * from "./version-folders";
export * from "./rest-wire";
export * from "./v2-wire";
export * from "./model-events-wire";
export * from "./version-digest";
export * from "./tf-serving-errors";
export * from "./crc32c";
export * from "./tfrecord";
export * from "./length-prefixed-strings";
export * from "./protobuf/prediction-log";
export * from "./request-log-files";
