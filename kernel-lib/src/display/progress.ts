import { escapeHtml, formatBytes } from "./html";
import { newHtmlOutput } from "./tslab";

/** Uploads at least this large show their progress. */
export const PROGRESS_MIN_BYTES = 1024 * 1024;
const EVERY_MS = 250;

export interface Progress {
  update(sentBytes: number): void;
  done(): void;
}

/**
 * Progress of an upload: a progress bar in tslab (one output, updated in place), lines
 * on stderr elsewhere. Updates are throttled; small uploads show nothing.
 */
export function uploadProgress(label: string, totalBytes: number, enabled = true): Progress {
  if (!enabled || totalBytes < PROGRESS_MIN_BYTES) return { update() {}, done() {} };
  const output = newHtmlOutput();
  const started = Date.now();
  let shownAt = 0;
  const show = (sent: number, final: boolean) => {
    const seconds = (Date.now() - started) / 1000;
    const fraction = Math.min(1, sent / totalBytes);
    const text = `${label}: ${formatBytes(Math.min(sent, totalBytes))} of ${formatBytes(totalBytes)} (${Math.round(fraction * 100)}%)${final ? ` in ${seconds.toFixed(1)} s` : ""}`;
    if (output) {
      output.html(
        `<div style="font-family:var(--jp-ui-font-family,sans-serif);font-size:12px">` +
          `<progress max="1" value="${fraction.toFixed(3)}" style="width:240px;vertical-align:middle"></progress> ` +
          `${escapeHtml(text)}</div>`,
      );
    } else {
      process.stderr.write(`${text}\n`);
    }
  };
  show(0, false);
  return {
    update(sent) {
      const now = Date.now();
      if (now - shownAt < EVERY_MS) return;
      shownAt = now;
      show(sent, false);
    },
    done() {
      show(totalBytes, true);
    },
  };
}
