import {
  DEFAULT_VERSION_POLICY,
  type ServableVersionPolicy,
} from "../sources/servable-version-policy";
import { parseTextFormat, TextFields, TextFormatError } from "./text-format";

/** One served model, as TF Serving's ModelConfig describes it. */
export interface ModelConfig {
  readonly name: string;
  readonly basePath: string;
  readonly modelPlatform: string;
  readonly versionPolicy: ServableVersionPolicy;
  /** label -> version */
  readonly versionLabels: Readonly<Record<string, number>>;
}

/**
 * Reads a `--model_config_file` (TF Serving's ModelServerConfig in text format):
 * `model_config_list { config { name base_path model_platform model_version_policy
 * version_labels } ... }`. Each config replaces the previous one entirely.
 * @throws Error with TF Serving's "Error parsing text-format ..." prefix.
 */
export function parseModelServerConfig(text: string): ModelConfig[] {
  let root: TextFields;
  try {
    root = new TextFields(parseTextFormat(text), "ModelServerConfig");
  } catch (error) {
    if (error instanceof TextFormatError) {
      throw new Error(
        `Error parsing text-format tensorflow.serving.ModelServerConfig: ${error.message}`,
      );
    }
    throw error;
  }
  root.allowOnly(["model_config_list"]);
  const list = root.message("model_config_list");
  if (!list) return [];
  list.allowOnly(["config"]);
  const configs = list.messages("config").map(readModelConfig);
  const names = new Set<string>();
  for (const config of configs) {
    if (names.has(config.name))
      throw new Error(`Illegal to list model ${config.name} multiple times in config list`);
    names.add(config.name);
  }
  return configs;
}

function readModelConfig(config: TextFields): ModelConfig {
  config.allowOnly([
    "name",
    "base_path",
    "model_type",
    "model_platform",
    "model_version_policy",
    "version_labels",
    "logging_config",
  ]);
  const name = config.string("name");
  const basePath = config.string("base_path");
  if (!name) throw new Error("ModelConfig: name is required");
  if (!basePath) throw new Error(`ModelConfig ${name}: base_path is required`);
  const versionLabels: Record<string, number> = {};
  for (const entry of config.messages("version_labels")) {
    const key = entry.string("key");
    const value = entry.number("value");
    if (!key || value === undefined)
      throw new Error(`ModelConfig ${name}: version_labels need a key and a value`);
    versionLabels[key] = value;
  }
  return {
    name,
    basePath,
    modelPlatform: config.string("model_platform") ?? "tensorflow",
    versionPolicy: readVersionPolicy(config.message("model_version_policy"), name),
    versionLabels,
  };
}

function readVersionPolicy(policy: TextFields | undefined, model: string): ServableVersionPolicy {
  if (!policy) return DEFAULT_VERSION_POLICY;
  policy.allowOnly(["latest", "all", "specific"]);
  const latest = policy.message("latest");
  if (latest) return { kind: "latest", numVersions: latest.number("num_versions") ?? 1 };
  if (policy.message("all")) return { kind: "all" };
  const specific = policy.message("specific");
  if (specific) {
    const versions = specific.numbers("versions");
    if (versions.length === 0)
      throw new Error(`ModelConfig ${model}: specific version policy lists no versions`);
    return { kind: "specific", versions };
  }
  return DEFAULT_VERSION_POLICY;
}
