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
}

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
}

/**
 * Reads a `--model_config_file` (TF Serving's ModelServerConfig in text format):
 * `model_config_list { config { name base_path model_platform model_version_policy
 * version_labels } ... }`. Each config replaces the previous one entirely.
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
  };
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
