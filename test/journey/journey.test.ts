import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { before, test } from "node:test";
import type { Locator, Page } from "playwright-core";
import { openLab } from "../extension/browser";
import { LabInBrowser, NOTEBOOK, SHOTS } from "./lab-in-browser";
import { drawnStates, drawnTransitions, type Snapshot } from "./sidebar-record";

/**
 * The whole journey as a person makes it: `npm run lab` (started here, stopped by its PID
 * as Ctrl-C stops it), its address opened in Debian's Chromium, the quickstart run with
 * the TypeScript kernel while the Servable sidebar follows, then a version exported in a
 * new cell, deployed from the sidebar and called from another cell. What the sidebar
 * showed is read from the page as it drew it. Screenshots go to test-results/journey/.
 */

const PANEL = ".jp-Servable-panel";

const session = new LabInBrowser("servable-journey-");
let page: Page;
before(async () => {
  await session.start();
  page = session.page;
});

const served = (name: string, v: string) =>
  page.locator(`${PANEL} .jp-Servable-version[data-model="${name}"][data-version="${v}"]`);
const exported = (name: string, v: string) =>
  page.locator(`${PANEL} .jp-Servable-exported-row[data-model="${name}"][data-version="${v}"]`);

/**
 * Waits until every code cell has run (a number in its prompt), or none runs any more and
 * one has shown an error (run-all stops there).
 */
async function cellsFinished(timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    (selector) => {
      const prompts = Array.from(
        document.querySelectorAll(`${selector} .jp-CodeCell .jp-InputPrompt`),
      ).map((p) => p.textContent ?? "");
      if (prompts.length > 0 && prompts.every((p) => /^\[\d+\]:$/.test(p))) return true;
      const failed = document.querySelector(
        `${selector} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]`,
      );
      return failed !== null && !prompts.includes("[*]:");
    },
    NOTEBOOK,
    { timeout: timeoutMs, polling: 250 },
  );
}

/**
 * Scrolls a cell to the top of the notebook and lets the notebook draw the cells below it,
 * the mouse out of the way (a hovered output shows its collapser).
 */
async function showAtTop(cell: Locator): Promise<void> {
  await page.mouse.move(1399, 899);
  await cell.evaluate((element) => element.scrollIntoView({ block: "start" }));
  await page.evaluate(
    () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
  );
}

/** The kernel of the notebook in front, as JupyterLab's session holds it. */
function frontKernel(): Promise<{ id: string; status: string } | null> {
  return page.evaluate(() => {
    const app = (window as unknown as { jupyterapp: { shell: { currentWidget: unknown } } })
      .jupyterapp;
    const widget = app.shell.currentWidget as {
      sessionContext?: { session?: { kernel?: { id: string; status: string } | null } | null };
    } | null;
    const kernel = widget?.sessionContext?.session?.kernel;
    return kernel ? { id: kernel.id, status: kernel.status } : null;
  });
}

/** The error and stderr outputs of the notebook, with the first line of their cell. */
async function errorOutputs(): Promise<string[]> {
  return page
    .locator(`${NOTEBOOK} .jp-CodeCell`)
    .evaluateAll((cells) =>
      cells.flatMap((cell) =>
        Array.from(
          cell.querySelectorAll(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], ' +
              '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]',
          ),
        ).map(
          (output) =>
            `${cell.querySelector(".cm-line")?.textContent ?? ""}: ${output.textContent ?? ""}`,
        ),
      ),
    );
}

/** Every state of a model's rows the sidebar draws from now on, recorded by the page itself. */
async function recordSidebar(name: string): Promise<void> {
  await page.evaluate(
    ({ panel, model }) => {
      const snapshots: {
        at: number;
        versions: Record<string, string>;
        transitions: Record<string, string[]>;
      }[] = [];
      (window as unknown as { servableRecord: typeof snapshots }).servableRecord = snapshots;
      let last = "";
      new MutationObserver(() => {
        // Keyed by version number: no prototype for a key to reach.
        const versions = Object.create(null) as Record<string, string>;
        const transitions = Object.create(null) as Record<string, string[]>;
        const rows = document.querySelectorAll(
          `${panel} .jp-Servable-version[data-model="${model}"]`,
        );
        for (const row of Array.from(rows)) {
          const labels = Array.from(row.querySelectorAll(".jp-Servable-label"))
            .map((l) => l.getAttribute("data-label"))
            .sort();
          const version = row.getAttribute("data-version")!;
          versions[version] = [row.getAttribute("data-state"), ...labels].join(" ").trim();
          transitions[version] = Array.from(row.querySelectorAll(".jp-Servable-transition")).map(
            (t) => t.textContent ?? "",
          );
        }
        const text = JSON.stringify([versions, transitions]);
        if (text !== last) snapshots.push({ at: performance.now(), versions, transitions });
        last = text;
      }).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
        attributeFilter: ["data-state", "data-label", "data-version"],
      });
    },
    { panel: PANEL, model: name },
  );
}

const recorded = () =>
  page.evaluate(() => (window as unknown as { servableRecord: Snapshot[] }).servableRecord);

/** A new code cell at the end, its source pasted in, run with Shift+Enter. */
async function runNewCell(source: string): Promise<Locator> {
  await page.locator(`${NOTEBOOK} .jp-Cell`).last().click();
  await page.keyboard.press("Escape");
  await page.keyboard.press("b");
  await page.keyboard.press("Enter");
  await page.keyboard.insertText(source);
  await page.keyboard.press("Control+Enter");
  const cell = session.codeCell(source.split("\n")[0]!);
  await cell.locator(".jp-InputPrompt", { hasText: /^\[\d+\]:$/ }).waitFor({ timeout: 120_000 });
  return cell;
}

test("npm run lab prints one address: the quickstart, in JupyterLab, on the TypeScript kernel", async (t) => {
  t.diagnostic(`npm run lab to its address: ${(session.lab.startMs / 1000).toFixed(1)} s`);
  assert.equal(
    session.lab.output().match(/https?:\/\/\S+/g)?.length,
    1,
    `one address printed:\n${session.lab.output()}`,
  );
  await openLab(page, session.lab.url);
  await page.locator(NOTEBOOK).waitFor({ timeout: 30_000 });
  assert.equal(
    await page
      .locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
      .innerText(),
    "quickstart.ipynb",
  );

  // The kernel picker offers TypeScript; choose it. That starts a new kernel: wait for
  // it to be ready, not for the one the notebook opened with.
  await session.until(
    "the notebook's kernel ready",
    60_000,
    async () => (await frontKernel())?.status === "idle",
  );
  const opened = await frontKernel();
  assert.ok(opened, "the notebook opened with a kernel");
  await page.locator(`${NOTEBOOK} .jp-Toolbar-kernelName`).click();
  const dialog = page.locator(".jp-Dialog");
  await dialog.locator("select").selectOption({ label: "TypeScript" });
  await dialog.getByRole("button", { name: "Select Kernel" }).click();
  await dialog.waitFor({ state: "detached" });
  await session.until("the chosen kernel ready", 60_000, async () => {
    const kernel = await frontKernel();
    return kernel !== null && kernel.id !== opened.id && kernel.status === "idle";
  });
  assert.equal(await page.locator(`${NOTEBOOK} .jp-Toolbar-kernelName`).innerText(), "TypeScript");

  await page.locator('.jp-SideBar.jp-mod-left li[data-id="servable-sidebar"]').click();
  await served("half_plus_two", "1").waitFor({ timeout: 30_000 });
  assert.equal(
    await page.locator(`${PANEL} .jp-Servable-server`).innerText(),
    `http://127.0.0.1:${session.serverPort}`,
  );
});

test("run all cells: each finishes without an error; the deploy card shows the endpoint", async (t) => {
  await recordSidebar("iris");
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
  await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).click();
  const started = Date.now();
  await cellsFinished(240_000);
  t.diagnostic(`all cells ran in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.deepEqual(await errorOutputs(), []);

  const deployCell = session.codeCell("const first = await deploy(");
  const card = await deployCell.locator(".jp-OutputArea-output").innerText();
  assert.match(card, /Deployed iris, version 1/);
  assert.match(card, /state\s+AVAILABLE/);
  assert.match(
    card,
    new RegExp(
      `endpoint\\s+http://127\\.0\\.0\\.1:${session.serverPort}/v1/models/iris/versions/1:predict`,
    ),
  );
  await showAtTop(deployCell);
  await page.screenshot({ path: join(SHOTS, "quickstart-deploy-card.png") });
  await showAtTop(session.codeCell("await models()"));
  await page.screenshot({ path: join(SHOTS, "quickstart-end.png") });
  await page.locator(PANEL).screenshot({ path: join(SHOTS, "sidebar-after-quickstart.png") });
});

test("meanwhile the sidebar showed iris appear and load, v2 with canary, then stable move", async (t) => {
  // The last cell labelled; the sidebar draws that after the cell finished.
  await served("iris", "2").locator('.jp-Servable-label[data-label="stable"]').waitFor();
  const snapshots = await recorded();
  t.diagnostic(snapshots.map((s) => JSON.stringify(s.versions)).join("\n"));

  const v1 = drawnStates(snapshots, "1");
  assert.ok(v1.length > 0, "iris v1 appeared in the sidebar");
  const available = v1.indexOf("AVAILABLE");
  assert.ok(available >= 0, `v1 drawn AVAILABLE: ${v1.join(" → ")}`);
  // Before AVAILABLE only the states of a load, in their order.
  const order = ["START", "LOADING", "AVAILABLE"];
  const ranks = v1.slice(0, available + 1).map((s) => order.indexOf(s));
  assert.ok(
    ranks.every((r, i) => r >= 0 && (i === 0 || r > ranks[i - 1]!)),
    `v1 drawn ${v1.join(" → ")}`,
  );
  // The load lasts a few milliseconds: its LOADING may share a frame with its AVAILABLE.
  // The server pushes both, and the row keeps saying so: LOADING, then AVAILABLE, and when.
  const v1Loads = drawnTransitions(snapshots, "1");
  t.diagnostic(`v1's row showed: ${v1Loads.join("; ")}`);
  assert.ok(
    v1Loads.some((text) => /^LOADING → AVAILABLE in \d+(\.\d)? (ms|s)$/.test(text)),
    `v1 drawn LOADING then AVAILABLE: ${v1Loads.join("; ")}`,
  );

  const at = (test: (v: Record<string, string>) => boolean) =>
    snapshots.findIndex((s) => test(s.versions));
  const canary = at((v) => /\bcanary\b/.test(v["2"] ?? "") && /\bstable\b/.test(v["1"] ?? ""));
  assert.ok(canary >= 0, "v2 drawn with canary while stable stayed on v1");
  const moved = at((v) => /\bstable\b/.test(v["2"] ?? "") && !/\bstable\b/.test(v["1"] ?? ""));
  assert.ok(moved > canary, "then stable drawn on v2, gone from v1");
});

test("a version exported in a new cell, deployed from the sidebar, called from another cell", async (t) => {
  // A little more training, then exportModel as a user calls it: the workspace numbers the
  // folder (2, after the quickstart's 1) while the server already serves a version 2,
  // another model. The sidebar tells them apart by their files and offers folder 2.
  const exportCell = await runNewCell(
    "await model.fit(xs, ys, { epochs: 5, batchSize: 30, shuffle: true, verbose: 0 });\n" +
      'const third = await exportModel(model, "models", { name: "iris", signatures: irisSignatures });\n' +
      "console.log(`exported ${third.path}`);",
  );
  assert.match(
    await exportCell.locator(".jp-OutputArea").innerText(),
    /exported .*models\/iris\/2/,
  );

  const row = exported("iris", "2");
  await row.waitFor({ timeout: 30_000 });
  const before = new Set(
    await page
      .locator(`${PANEL} .jp-Servable-version[data-model="iris"]`)
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-version"))),
  );
  assert.ok(before.has("2"), "the server serves a version 2 of its own");
  await recordSidebar("iris");
  await row.getByRole("button", { name: "Deploy" }).click();
  // The server numbers the deployed version: the one new row.
  let deployed = "";
  await session.until("the deployed version AVAILABLE in Served", 60_000, async () => {
    const rows = await page
      .locator(`${PANEL} .jp-Servable-version[data-model="iris"][data-state="AVAILABLE"]`)
      .evaluateAll((els) => els.map((r) => r.getAttribute("data-version")!));
    deployed = rows.find((v) => !before.has(v)) ?? "";
    return deployed !== "";
  });
  assert.equal(deployed, "3", "the server's next number");
  const drawn = drawnStates(await recorded(), deployed);
  t.diagnostic(`v${deployed} drawn ${drawn.join(" → ")}`);
  assert.ok(["START", "LOADING"].includes(drawn[0]!), `v${deployed} drawn ${drawn.join(" → ")}`);
  assert.equal(drawn.at(-1), "AVAILABLE");
  const load = served("iris", deployed).locator(
    '.jp-Servable-transition[data-from="LOADING"][data-to="AVAILABLE"]',
  );
  await load.waitFor({ timeout: 10_000 });
  t.diagnostic(`v${deployed}'s row says ${await load.innerText()}`);
  assert.match(await load.innerText(), /^LOADING → AVAILABLE in \d+(\.\d)? (ms|s)$/);
  assert.equal(await exported("iris", "2").count(), 0, "folder 2 left Exported");
  await page.locator(PANEL).screenshot({ path: join(SHOTS, "sidebar-deployed-from-sidebar.png") });

  const callCell = await runNewCell(
    `const fromSidebar = await predict("iris", samples, { version: ${deployed} });\n` +
      "const here = (model.predict(tf.tensor2d(samples)) as tf.Tensor).arraySync() as number[][];\n" +
      `console.log(\`version ${deployed} and model.predict differ by \${largestDifference(fromSidebar, here).toExponential(2)}\`);`,
  );
  const out = await callCell.locator(".jp-OutputArea").innerText();
  assert.match(out, /prediction/, "the answer shown as a table");
  const difference = /differ by (\S+)/.exec(out);
  assert.ok(difference, out);
  assert.ok(Number(difference[1]) <= 1e-5, `difference ${difference[1]}`);
  assert.deepEqual(await errorOutputs(), []);
  await showAtTop(exportCell);
  await page.screenshot({ path: join(SHOTS, "journey.png") });
});

test("Ctrl-C stops the server, JupyterLab and its kernels", async () => {
  const jupyterPort = Number(new URL(session.lab.url).port);
  await session.browser.close();
  assert.equal(await session.lab.stop(), true, "every process of npm run lab ended within 30 s");
  for (const port of [jupyterPort, session.serverPort]) {
    assert.equal(await listening(port), false, `port ${port} closed`);
  }
  // Jupyter removes a kernel's connection file when it shuts the kernel down.
  assert.deepEqual(
    readdirSync(join(session.scratch, "jupyter-runtime")).filter((f) => f.startsWith("kernel-")),
    [],
  );
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}
