import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../extension/browser";
import { freePort, ROOT } from "../support/server-process";
import { startLabCommand, type LabCommand } from "./lab-command";

/**
 * The kernel library's live rollout card as a person sees it: `npm run lab`, the workspace's
 * rollout.ipynb opened in Debian's Chromium and run up to the promote, then left alone. The
 * card the rolloutStatus cell showed must change on the page (fresh numbers, replaced in
 * place: still one output) while no cell runs, and say how the rollout ended once the
 * promote cell has run. Screenshots go to test-results/journey/.
 */
const SHOTS = join(ROOT, "test-results", "journey");
const NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)";

let scratch: string;
let lab: LabCommand;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), "servable-rollout-card-"));
  lab = await startLabCommand(
    [
      "--state",
      join(scratch, "lab"),
      "--port",
      `${await freePort()}`,
      "--server-port",
      `${await freePort()}`,
    ],
    {
      env: {
        SERVABLE_RUNTIME_DIR: join(scratch, "servable-runtime"),
        JUPYTER_RUNTIME_DIR: join(scratch, "jupyter-runtime"),
      },
    },
  );
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.stack ?? error.message));
});

afterEach(() => {
  const errors = pageErrors.splice(0);
  assert.deepEqual(errors, [], "errors on the page");
});

after(async () => {
  await browser?.close();
  await lab?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const cell = (text: string) => page.locator(`${NOTEBOOK} .jp-CodeCell`, { hasText: text });

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      await page.screenshot({ path: join(SHOTS, `failed-${what.replace(/\W+/g, "-")}.png`) });
      assert.fail(`Not seen within ${timeoutMs} ms: ${what}`);
    }
    await page.waitForTimeout(200);
  }
}

async function runFromMenu(item: string): Promise<void> {
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
  await page.locator(".lm-Menu-itemLabel", { hasText: new RegExp(`^${item}$`) }).click();
}

const prompt = (text: string) => cell(text).locator(".jp-InputPrompt").innerText();
const errors = () =>
  page
    .locator(
      `${NOTEBOOK} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], ` +
        `${NOTEBOOK} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]`,
    )
    .allInnerTexts();

test("the rolloutStatus card refreshes in place after its cell, then shows the promote", async (t) => {
  await page.goto(lab.url.replace("/quickstart.ipynb", "/rollout.ipynb"));
  await page.waitForSelector("body[data-lab-restored]", { state: "attached", timeout: 60_000 });
  await page.locator(NOTEBOOK).waitFor({ timeout: 30_000 });
  // The notebook names the TypeScript kernel (tslab): it opens with it.
  await until("the notebook's TypeScript kernel idle", 60_000, async () => {
    const status = await page.evaluate(() => {
      const app = (window as unknown as { jupyterapp: { shell: { currentWidget: unknown } } })
        .jupyterapp;
      const widget = app.shell.currentWidget as {
        sessionContext?: { session?: { kernel?: { status: string } | null } | null };
      } | null;
      return widget?.sessionContext?.session?.kernel?.status;
    });
    return (
      status === "idle" &&
      (await page.locator(`${NOTEBOOK} .jp-Toolbar-kernelName`).innerText()) === "TypeScript"
    );
  });

  await cell("await promote(").click();
  await runFromMenu("Run All Above Selected Cell");
  await until("the cells above the promote ran", 240_000, async () =>
    /^\[\d+\]:$/.test(await prompt('await rolloutStatus("iris")')),
  );
  assert.deepEqual(await errors(), []);

  const status = cell('await rolloutStatus("iris")');
  const card = status.locator(".servable-rollout-card");
  await card.waitFor();
  const first = await card.innerText();
  t.diagnostic(`first frame:\n${first}`);
  assert.match(first, /Rollout of iris\s+running/);
  assert.match(first, /stable v\d+\s+candidate v\d+/);
  // Nothing runs now: the clients' calls go on in the kernel, and the card follows them.
  await until("the card redrawn with other numbers", 30_000, async () => {
    const now = await card.innerText();
    return now !== first && requestCounts(now) !== requestCounts(first);
  });
  // One card (and the view's one line the cell printed): replaced, not added.
  assert.equal(await status.locator(".servable-rollout-card").count(), 1);
  assert.equal(
    await status.locator('.jp-OutputArea-output[data-mime-type="text/html"]').count(),
    1,
  );
  assert.match(await card.innerText(), /agreement \d+(\.\d+)? % of [1-9]\d* compared/);
  await status.scrollIntoViewIfNeeded();
  await card.screenshot({ path: join(SHOTS, "rollout-card.png") });

  await cell("await promote(").click();
  await runFromMenu("Run Selected Cell and All Below");
  await until("the last cell ran", 120_000, async () =>
    /^\[\d+\]:$/.test(await prompt("deleteCandidate: true")),
  );
  assert.deepEqual(await errors(), []);
  await until("the status card says the rollout was promoted", 10_000, async () =>
    /promoted: version \d+ is stable/.test(await card.innerText()),
  );
});

/** The "requests" row of a card's text: stable's and the candidate's counts. */
function requestCounts(text: string): string | undefined {
  return /^requests\s+(\d+)\s+(\d+)$/m.exec(text)?.slice(1).join("/");
}
