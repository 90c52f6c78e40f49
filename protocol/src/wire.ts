/**
 * `@servable/protocol/wire`: the REST and V2 bodies, and nothing that needs Node or
 * protobufjs, so that a browser bundle (the JupyterLab sidebar) can take them.
 */
export * from "./rest-wire";
export * from "./v2-wire";
export * from "./model-events-wire";
export * from "./version-digest";
export type { SignatureDef, SignatureDefMap, TensorInfo, TensorShape } from "./signature";
export type { DataType } from "./data-type";
