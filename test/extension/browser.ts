import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";

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

/**
 * The pages of a test file, watched: an error on a page fails the test it happened in, and
 * a condition not seen in time leaves a screenshot in `shots`.
 */
export class WatchedPages {
  readonly #errors: string[] = [];

  constructor(readonly shots: string) {
    mkdirSync(shots, { recursive: true });
    afterEach(() => {
      assert.deepEqual(this.#errors.splice(0), [], "errors on the page");
    });
  }

  async open(
    browser: Browser,
    viewport: { width: number; height: number },
    deviceScaleFactor = 1,
  ): Promise<Page> {
    const page = await browser.newPage({ viewport, deviceScaleFactor });
    page.on("pageerror", (error) => this.#errors.push(error.stack ?? error.message));
    return page;
  }

  /** Checks a condition until it holds; past `timeoutMs`, a screenshot and a failure. */
  async until(
    page: Page,
    what: string,
    check: () => Promise<boolean>,
    timeoutMs: number,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) {
        await page.screenshot({
          path: join(this.shots, `failed-${what.replace(/\W+/g, "-")}.png`),
        });
        assert.fail(`Not seen within ${timeoutMs} ms: ${what}`);
      }
      await page.waitForTimeout(100);
    }
  }
}

/** JupyterLab at `url`, once it has restored its layout. */
export async function openLab(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector("body[data-lab-restored]", { state: "attached", timeout: 60_000 });
}
