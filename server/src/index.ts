/** The server as a library: start one in-process, or reuse its parts. */
export { startServer, type RunningServer } from "./server";
export { parseFlags, helpText, FLAGS, type Flags } from "./config/flags";
export { ServerCore, type ModelSpec } from "./server-core";
export { ServingError, type StatusCode } from "./core/errors";
export type { Servable, RunOptions } from "./servable/servable";
export type { HostTensor, TensorMap } from "./servable/tensor";
export type { DataType } from "./servable/data-type";
export * from "./servable/signature";
export type { ModelFormat, LoadedModel, LoadContext } from "./formats/model-format";
export { SIGNATURE_FILE, type SignatureFile } from "./formats/signature-file";
