/**
 * `servable`: deploy TensorFlow.js models from a notebook cell (tslab) or any Node program
 * to a Servable server, and call them. Everything here talks to the server over HTTP.
 *
 *     import { deploy, predict } from "servable";
 *     await deploy(model, { name: "iris" });
 *     await predict("iris", [[5.1, 3.5, 1.4, 0.2]]);
 */
export { signatures, signatureFile } from "./signatures";
export type {
  Signatures,
  SignatureSpec,
  TensorRef,
  PredictSignatureOptions,
  ClassifySignatureOptions,
  RegressSignatureOptions,
} from "./signatures";
export { exportModel, type ExportOptions, type ExportedModel } from "./export-model";
export { deploy, type DeployOptions, type Deployment } from "./deploy";
export {
  predict,
  classify,
  regress,
  type PredictInputs,
  type Examples,
  type Example,
  type Classification,
  type InferenceOptions,
  type ExamplesOptions,
  type TensorLike,
} from "./inference";
export {
  models,
  status,
  metadata,
  undeploy,
  setLabel,
  removeLabel,
  type CallOptions,
} from "./management";
export type {
  ListedModel,
  ListedVersion,
  GetModelMetadataResponse as ModelMetadata,
  VersionState,
  ModelVersionStatus as VersionStatus,
} from "@servable/protocol";
export {
  rollout,
  shadow,
  promote,
  rollback,
  rolloutStatus,
  type RolloutOptions,
  type ShadowOptions,
  type RollbackOptions,
  type CardOptions,
} from "./rollout";
export type {
  RolloutView,
  RolloutGuard,
  RolloutStats,
  RolloutVersionStats,
  RolloutShadowStats,
  PromoteResponse,
  RollbackResponse,
} from "@servable/protocol";
export type { VersionChoice } from "./client/model-path";
export type { Model, TensorDescription } from "./model";
export { ServerError, NetworkError, DeployError } from "./client/errors";
export { DEFAULT_SERVER_URL, type ServerOptions } from "./client/server-address";
export { writeWarmupRequests, type WarmupRequest } from "./warmup-requests";
export { readRequestLog, type LoggedRequest } from "./request-log";
