import { chromium, type Browser } from "playwright-core";

/**
 * Debian's Chromium, headless; playwright gives it a fresh profile folder of its own
 * (and removes it on close).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
