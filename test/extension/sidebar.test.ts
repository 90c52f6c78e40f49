import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import type { Page, Request } from "playwright-core";
import {
  freePort,
  postJson,
  ROOT,
  startServer,
  type ServerProcess,
  linearVersion,
} from "../support";
import { WatchedPages } from "./browser";
import { openSidebarLab, type SidebarLab } from "./sidebar-lab";

/**
 * The Servable sidebar in a real JupyterLab 4 (the test app on Debian's Jupyter server),
 * installed from its wheel as a user installs it, against a real serving server, driven in
 * Debian's Chromium. Screenshots go to test-results/extension/.
 */

const DEMO_VERSION = join(ROOT, "server", "demo", "models", "half_plus_two", "1");
const SHOTS = join(ROOT, "test-results", "extension");
const TAB = '.jp-SideBar.jp-mod-left li[data-id="servable-sidebar"]';
const PANEL = ".jp-Servable-panel";

let scratch: string;
let workspace: string;
let port: number;
let token: string;
let server: ServerProcess;
let sidebar: SidebarLab;
let page: Page;
const pages = new WatchedPages(SHOTS);

const serve = () =>
  startServer(
    [
      `--rest_api_port=${port}`,
      "--model_repository",
      join(scratch, "repository"),
      "--rest_api_enable_cors_support",
      "--file_system_poll_wait_seconds=1",
    ],
    { env: { SERVABLE_TOKEN: token } },
  );

const version = (name: string, v: string) =>
  page.locator(`${PANEL} .jp-Servable-version[data-model="${name}"][data-version="${v}"]`);
/** The chip of `label` on a version's row: one while the version carries the label, else none. */
const labelChips = (name: string, v: string, label: string) =>
  version(name, v).locator(`.jp-Servable-label[data-label="${label}"]`);
const exportedRow = (name: string, v: string) =>
  page.locator(`${PANEL} .jp-Servable-exported-row[data-model="${name}"][data-version="${v}"]`);

/** Polls a condition on the page until it holds (the panel refreshes every 0.5 s). */
const until = (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) =>
  pages.until(page, what, check, timeoutMs);

const stateOf = (name: string, v: string) =>
  version(name, v)
    .getAttribute("data-state", { timeout: 1000 })
    .catch(() => null);

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "servable-sidebar-"));
  workspace = join(scratch, "workspace");
  cpSync(join(ROOT, "server", "demo", "models"), join(scratch, "repository"), { recursive: true });
  mkdirSync(join(workspace, "models"), { recursive: true });

  port = await freePort();
  token = randomBytes(16).toString("hex");
  server = await serve();
  sidebar = await openSidebarLab(scratch, { serverUrl: `http://127.0.0.1:${port}`, token }, pages, {
    width: 1280,
    height: 860,
  });
  page = sidebar.page;
});

after(async () => {
  await sidebar?.close();
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test("the Servable tab opens the panel: the demo model, its state, size and age", async () => {
  await page.locator(TAB).click();
  await page.locator(PANEL).waitFor();
  assert.equal(await page.locator(`${PANEL} .jp-Servable-title`).textContent(), "Servable");
  await until(
    "half_plus_two v1 AVAILABLE",
    async () => (await stateOf("half_plus_two", "1")) === "AVAILABLE",
  );
  assert.equal(
    await page.locator(`${PANEL} .jp-Servable-connection`).getAttribute("data-status"),
    "connected",
  );
  const row = await version("half_plus_two", "1").innerText();
  assert.match(row, /AVAILABLE/);
  assert.match(row, /\d+(\.\d)? KB/);
  assert.match(row, /available \d+ (s|min) ago/);
  assert.equal(await page.locator(TAB).getAttribute("title"), "Servable");
  await page.screenshot({ path: join(SHOTS, "lab-light.png") });
  await screenshotPanel("sidebar-light.png");
});

test("settings: the gear opens JupyterLab's settings editor at Servable's settings", async () => {
  await page.locator(`${PANEL} button[aria-label="Settings"]`).click();
  const editor = page.locator(".jp-SettingsPanel");
  await editor.waitFor({ timeout: 20_000 });
  await until("Servable's settings shown", async () => {
    const text = await editor.innerText();
    return ["Server URL", "Token", "Models folder", "Polling interval (seconds)"].every((t) =>
      text.includes(t),
    );
  });
  await page.evaluate(() =>
    (
      window as unknown as {
        jupyterapp: { commands: { execute(id: string): Promise<unknown> } };
      }
    ).jupyterapp.commands.execute("application:close"),
  );
  await editor.waitFor({ state: "detached" });
});

test("Test: a form pre-filled from the signature, Send, the answer, the curl line", async () => {
  const row = version("half_plus_two", "1");
  await row.getByRole("button", { name: "Test", exact: true }).click();
  const form = row.locator("form.jp-Servable-test");
  const request = form.locator("textarea");
  await until("the request pre-filled", async () =>
    (await request.inputValue()).includes("instances"),
  );
  assert.deepEqual(JSON.parse(await request.inputValue()), {
    signature_name: "serving_default",
    instances: [[1]],
  });
  await request.fill(
    JSON.stringify({ signature_name: "serving_default", instances: [[1.0], [4.0]] }),
  );
  await form.getByRole("button", { name: "Send" }).click();
  const answer = form.locator('pre[aria-label="Answer"]');
  await answer.waitFor();
  assert.deepEqual(JSON.parse(await answer.innerText()), { predictions: [[2.5], [4.0]] });

  const curl = await form.locator('code[aria-label="curl"]').innerText();
  assert.match(
    curl,
    new RegExp(
      `^curl -d '.*' -X POST http://127\\.0\\.0\\.1:${port}/v1/models/half_plus_two/versions/1:predict$`,
    ),
  );
  // The line does what the form did.
  const { stdout } = await promisify(execFile)("bash", ["-c", curl]);
  assert.deepEqual(JSON.parse(stdout), { predictions: [[2.5], [4.0]] });
  await row.getByRole("button", { name: "Test", exact: true }).click();
});

test("traffic: the version's chart shows its requests per second and p50 latency", async () => {
  const url = `http://127.0.0.1:${port}/v1/models/half_plus_two/versions/1:predict`;
  const rps = version("half_plus_two", "1").locator(".jp-Servable-rps");
  const p50 = version("half_plus_two", "1").locator(".jp-Servable-p50");
  await until("requests per second above zero", async () => {
    await Promise.all(Array.from({ length: 5 }, () => postJson(url, { instances: [1.0] })));
    const rate = Number.parseFloat(await rps.innerText());
    return rate > 0 && /p50 \d/.test(await p50.innerText());
  });
  assert.ok(
    (await version("half_plus_two", "1").locator(".jp-Servable-sparkline-rate").getAttribute("d"))!
      .length > 10,
  );
});

/** The panel down to its last section, as a person sees it in the sidebar. */
async function screenshotPanel(file: string): Promise<void> {
  const top = await page.locator(PANEL).boundingBox();
  const last = await page.locator(`${PANEL} .jp-Servable-section`).last().boundingBox();
  assert.ok(top && last);
  await page.screenshot({
    path: join(SHOTS, file),
    clip: { x: top.x, y: top.y, width: top.width, height: last.y + last.height + 12 - top.y },
  });
}

const changeTheme = async (theme: string) => {
  await page.evaluate(
    (name) =>
      (
        window as unknown as {
          jupyterapp: { commands: { execute(id: string, args: unknown): Promise<unknown> } };
        }
      ).jupyterapp.commands.execute("apputils:change-theme", { theme: name }),
    theme,
  );
  await page.waitForSelector(`body[data-jp-theme-name="${theme}"]`, {
    state: "attached",
    timeout: 20_000,
  });
  // JupyterLab shows its splash while it swaps themes; the next swap waits for it to go.
  await page.waitForSelector("#jupyterlab-splash", { state: "detached", timeout: 20_000 });
};

test("dark theme: the panel follows it", async () => {
  await changeTheme("JupyterLab Dark");
  await until("the dark theme's colours on the panel", async () => {
    const background = await page
      .locator(".jp-Servable-sidebar")
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    const [r, g, b] = (background.match(/\d+/g) ?? ["255", "255", "255"]).map(Number);
    return r + g + b < 3 * 80;
  });
  assert.ok(await version("half_plus_two", "1").isVisible());
  await page.screenshot({ path: join(SHOTS, "lab-dark.png") });
  await screenshotPanel("sidebar-dark.png");
  await changeTheme("JupyterLab Light");
});

test("the server stops: the panel says so and keeps trying; it starts: the panel recovers", async () => {
  await server.stop();
  const banner = page.locator(`${PANEL} .jp-Servable-banner[role="alert"]`);
  await banner.waitFor({ timeout: 10_000 });
  assert.match(
    await banner.innerText(),
    new RegExp(`Server unreachable\\.[\\s\\S]*127\\.0\\.0\\.1:${port}`),
  );
  assert.equal(
    await page.locator(`${PANEL} .jp-Servable-connection`).getAttribute("data-status"),
    "unreachable",
  );
  await page.screenshot({ path: join(SHOTS, "sidebar-unreachable.png") });

  server = await serve();
  await banner.waitFor({ state: "detached", timeout: 20_000 });
  await until(
    "connected again",
    async () =>
      (await page.locator(`${PANEL} .jp-Servable-connection`).getAttribute("data-status")) ===
      "connected",
  );
  await until(
    "half_plus_two v1 AVAILABLE again",
    async () => (await stateOf("half_plus_two", "1")) === "AVAILABLE",
  );
});

async function setLabel(name: string, v: string, label: string): Promise<void> {
  const row = version(name, v);
  await row.getByRole("button", { name: "Label", exact: true }).click();
  const editor = row.locator("form.jp-Servable-label-editor");
  const suggested = label === "stable" || label === "canary";
  await editor.locator('select[aria-label="Label"]').selectOption(suggested ? label : "");
  if (!suggested) await editor.locator('input[aria-label="Label name"]').fill(label);
  await editor.getByRole("button", { name: "Set" }).click();
  await until(
    `${name} v${v} labelled ${label}`,
    async () => (await labelChips(name, v, label).count()) === 1,
  );
}

async function servedLabels(name: string): Promise<Record<string, string> | undefined> {
  const listing = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as {
    models: { name: string; labels: Record<string, string> }[];
  };
  return listing.models.find((m) => m.name === name)?.labels;
}

test("a label on the served version: stable on half_plus_two v1", async () => {
  await setLabel("half_plus_two", "1", "stable");
  assert.deepEqual(await servedLabels("half_plus_two"), { stable: "1" });
});

test("export into models/, click Deploy: the version moves to Served, LOADING then AVAILABLE", async () => {
  // What the kernel library's exportModel(model, "models", {name}) writes: a new model
  // (other weights) under the next folder number, and the served files under a new name.
  await linearVersion(join(workspace, "models", "half_plus_two", "2"), 4);
  cpSync(DEMO_VERSION, join(workspace, "models", "demo_copy", "1"), { recursive: true });
  // The served version's files again, under a number the server does not have: served
  // already, so not offered (told by their files, not their numbers).
  cpSync(DEMO_VERSION, join(workspace, "models", "half_plus_two", "9"), { recursive: true });
  await exportedRow("half_plus_two", "2").waitFor({ timeout: 20_000 });
  await exportedRow("demo_copy", "1").waitFor();
  assert.equal(await exportedRow("half_plus_two", "9").count(), 0, "folder 9 is served as v1");

  // Every state the row is drawn with, recorded in the page as it renders.
  await page.evaluate((selector) => {
    const seen: string[] = [];
    (window as unknown as { deployStates: string[] }).deployStates = seen;
    new MutationObserver(() => {
      const state = document.querySelector(selector)?.getAttribute("data-state");
      if (state && seen[seen.length - 1] !== state) seen.push(state);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  }, `${PANEL} .jp-Servable-version[data-model="half_plus_two"][data-version="2"]`);
  await exportedRow("half_plus_two", "2").getByRole("button", { name: "Deploy" }).click();
  await until(
    "half_plus_two v2 AVAILABLE",
    async () => (await stateOf("half_plus_two", "2")) === "AVAILABLE",
    30_000,
  );
  assert.equal(await exportedRow("half_plus_two", "2").count(), 0, "the row left Exported");
  const states = await page.evaluate(
    () => (window as unknown as { deployStates: string[] }).deployStates,
  );
  assert.ok(
    states.length >= 2 && ["START", "LOADING"].includes(states[0]) && states.at(-1) === "AVAILABLE",
    `states drawn: ${states.join(" → ")}`,
  );
  // The load, as the server pushed it: the row says it happened and how long it took.
  const load = version("half_plus_two", "2").locator(
    '.jp-Servable-transition[data-from="LOADING"][data-to="AVAILABLE"]',
  );
  await load.waitFor({ timeout: 10_000 });
  assert.match(await load.innerText(), /^LOADING → AVAILABLE in \d+(\.\d)? (ms|s)$/);
  assert.equal(
    await page.locator(`${PANEL} .jp-Servable-connection`).getAttribute("data-push"),
    "live",
  );
  // The labelled version keeps serving beside the new one.
  assert.equal(await stateOf("half_plus_two", "1"), "AVAILABLE");

  // A new model, deployed with the palette's command on the selected row: it appears in
  // Served under its own name.
  await exportedRow("demo_copy", "1").click();
  await until(
    "demo_copy v1 selected",
    async () => (await exportedRow("demo_copy", "1").getAttribute("aria-selected")) === "true",
  );
  await page.keyboard.press("Control+Shift+C");
  const palette = page.locator(".lm-CommandPalette");
  await palette.locator("input").fill("Deploy Selected");
  await palette
    .locator('.lm-CommandPalette-item:has-text("Deploy Selected Exported Model Version")')
    .click();
  await until(
    "demo_copy v1 AVAILABLE",
    async () => (await stateOf("demo_copy", "1")) === "AVAILABLE",
    30_000,
  );
  assert.ok(readdirSync(join(scratch, "repository", "demo_copy")).includes("1"));
});

test("canary on the new version takes traffic; then stable moves to it", async () => {
  await setLabel("half_plus_two", "2", "canary");
  assert.deepEqual(await servedLabels("half_plus_two"), { canary: "2", stable: "1" });

  // Traffic through both labels, as clients of a canary rollout send it.
  const predict = (label: string) =>
    postJson(`http://127.0.0.1:${port}/v1/models/half_plus_two/labels/${label}:predict`, {
      instances: [1.0],
    });
  const rate = (v: string) => version("half_plus_two", v).locator(".jp-Servable-rps").innerText();
  await until("both versions taking traffic", async () => {
    for (let i = 0; i < 8; i++) await predict(i % 4 === 0 ? "canary" : "stable");
    return Number.parseFloat(await rate("1")) > 0 && Number.parseFloat(await rate("2")) > 0;
  });
  for (let i = 0; i < 30; i++) {
    await predict(i % 4 === 0 ? "canary" : "stable");
    await page.waitForTimeout(60);
  }
  // One more export waiting under Exported, for the picture.
  await linearVersion(join(workspace, "models", "half_plus_two", "3"), 5);
  await exportedRow("half_plus_two", "3").waitFor({ timeout: 20_000 });
  await screenshotPanel("sidebar-canary.png");

  await setLabel("half_plus_two", "2", "stable");
  await until(
    "stable left v1",
    async () => (await labelChips("half_plus_two", "1", "stable").count()) === 0,
  );
  assert.deepEqual(await servedLabels("half_plus_two"), { canary: "2", stable: "2" });

  // And a label removed with its chip's button.
  await version("half_plus_two", "2")
    .getByRole("button", { name: "Remove the label canary" })
    .click();
  await until(
    "canary removed",
    async () => (await labelChips("half_plus_two", "2", "canary").count()) === 0,
  );
  assert.deepEqual(await servedLabels("half_plus_two"), { stable: "2" });
});

test("delete a version: a confirmation dialog, then it is gone from Served", async () => {
  const row = version("demo_copy", "1");
  await row.getByRole("button", { name: "Delete" }).click();
  const dialog = page.locator(".jp-Dialog");
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /Delete demo_copy version 1\?/);
  // Cancel first: nothing happens. A delete would leave the page as the dialog closes, so
  // a listing asked for after it closed and answered proves none was sent.
  const deletes: string[] = [];
  const onRequest = (request: Request) => {
    if (request.method() === "DELETE") deletes.push(request.url());
  };
  page.on("request", onRequest);
  try {
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    const listing = page.waitForRequest(
      (r) => r.method() === "GET" && r.url() === `http://127.0.0.1:${port}/v1/models`,
    );
    await page.locator(`${PANEL} button[aria-label="Refresh"]`).click();
    await (await listing).response();
  } finally {
    page.off("request", onRequest);
  }
  assert.deepEqual(deletes, []);
  assert.equal(await stateOf("demo_copy", "1"), "AVAILABLE");

  await row.getByRole("button", { name: "Delete" }).click();
  await page.locator(".jp-Dialog").getByRole("button", { name: "Delete" }).click();
  await until("demo_copy v1 gone", async () => (await row.count()) === 0, 20_000);
  assert.ok(!existsSync(join(scratch, "repository", "demo_copy", "1")));
});

test("a version that fails to load: FAILED, with the server's error text", async () => {
  const broken = join(scratch, "repository", "broken", "1");
  mkdirSync(broken, { recursive: true });
  writeFileSync(join(broken, "model.json"), "{ this is not JSON");
  const row = version("broken", "1");
  await until("broken v1 FAILED", async () => (await stateOf("broken", "1")) === "END", 30_000);
  await until(
    "its error shown",
    async () => (await row.locator(".jp-Servable-error").count()) === 1,
  );
  assert.equal(await row.locator(".jp-Servable-state").innerText(), "FAILED");
  const listed = (await (await fetch(`http://127.0.0.1:${port}/v1/models/broken`)).json()) as {
    model_version_status: { status: { error_message: string } }[];
  };
  const message = listed.model_version_status[0].status.error_message;
  assert.ok(message.length > 0);
  assert.equal(await row.locator(".jp-Servable-error").innerText(), message);
  // The other models keep serving beside it.
  assert.equal(await stateOf("half_plus_two", "2"), "AVAILABLE");
});
