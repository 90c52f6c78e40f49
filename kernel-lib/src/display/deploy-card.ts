import { escapeHtml } from "./html";
import { stateBadge } from "./models-table";
import { showHtml } from "./tslab";

export interface DeployCardData {
  readonly name: string;
  readonly version: number;
  readonly state: string;
  readonly url: string;
  readonly curl: string;
  readonly label?: string;
}

const MUTED = "color:var(--jp-ui-font-color2,#57606a)";
const CODE =
  "font-family:var(--jp-code-font-family,monospace);font-size:12px;" +
  "background:var(--jp-layout-color2,#f6f8fa);padding:1px 4px;border-radius:3px";

/**
 * The card `deploy()` shows: what was deployed and its state, the endpoint, and a curl
 * line to copy. Laid out with a grid of its own, not a table: JupyterLab's output styles
 * right-align and stripe tables, which scattered a card's few fields across the cell.
 */
export function deployCardHtml(data: DeployCardData): string {
  const field = (key: string, value: string) =>
    `<span style="${MUTED}">${key}</span><span>${value}</span>`;
  const copy =
    `<button style="font-size:11px;cursor:pointer" title="Copy the curl line" ` +
    `onclick="navigator.clipboard.writeText(this.previousElementSibling.innerText)">copy</button>`;
  return (
    `<div style="display:inline-block;max-width:100%;box-sizing:border-box;` +
    `border:1px solid var(--jp-border-color1,#d0d7de);border-radius:6px;padding:8px 12px;` +
    `font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;line-height:1.6;text-align:left">` +
    `<div style="font-weight:600;margin-bottom:4px">Deployed ${escapeHtml(data.name)}, version ${data.version}</div>` +
    `<div style="display:grid;grid-template-columns:max-content auto;column-gap:12px;align-items:baseline">` +
    field("state", stateBadge(data.state)) +
    (data.label ? field("label", escapeHtml(data.label)) : "") +
    field("endpoint", `<code style="${CODE}">${escapeHtml(data.url)}</code>`) +
    `</div>` +
    `<div style="margin-top:6px;display:flex;gap:8px;align-items:center;max-width:100%">` +
    `<code style="${CODE};white-space:pre;overflow-x:auto">${escapeHtml(data.curl)}</code>${copy}` +
    `</div></div>`
  );
}

export function showDeployCard(data: DeployCardData): void {
  showHtml(deployCardHtml(data));
}
