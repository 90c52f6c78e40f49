/** Display texts shared by the views. */

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** "12 s ago", "3 min ago", or the date for anything older than a day. */
export function formatSince(iso: string | undefined, now: number): string {
  if (!iso) return "";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "";
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(at).toLocaleDateString();
}

export function formatRate(perSecond: number): string {
  return perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toFixed(1);
}

export function formatMs(ms: number | null): string {
  if (ms === null) return "–";
  return ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`;
}

/** A fraction as a percentage: 0.1 → "10 %", 0.995 → "99.5 %"; null → "–". */
export function formatPercent(fraction: number | null, digits = 1): string {
  if (fraction === null) return "–";
  return `${Number((fraction * 100).toFixed(digits))} %`;
}

/** A difference between two answers: 0, or its order of magnitude (1.2e-6). */
export function formatDifference(value: number): string {
  return value === 0 ? "0" : value.toExponential(1);
}
