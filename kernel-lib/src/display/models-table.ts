import type { ListedModel, ModelVersionStatus } from "@servable/protocol";
import { escapeHtml, formatBytes, table } from "./html";
import { showHtml } from "./tslab";

const STATE_COLORS: Record<string, string> = {
  AVAILABLE: "#1a7f37",
  LOADING: "#9a6700",
  START: "#9a6700",
  UNLOADING: "#6e7781",
  END: "#cf222e",
};

export function stateBadge(state: string): string {
  const color = STATE_COLORS[state] ?? "#6e7781";
  return `<span style="color:${color};font-weight:600">${escapeHtml(state)}</span>`;
}

function errorText(status: ModelVersionStatus): string {
  return status.status.error_code === "OK" ? "" : escapeHtml(status.status.error_message);
}

/** The table `models()` shows: one row per version. */
export function modelsHtml(models: readonly ListedModel[]): string {
  if (models.length === 0) return "<p>The server serves no models.</p>";
  const rows = models.flatMap((model) =>
    model.model_version_status.length === 0
      ? [[escapeHtml(model.name), "", "", "", "", "", ""]]
      : model.model_version_status.map((v) => [
          escapeHtml(model.name),
          escapeHtml(v.version),
          stateBadge(v.state),
          escapeHtml(v.labels.join(", ")),
          escapeHtml(formatBytes(v.size_bytes)),
          escapeHtml(v.available_since ?? ""),
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
      versions.map((v) => [
        escapeHtml(name),
        escapeHtml(v.version),
        stateBadge(v.state),
        errorText(v),
      ]),
    ),
  );
}
