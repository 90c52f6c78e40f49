/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const TABLE_STYLE =
  "border-collapse:collapse;font-family:var(--jp-code-font-family,monospace);font-size:12px";
const CELL_STYLE = "border:1px solid #ccc;padding:2px 8px;text-align:left";

/** A plain table: a header row and rows of already-escaped cells. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = header.map((h) => `<th style="${CELL_STYLE}">${escapeHtml(h)}</th>`).join("");
  const body = rows
    .map(
      (row) => `<tr>${row.map((cell) => `<td style="${CELL_STYLE}">${cell}</td>`).join("")}</tr>`,
    )
    .join("");
  return `<table style="${TABLE_STYLE}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Bytes as B, kB, MB, GB (powers of 1000, one decimal). */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return "";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
