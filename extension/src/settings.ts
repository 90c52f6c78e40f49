import { PageConfig } from "@jupyterlab/coreutils";
import type { ISettingRegistry } from "@jupyterlab/settingregistry";
import { DEFAULT_SETTINGS, type ServableSettings } from "./tokens";

/**
 * A server URL with `{baseUrl}` standing for this Jupyter server's base URL, so that a
 * server behind jupyter-server-proxy (Binder, JupyterHub) is reached through it:
 * `{baseUrl}servable` is `/user/<name>/servable` there, `/servable` on a plain Jupyter.
 */
export function resolveServerUrl(url: string, baseUrl: string): string {
  return url.replace("{baseUrl}", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
}

/** The plugin's settings as typed values; anything missing or mistyped takes its default. */
export function readSettings(settings: ISettingRegistry.ISettings): ServableSettings {
  const text = (key: keyof ServableSettings, fallback: string): string => {
    const value = settings.get(key).composite;
    return typeof value === "string" && value.trim() !== "" ? value.trim() : fallback;
  };
  const interval = settings.get("pollingInterval").composite;
  return {
    serverUrl: resolveServerUrl(
      text("serverUrl", DEFAULT_SETTINGS.serverUrl),
      PageConfig.getBaseUrl(),
    ),
    token: text("token", DEFAULT_SETTINGS.token),
    modelsFolder: text("modelsFolder", DEFAULT_SETTINGS.modelsFolder),
    pollingInterval:
      typeof interval === "number" && interval > 0 ? interval : DEFAULT_SETTINGS.pollingInterval,
  };
}
