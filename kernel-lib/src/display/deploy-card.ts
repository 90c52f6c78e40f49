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

/** The card `deploy()` shows: name, version, state, endpoint and a curl line to copy. */
export function deployCardHtml(data: DeployCardData): string {
  const row = (key: string, value: string) =>
    `<tr><td style="padding:2px 12px 2px 0;color:#57606a">${key}</td><td style="padding:2px 0">${value}</td></tr>`;
  const copy =
    `<button style="margin-left:8px;font-size:11px;cursor:pointer" ` +
    `onclick="navigator.clipboard.writeText(this.parentElement.querySelector('code').innerText)">copy</button>`;
  return (
    `<div style="border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;` +
    `font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;max-width:960px">` +
    `<div style="font-weight:600;margin-bottom:4px">Deployed ${escapeHtml(data.name)}, version ${data.version}</div>` +
    `<table style="border-collapse:collapse">` +
    row("model", escapeHtml(data.name)) +
    row("version", String(data.version)) +
    row("state", stateBadge(data.state)) +
    (data.label ? row("label", escapeHtml(data.label)) : "") +
    row("endpoint", `<code>${escapeHtml(data.url)}</code>`) +
    `</table>` +
    `<div style="margin-top:6px;white-space:nowrap;overflow-x:auto"><code style="font-size:12px">${escapeHtml(data.curl)}</code>${copy}</div>` +
    `</div>`
  );
}

export function showDeployCard(data: DeployCardData): void {
  showHtml(deployCardHtml(data));
}
