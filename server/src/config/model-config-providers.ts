import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { isModelName } from "@servable/protocol";
import type { ModelConfigProvider } from "../core/server-core";
import { DEFAULT_VERSION_POLICY } from "../repository/servable-version-policy";
import { parseModelServerConfig, type ModelConfig } from "./model-server-config";

/** One model: --model_name and --model_base_path. */
export function singleModel(name: string, basePath: string): ModelConfigProvider {
  const config: ModelConfig = {
    name,
    basePath,
    modelPlatform: "tensorflow",
    versionPolicy: DEFAULT_VERSION_POLICY,
    versionLabels: {},
  };
  return {
    describe: `model ${name} at ${basePath}`,
    pollWaitSeconds: 0,
    read: async () => [config],
  };
}

/** --model_config_file, read again every pollWaitSeconds (0: once). */
export function configFile(path: string, pollWaitSeconds: number): ModelConfigProvider {
  return {
    describe: `model config ${path}`,
    pollWaitSeconds,
    read: async () => parseModelServerConfig(await readFile(path, "utf8")),
  };
}

/**
 * --model_repository: every subfolder with a valid model name is a model, serving its
 * latest version; folders that appear while serving become models. The state folder
 * (`.servable`) is not a valid model name.
 */
export function modelRepository(root: string, pollWaitSeconds: number): ModelConfigProvider {
  return {
    describe: `model repository ${root}`,
    pollWaitSeconds,
    async read() {
      const entries = await readdir(root, { withFileTypes: true });
      return entries
        .filter((e) => e.isDirectory() && isModelName(e.name))
        .map((e) => ({
          name: e.name,
          basePath: join(root, e.name),
          modelPlatform: "tensorflow",
          versionPolicy: DEFAULT_VERSION_POLICY,
          versionLabels: {},
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
  };
}
