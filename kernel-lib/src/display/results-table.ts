import { escapeHtml, table } from "./html";
import { showHtml } from "./tslab";

const MAX_ROWS = 20;
const MAX_VALUES = 12;

/** A value of an answer, short: numbers to 6 significant digits, long lists cut. */
function brief(value: unknown): string {
  if (typeof value === "number") return String(Number(value.toPrecision(6)));
  if (Array.isArray(value)) {
    const shown = value.slice(0, MAX_VALUES).map(brief).join(", ");
    return `[${shown}${value.length > MAX_VALUES ? ", …" : ""}]`;
  }
  if (typeof value === "object" && value !== null) {
    return Object.entries(value)
      .map(([k, v]) => `${k}: ${brief(v)}`)
      .join("; ");
  }
  return String(value);
}

function more(total: number): string {
  return total > MAX_ROWS
    ? `<div style="font-size:11px;color:#57606a">${total - MAX_ROWS} more rows</div>`
    : "";
}

/** Predictions (row format): one row per instance; named outputs get a column each. */
export function predictionsHtml(predictions: readonly unknown[]): string {
  const rows = predictions.slice(0, MAX_ROWS);
  const first = rows[0];
  const named = typeof first === "object" && first !== null && !Array.isArray(first);
  const keys = named ? Object.keys(first) : ["prediction"];
  return (
    table(
      ["#", ...keys],
      rows.map((row, i) => [
        String(i),
        ...(named
          ? keys.map((k) => escapeHtml(brief((row as Record<string, unknown>)[k])))
          : [escapeHtml(brief(row))]),
      ]),
    ) + more(predictions.length)
  );
}

/** Columnar outputs: one row per output. */
export function outputsHtml(outputs: unknown): string {
  const entries =
    typeof outputs === "object" && outputs !== null && !Array.isArray(outputs)
      ? Object.entries(outputs)
      : [["outputs", outputs] as const];
  return table(
    ["output", "value"],
    entries.map(([k, v]) => [escapeHtml(k), escapeHtml(brief(v))]),
  );
}

/** Classify results: the best class and its score, then every class. */
export function classificationsHtml(results: readonly (readonly [string, number])[][]): string {
  const rows = results.slice(0, MAX_ROWS).map((classes, i) => {
    const best = classes.reduce<readonly [string, number] | undefined>(
      (top, c) => (top === undefined || c[1] > top[1] ? c : top),
      undefined,
    );
    return [
      String(i),
      escapeHtml(best?.[0] ?? ""),
      escapeHtml(best ? brief(best[1]) : ""),
      escapeHtml(classes.map(([label, score]) => `${label} ${brief(score)}`).join(", ")),
    ];
  });
  return table(["#", "class", "score", "all scores"], rows) + more(results.length);
}

export function regressionsHtml(results: readonly number[]): string {
  return (
    table(
      ["#", "value"],
      results.slice(0, MAX_ROWS).map((v, i) => [String(i), escapeHtml(brief(v))]),
    ) + more(results.length)
  );
}

export function showResults(markup: string): void {
  showHtml(markup);
}
