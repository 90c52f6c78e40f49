import type { ISettingRegistry } from "@jupyterlab/settingregistry";
import { DEFAULT_SETTINGS, type ServableSettings } from "./tokens";

/** The plugin's settings as typed values; anything missing or mistyped takes its default. */
export function readSettings(settings: ISettingRegistry.ISettings): ServableSettings {
  const text = (key: keyof ServableSettings, fallback: string): string => {
    const value = settings.get(key).composite;
    return typeof value === "string" && value.trim() !== "" ? value.trim() : fallback;
  };
  const interval = settings.get("pollingInterval").composite;
  return {
    serverUrl: text("serverUrl", DEFAULT_SETTINGS.serverUrl),
    token: text("token", DEFAULT_SETTINGS.token),
    modelsFolder: text("modelsFolder", DEFAULT_SETTINGS.modelsFolder),
    pollingInterval:
      typeof interval === "number" && interval > 0 ? interval : DEFAULT_SETTINGS.pollingInterval,
  };
}
