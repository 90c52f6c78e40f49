import type { ListedModel, ModelVersionStatus } from "@servable/protocol";
import { escapeHtml, formatBytes, table } from "./html";
import { showHtml } from "./tslab";

const STATE_COLORS = new Map([
  ["AVAILABLE", "#1a7f37"],
  ["LOADING", "#9a6700"],
  ["START", "#9a6700"],
  ["UNLOADING", "#6e7781"],
  ["UNLOADED", "#6e7781"],
  ["FAILED", "#cf222e"],
]);

/**
 * A version's state as a word in its colour. TF Serving's END covers both a version the
 * server let go (UNLOADED) and one that failed to load (FAILED, when its status has an
 * error): in red, a normal rollover read as a failure.
 */
export function stateBadge(state: string, errorCode = "OK"): string {
  const shown = state !== "END" ? state : errorCode === "OK" ? "UNLOADED" : "FAILED";
  const color = STATE_COLORS.get(shown) ?? "#6e7781";
  return `<span style="color:${color};font-weight:600" title="${escapeHtml(state)}">${escapeHtml(shown)}</span>`;
}

function errorText(status: ModelVersionStatus): string {
  return status.status.error_code === "OK" ? "" : escapeHtml(status.status.error_message);
}

const badge = (v: ModelVersionStatus) => stateBadge(v.state, v.status.error_code);

/** The table `models()` shows: one row per version. */
export function modelsHtml(models: readonly ListedModel[]): string {
  if (models.length === 0) return "<p>The server serves no models.</p>";
  const rows = models.flatMap((model) =>
    model.model_version_status.length === 0
      ? [[escapeHtml(model.name), "", "", "", "", "", ""]]
      : model.model_version_status.map((v) => [
          escapeHtml(model.name),
          escapeHtml(v.version),
          badge(v),
          escapeHtml(v.labels.join(", ")),
          escapeHtml(formatBytes(v.size_bytes)),
          // Only a served version is available; an unloaded one's date would read as if it were.
          escapeHtml(v.state === "AVAILABLE" ? (v.available_since ?? "") : ""),
          errorText(v),
        ]),
  );
  return table(["model", "version", "state", "labels", "size", "available since", "error"], rows);
}

export function showModels(models: readonly ListedModel[]): void {
  showHtml(modelsHtml(models));
}

export function showStatus(name: string, versions: readonly ModelVersionStatus[]): void {
  showHtml(
    table(
      ["model", "version", "state", "error"],
      versions.map((v) => [escapeHtml(name), escapeHtml(v.version), badge(v), errorText(v)]),
    ),
  );
}
