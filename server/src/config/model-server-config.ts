import { invalidArgument, parseServingConfig } from "@servable/protocol";
import {
  DEFAULT_VERSION_POLICY,
  type ServableVersionPolicy,
} from "../repository/servable-version-policy";

/** One served model, as TF Serving's ModelConfig describes it. */
export interface ModelConfig {
  readonly name: string;
  readonly basePath: string;
  readonly modelPlatform: string;
  readonly versionPolicy: ServableVersionPolicy;
  /** label -> version */
  readonly versionLabels: Readonly<Record<string, number>>;
  /** Where and how often its requests are logged (`logging_config`), if they are. */
  readonly logging?: RequestLoggingConfig;
}

/**
 * A model's request log (TF Serving's LoggingConfig): a share of its requests, with their
 * answers, written as PredictionLog records to TFRecord files named from the prefix.
 */
export interface RequestLoggingConfig {
  readonly filenamePrefix: string;
  /** The share of requests logged, 0 to 1, each drawn at random. */
  readonly samplingRate: number;
}

/**
 * The log collector types this server has (TF Serving registers collectors by type and
 * ships none): "" and "tfrecord" both write TFRecord files of PredictionLog records.
 */
const LOG_COLLECTOR_TYPES = new Set(["", "tfrecord"]);

/** TF Serving's ModelServerConfig message, as its text form or gRPC hands it over. */
export interface ModelServerConfigMessage {
  model_config_list?: { config?: ModelConfigMessage[] };
  custom_model_config?: unknown;
}

interface ModelConfigMessage {
  name?: string;
  base_path?: string;
  model_platform?: string;
  model_version_policy?: {
    latest?: { num_versions?: number };
    all?: object;
    specific?: { versions?: (string | number)[] };
  };
  version_labels?: Record<string, string | number>;
  logging_config?: {
    log_collector_config?: { type?: string; filename_prefix?: string };
    sampling_config?: { sampling_rate?: number };
  };
}

/**
 * Reads a `--model_config_file` (TF Serving's ModelServerConfig in text format):
 * `model_config_list { config { name base_path model_platform model_version_policy
 * version_labels logging_config } ... }`. Each config replaces the previous one entirely.
 * @returns undefined when the text sets no model list (an empty file): TF Serving takes no
 * action for such a config, so it must not unload what serves.
 * @throws Error with TF Serving's "Error parsing text-format ..." prefix, or saying which
 * model is wrong.
 */
export function parseModelServerConfig(text: string): ModelConfig[] | undefined {
  const message = parseServingConfig("ModelServerConfig", text) as ModelServerConfigMessage;
  if (!message.model_config_list && !message.custom_model_config) return undefined;
  return modelConfigsFrom(message);
}

/**
 * The models of a ModelServerConfig (from a file, or from gRPC's
 * HandleReloadConfigRequest). @throws ServingError INVALID_ARGUMENT saying what is wrong.
 */
export function modelConfigsFrom(message: ModelServerConfigMessage): ModelConfig[] {
  if (message.custom_model_config) {
    throw invalidArgument("custom_model_config is not supported: list models in model_config_list");
  }
  const configs = (message.model_config_list?.config ?? []).map(readModelConfig);
  const names = new Set<string>();
  for (const config of configs) {
    if (names.has(config.name)) {
      throw invalidArgument(`Illegal to list model ${config.name} multiple times in config list`);
    }
    names.add(config.name);
  }
  return configs;
}

function readModelConfig(config: ModelConfigMessage): ModelConfig {
  const { name, base_path: basePath } = config;
  if (!name) throw invalidArgument("ModelConfig: name is required");
  if (!basePath) throw invalidArgument(`ModelConfig ${name}: base_path is required`);
  return {
    name,
    basePath,
    modelPlatform: config.model_platform || "tensorflow",
    versionPolicy: readVersionPolicy(config.model_version_policy, name),
    versionLabels: Object.fromEntries(
      Object.entries(config.version_labels ?? {}).map(([label, version]) => [
        label,
        Number(version),
      ]),
    ),
    ...(config.logging_config && { logging: readLoggingConfig(config.logging_config, name) }),
  };
}

function readLoggingConfig(
  logging: NonNullable<ModelConfigMessage["logging_config"]>,
  model: string,
): RequestLoggingConfig {
  const type = logging.log_collector_config?.type ?? "";
  if (!LOG_COLLECTOR_TYPES.has(type)) {
    throw invalidArgument(
      `ModelConfig ${model}: Cannot find LogCollector::Factory for type: ${type} (this server has "" and "tfrecord")`,
    );
  }
  const filenamePrefix = logging.log_collector_config?.filename_prefix ?? "";
  if (!filenamePrefix) {
    throw invalidArgument(
      `ModelConfig ${model}: logging_config needs log_collector_config { filename_prefix: "..." }`,
    );
  }
  const samplingRate = logging.sampling_config?.sampling_rate ?? 0;
  if (!(samplingRate >= 0 && samplingRate <= 1)) {
    throw invalidArgument(
      `ModelConfig ${model}: sampling_rate must be in [0, 1], got ${samplingRate}`,
    );
  }
  return { filenamePrefix, samplingRate };
}

function readVersionPolicy(
  policy: ModelConfigMessage["model_version_policy"],
  model: string,
): ServableVersionPolicy {
  if (policy?.specific) {
    const versions = (policy.specific.versions ?? []).map(Number);
    if (versions.length === 0) {
      throw invalidArgument(`ModelConfig ${model}: specific version policy lists no versions`);
    }
    return { kind: "specific", versions };
  }
  if (policy?.all) return { kind: "all" };
  if (policy?.latest)
    return { kind: "latest", numVersions: Number(policy.latest.num_versions ?? 1) || 1 };
  return DEFAULT_VERSION_POLICY;
}
