import assert from "node:assert/strict";
import { join } from "node:path";
import { before, test } from "node:test";
import type { Page } from "playwright-core";
import { openLab } from "../extension/browser";
import { LabInBrowser, NOTEBOOK, SHOTS } from "./lab-in-browser";

/**
 * The kernel library's live rollout card as a person sees it: `npm run lab`, the workspace's
 * rollout.ipynb opened in Debian's Chromium and run up to the promote, then left alone. The
 * card the rolloutStatus cell showed must change on the page (fresh numbers, replaced in
 * place: still one output) while no cell runs, and say how the rollout ended once the
 * promote cell has run. Screenshots go to test-results/journey/.
 */

const session = new LabInBrowser("servable-rollout-card-");
let page: Page;
before(async () => {
  await session.start();
  page = session.page;
});

const prompt = (text: string) => session.codeCell(text).locator(".jp-InputPrompt").innerText();
const errors = () =>
  page
    .locator(
      `${NOTEBOOK} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], ` +
        `${NOTEBOOK} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]`,
    )
    .allInnerTexts();

test("the rolloutStatus card refreshes in place after its cell, then shows the promote", async (t) => {
  await openLab(page, session.lab.url.replace("/quickstart.ipynb", "/rollout.ipynb"));
  await page.locator(NOTEBOOK).waitFor({ timeout: 30_000 });
  // The notebook names the TypeScript kernel (tslab): it opens with it.
  await session.until("the notebook's TypeScript kernel idle", 60_000, async () => {
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

  await session.codeCell("await promote(").click();
  await session.runFromMenu("Run All Above Selected Cell");
  await session.until("the cells above the promote ran", 240_000, async () =>
    /^\[\d+\]:$/.test(await prompt('await rolloutStatus("iris")')),
  );
  assert.deepEqual(await errors(), []);

  const status = session.codeCell('await rolloutStatus("iris")');
  const card = status.locator(".servable-rollout-card");
  await card.waitFor();
  const first = await card.innerText();
  t.diagnostic(`first frame:\n${first}`);
  assert.match(first, /Rollout of iris\s+running/);
  assert.match(first, /stable v\d+\s+candidate v\d+/);
  // Nothing runs now: the clients' calls go on in the kernel, and the card follows them.
  await session.until("the card redrawn with other numbers", 30_000, async () => {
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

  await session.codeCell("await promote(").click();
  await session.runFromMenu("Run Selected Cell and All Below");
  await session.until("the last cell ran", 120_000, async () =>
    /^\[\d+\]:$/.test(await prompt("deleteCandidate: true")),
  );
  assert.deepEqual(await errors(), []);
  await session.until("the status card says the rollout was promoted", 10_000, async () =>
    /promoted: version \d+ is stable/.test(await card.innerText()),
  );
});

/** The "requests" row of a card's text: stable's and the candidate's counts. */
function requestCounts(text: string): string | undefined {
  return /^requests\s+(\d+)\s+(\d+)$/m.exec(text)?.slice(1).join("/");
}
