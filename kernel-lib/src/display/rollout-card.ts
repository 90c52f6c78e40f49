import type { RolloutVersionStats, RolloutView } from "@servable/protocol";
import { escapeHtml } from "./html";

/**
 * The rollout card: stable and candidate side by side (share of traffic, requests per
 * second, error rate, p50 and p99 latency) and the shadow comparison (agreement), from the
 * server's rollout view. A grid of its own, not a table: JupyterLab's output styles
 * right-align and stripe tables.
 */

const MUTED = "color:var(--jp-ui-font-color2,#57606a)";
const CARD =
  "display:inline-block;max-width:100%;box-sizing:border-box;" +
  "border:1px solid var(--jp-border-color1,#d0d7de);border-radius:6px;padding:8px 12px;" +
  "font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;line-height:1.6;text-align:left";
const GRID =
  "display:grid;grid-template-columns:max-content repeat(2,minmax(7em,max-content));" +
  "column-gap:16px;align-items:baseline;font-variant-numeric:tabular-nums";
const BADGE = "padding:0 6px;border-radius:3px;color:#fff;font-size:11px;font-weight:600";
const GREEN = "var(--jp-success-color1,#1a7f37)";
const RED = "var(--jp-error-color1,#cf222e)";

export function percent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined) return "–";
  return `${Number((fraction * 100).toFixed(digits))} %`;
}

export function milliseconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "–";
  return ms >= 100
    ? `${ms.toFixed(0)} ms`
    : ms >= 10
      ? `${ms.toFixed(1)} ms`
      : `${ms.toFixed(2)} ms`;
}

function rate(perSecond: number): string {
  return perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toFixed(1);
}

/** The one-line summary of a rollout (also what `console.log` prints of a view). */
export function rolloutSummary(view: RolloutView): string {
  const stable = view.stable === null ? "no stable version" : `stable v${view.stable}`;
  if (view.state === "rolled_back") {
    return `${view.name}: candidate v${view.candidate} rolled back (${view.reason}); ${stable} answers`;
  }
  const shadow = view.shadow > 0 ? `, ${percent(view.shadow)} of stable's requests shadowed` : "";
  return `${view.name}: candidate v${view.candidate} takes ${percent(view.share)} of the traffic beside ${stable}${shadow}`;
}

export interface RolloutCardData {
  readonly view: RolloutView;
  /** A line under the card: when it was refreshed, or why it stopped. */
  readonly footer: string;
  /** A problem reaching the server, shown above the (last known) numbers. */
  readonly problem?: string;
}

export function rolloutCardHtml(data: RolloutCardData): string {
  const { view } = data;
  const { stats } = view;
  const running = view.state === "running";
  const state = running
    ? `<span style="${BADGE};background:${GREEN}">running</span>`
    : `<span style="${BADGE};background:${RED}">rolled back</span>`;
  const cell = (text: string) => `<span>${escapeHtml(text)}</span>`;
  const key = (text: string) => `<span style="${MUTED}">${escapeHtml(text)}</span>`;
  const row = (name: string, stable: string, candidate: string) =>
    key(name) + cell(stable) + cell(candidate);
  const versionRows = (s: RolloutVersionStats, c: RolloutVersionStats) =>
    row("requests / s", rate(s.requests_per_second), rate(c.requests_per_second)) +
    row("requests", String(s.requests), String(c.requests)) +
    row("error rate", percent(s.error_rate, 2), percent(c.error_rate, 2)) +
    row("p50", milliseconds(s.p50_ms), milliseconds(c.p50_ms)) +
    row("p99", milliseconds(s.p99_ms), milliseconds(c.p99_ms));
  const shadow = stats.shadow;
  const shadowLine =
    view.shadow > 0 || shadow.compared > 0 || shadow.dropped > 0
      ? `<div style="margin-top:6px"><span style="${MUTED}">shadow</span> ` +
        `${escapeHtml(percent(view.shadow))} of stable's requests · ` +
        `<strong data-agreement="${shadow.agreement ?? ""}">agreement ${escapeHtml(percent(shadow.agreement, 2))}</strong> ` +
        `of ${shadow.compared} compared · max |Δ| ${shadow.max_abs_diff === null ? "–" : shadow.max_abs_diff === 0 ? "0" : escapeHtml(shadow.max_abs_diff.toExponential(1))} · ` +
        `${shadow.errors} errors · ${shadow.dropped} dropped · p50 ${escapeHtml(milliseconds(shadow.p50_ms))}, p99 ${escapeHtml(milliseconds(shadow.p99_ms))}</div>`
      : "";
  const reason = running
    ? ""
    : `<div style="margin:4px 0;color:${RED}">${escapeHtml(view.reason || "rolled back")}</div>`;
  const problem = data.problem
    ? `<div style="margin:4px 0;color:${RED}">${escapeHtml(data.problem)}</div>`
    : "";
  return (
    `<div class="servable-rollout-card" data-model="${escapeHtml(view.name)}" data-state="${view.state}" style="${CARD}">` +
    `<div style="font-weight:600;margin-bottom:4px">Rollout of ${escapeHtml(view.name)} ${state}</div>` +
    reason +
    problem +
    `<div style="${GRID}">` +
    key("") +
    `<strong>stable${view.stable === null ? "" : ` v${view.stable}`}</strong>` +
    `<strong>candidate v${view.candidate}</strong>` +
    row("share", percent(running ? 1 - view.share : 1), percent(running ? view.share : 0)) +
    versionRows(stats.stable, stats.candidate) +
    `</div>` +
    shadowLine +
    `<div style="margin-top:4px;font-size:11px;${MUTED}">last ${stats.window_seconds} s on this server · ${escapeHtml(data.footer)}</div>` +
    `</div>`
  );
}

/** What is left once a rollout ended: promoted, or removed. */
export function rolloutEndedHtml(name: string, text: string): string {
  return (
    `<div class="servable-rollout-card" data-model="${escapeHtml(name)}" data-state="ended" style="${CARD}">` +
    `<div style="font-weight:600">Rollout of ${escapeHtml(name)}: ${escapeHtml(text)}</div></div>`
  );
}
