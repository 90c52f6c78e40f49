/** The server as a library: start one in-process, or reuse its parts. */
export { startServer, type RunningServer } from "./server";
export { parseFlags, helpText, FLAGS, type Flags } from "./config/flags";
export { ServerCore, type ModelSpec } from "./core/server-core";
export { ServingError, type StatusCode } from "@servable/protocol";
export type { Servable, RunOptions } from "./core/servable";
export type { HostTensor, TensorMap } from "@servable/protocol";
export type { DataType } from "@servable/protocol";
export * from "@servable/protocol";
export type { ModelFormat, LoadContext } from "./formats/model-format";
export type { LoadedVersion } from "./formats/loaded-version";
export { SIGNATURE_FILE, type SignatureFile } from "@servable/protocol";
