import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Page, Request } from "playwright-core";
import {
  installVersion,
  linearVersion,
  postJson,
  ROOT,
  startServer,
  waitFor,
  type ServerProcess,
} from "../support";
import { WatchedPages } from "./browser";
import { openSidebarLab, type SidebarLab } from "./sidebar-lab";

/**
 * The sidebar's Rollout row in a real JupyterLab (the test app, the extension installed
 * from its wheel) against a real server, in Debian's Chromium: start a canary, turn shadow
 * traffic on and read the two versions' numbers and the agreement from the page, move the
 * share, promote; roll back (asked first); and an automatic rollback by the server's guard
 * rails shown as a notice with its reason. Screenshots go to test-results/extension/.
 *
 * Model `m`: v1 and v2 answer y = 0.5x + 1 (identical answers), v3 the same but fails on
 * any request of three instances (a weight shaped for two breaks the broadcast).
 */
const SHOTS = join(ROOT, "test-results", "extension");
const PANEL = ".jp-Servable-panel";
const ROW = `${PANEL} .jp-Servable-rollout[data-model="m"]`;

let scratch: string;
let repository: string;
let token: string;
let server: ServerProcess;
let sidebar: SidebarLab;
let page: Page;
const pages = new WatchedPages(SHOTS);

/** The demo graph (y = 0.5x + 1) whose `b` holds two values: fine for 1 or 2 instances, not 3. */
async function brokenForThree(dir: string): Promise<void> {
  await linearVersion(dir, 1);
  const file = join(dir, "model.json");
  const model = JSON.parse(await readFile(file, "utf8")) as {
    weightsManifest: { weights: { name: string; shape: number[] }[] }[];
  };
  model.weightsManifest[0]!.weights.find((w) => w.name === "b")!.shape = [2, 1];
  await writeFile(file, JSON.stringify(model));
  await writeFile(
    join(dir, "group1-shard1of1.bin"),
    Buffer.from(Float32Array.of(0.5, 1, 1, 3, 0.5, 3).buffer),
  );
}

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
  });
const rolloutOnServer = async () => {
  const res = await api("/v1/models/m/rollout");
  return res.status === 404 ? undefined : ((await res.json()) as Record<string, unknown>);
};
const predict = (instances: number) =>
  postJson(`${server.url}/v1/models/m:predict`, {
    instances: Array.from({ length: instances }, (_, i) => [i + 1]),
  });

/** Polls a condition on the page until it holds (the panel refreshes every 0.5 s). */
const until = (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) =>
  pages.until(page, what, check, timeoutMs);

/** The panel from its top to the end of the model's card, as a person sees it. */
async function screenshotModel(file: string): Promise<void> {
  const top = await page.locator(PANEL).boundingBox();
  const card = await page.locator(`${PANEL} .jp-Servable-model[data-model="m"]`).boundingBox();
  assert.ok(top && card);
  await page.screenshot({
    path: join(SHOTS, file),
    clip: { x: top.x, y: top.y, width: top.width, height: card.y + card.height + 8 - top.y },
  });
}

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "servable-rollout-sidebar-"));
  repository = join(scratch, "repository");
  const workspace = join(scratch, "workspace");
  await mkdir(workspace);
  await installVersion(join(repository, "m"), 1, (dir) => linearVersion(dir, 1));
  token = randomBytes(16).toString("hex");
  server = await startServer(
    [
      `--model_repository=${repository}`,
      "--rest_api_enable_cors_support",
      "--file_system_poll_wait_seconds=1",
      "--rollout_guard=window_seconds=30,min_requests=10,max_error_rate_increase=0.1",
    ],
    { env: { SERVABLE_TOKEN: token, SERVABLE_RUNTIME_DIR: join(scratch, "runtime") } },
  );
  // stable on v1: the version policy keeps it loaded beside the latest, v2.
  assert.equal(
    (await api("/v1/models/m/labels/stable", { method: "PUT", body: '{"version": 1}' })).status,
    200,
  );
  await installVersion(join(repository, "m"), 2, (dir) => linearVersion(dir, 1));
  await waitFor(async () => {
    const status = (await (await api("/v1/models/m")).json()) as {
      model_version_status: { version: string; state: string }[];
    };
    return status.model_version_status.filter((v) => v.state === "AVAILABLE").length === 2
      ? true
      : undefined;
  });
  sidebar = await openSidebarLab(scratch, { serverUrl: server.url, token }, pages, {
    width: 1400,
    height: 900,
  });
  page = sidebar.page;
  await page.locator('.jp-SideBar.jp-mod-left li[data-id="servable-sidebar"]').click();
});

after(async () => {
  await sidebar?.close();
  await server?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

test("a model with two AVAILABLE versions has a Rollout row; Start sends the chosen share", async () => {
  const row = page.locator(ROW);
  await row.waitFor({ timeout: 30_000 });
  assert.equal(await row.getAttribute("data-state"), "none");
  assert.match(await row.innerText(), /stable v1/);
  assert.equal(await row.locator('select[aria-label="Candidate"]').inputValue(), "2");
  await row.locator('input[aria-label="Share of traffic"]').fill("30");
  assert.equal(await row.locator(".jp-Servable-share-value").innerText(), "30 %");
  await row.getByRole("button", { name: "Start rollout" }).click();
  await until("the row running", async () => (await row.getAttribute("data-state")) === "running");
  const view = await rolloutOnServer();
  assert.equal(view?.candidate, 2);
  assert.equal(view?.stable, 1);
  assert.equal(view?.share, 0.3);
});

test("Shadow on: both versions' numbers side by side, and the agreement", async () => {
  const row = page.locator(ROW);
  await row.locator('input[aria-label="Shadow"]').check();
  await until("shadow on the server", async () => (await rolloutOnServer())?.shadow === 1);
  const column = (side: string, index: number) =>
    row.locator(`.jp-Servable-comparison-grid [data-column="${side}"]`).nth(index);
  await until(
    "req/s of both versions and an agreement on the page",
    async () => {
      await Promise.all(Array.from({ length: 10 }, () => predict(1)));
      const stableRate = Number.parseFloat(await column("stable", 1).innerText());
      const candidateRate = Number.parseFloat(await column("candidate", 1).innerText());
      const shadow = row.locator(".jp-Servable-shadow");
      return (
        stableRate > 0 &&
        candidateRate > 0 &&
        (await shadow.count()) === 1 &&
        Number(await shadow.getAttribute("data-compared")) >= 10
      );
    },
    30_000,
  );
  const view = await rolloutOnServer();
  assert.equal(view?.state, "running", `the rollout ended: ${String(view?.reason)}`);
  assert.equal(await column("stable", 0).innerText(), "70 %");
  assert.equal(await column("candidate", 0).innerText(), "30 %");
  // Same answers on both: every compared answer agrees.
  assert.match(await row.locator(".jp-Servable-agreement").innerText(), /^agreement 100 %$/);
  await screenshotModel("sidebar-rollout.png");
});

test("at 1400 x 900, a version card's buttons keep room above its bottom edge", async () => {
  const gaps = await page
    .locator(`${PANEL} .jp-Servable-version, ${PANEL} .jp-Servable-rollout`)
    .evaluateAll((cards) =>
      cards.map((card) => {
        const buttons = Array.from(
          card.querySelectorAll(":scope > .jp-Servable-version-actions button"),
        );
        const bottom = Math.max(...buttons.map((b) => b.getBoundingClientRect().bottom));
        return Math.round(card.getBoundingClientRect().bottom - bottom);
      }),
    );
  assert.ok(gaps.length >= 3, `cards: ${gaps.length}`);
  for (const gap of gaps) assert.ok(gap >= 6, `gaps below the buttons: ${gaps.join(", ")} px`);
});

test("the slider moves a running rollout's share once it rests", async () => {
  await page.locator(ROW).locator('input[aria-label="Share of traffic"]').fill("50");
  await until("share 0.5 on the server", async () => (await rolloutOnServer())?.share === 0.5);
});

test("Promote: the candidate is stable, the rollout is over", async () => {
  await page.locator(ROW).getByRole("button", { name: "Promote" }).click();
  await until("no rollout on the server", async () => (await rolloutOnServer()) === undefined);
  const labels = (await (await api("/v1/models/m/labels")).json()) as {
    labels: { label: string; version: number }[];
  };
  assert.equal(labels.labels.find((l) => l.label === "stable")?.version, 2);
  await until(
    "v2 labelled stable on the page",
    async () =>
      (await page
        .locator(
          `${PANEL} .jp-Servable-version[data-model="m"][data-version="2"] .jp-Servable-label[data-label="stable"]`,
        )
        .count()) === 1,
  );
});

test("Roll back asks first: Cancel sends nothing; Roll back stops the candidate's traffic", async () => {
  await installVersion(join(repository, "m"), 3, brokenForThree);
  const row = page.locator(ROW);
  await until(
    "v3 offered as the candidate",
    async () =>
      (await row.count()) === 1 &&
      (await row.locator('select[aria-label="Candidate"]').inputValue()) === "3",
    30_000,
  );
  await row.locator('input[aria-label="Share of traffic"]').fill("50");
  await row.getByRole("button", { name: "Start rollout" }).click();
  await until("v3 running", async () => (await rolloutOnServer())?.state === "running");
  await until("the row running", async () => (await row.getAttribute("data-state")) === "running");

  const rollbacks: string[] = [];
  const onRequest = (request: Request) => {
    if (request.url().includes("rollout:rollback")) rollbacks.push(request.url());
  };
  page.on("request", onRequest);
  try {
    await row.getByRole("button", { name: "Roll back" }).click();
    const dialog = page.locator(".jp-Dialog");
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Roll back m's candidate v3\?/);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    // A listing asked for after the dialog closed, and answered: a rollback would be before it.
    const listing = page.waitForRequest((r) => r.url() === `${server.url}/v1/models`);
    await (await listing).response();
    assert.deepEqual(rollbacks, []);
    assert.equal((await rolloutOnServer())?.state, "running");

    await row.getByRole("button", { name: "Roll back" }).click();
    await page
      .locator(".jp-Dialog")
      .getByRole("button", { name: "Roll back", exact: true })
      .click();
    await until(
      "rolled back on the server",
      async () => (await rolloutOnServer())?.state === "rolled_back",
    );
  } finally {
    page.off("request", onRequest);
  }
  await until(
    "the row rolled back",
    async () => (await row.getAttribute("data-state")) === "rolled_back",
  );
  assert.match(await row.locator(".jp-Servable-rollout-reason").innerText(), /^manual:/);
  for (let i = 0; i < 10; i++) {
    const answer = await predict(3);
    assert.equal(answer.status, 200, "stable answers what v3 would fail");
  }
});

test("the server rolls a failing candidate back by itself: a notice with its reason", async () => {
  const row = page.locator(ROW);
  // The rollback set the share to 0 (the slider shows it): give the candidate half again.
  assert.equal(await row.locator(".jp-Servable-share-value").innerText(), "0 %");
  await row.locator('input[aria-label="Share of traffic"]').fill("50");
  await row.getByRole("button", { name: "Start again" }).click();
  await until("running again", async () => {
    const view = await rolloutOnServer();
    return view?.state === "running" && view.share === 0.5;
  });
  // Clients whose every other request has three instances, which v3 fails.
  const failures: number[] = [];
  await until(
    "a notice of the automatic rollback",
    async () => {
      for (let i = 0; i < 10; i++) {
        const answer = await predict(i % 2 === 0 ? 3 : 1);
        if (answer.status !== 200) failures.push(answer.status);
      }
      return (await page.locator(`${PANEL} .jp-Servable-notice[data-model="m"]`).count()) === 1;
    },
    60_000,
  );
  const view = await rolloutOnServer();
  assert.equal(view?.state, "rolled_back");
  assert.match(String(view?.reason), /^error_rate:/);
  const notice = await page.locator(`${PANEL} .jp-Servable-notice`).innerText();
  assert.match(notice, /m: candidate v3 was rolled back automatically\. error_rate: /);
  assert.ok(notice.includes(String(view?.reason)), notice);
  assert.ok(failures.length > 0, "the candidate did fail some requests");
  // JupyterLab's own notification says it too.
  await page
    .locator(".jp-toast-message", { hasText: "rolled back automatically" })
    .first()
    .waitFor();
  await screenshotModel("sidebar-rollout-rolled-back.png");
  // From then on stable answers every unversioned request.
  for (let i = 0; i < 20; i++) assert.equal((await predict(i % 2 === 0 ? 3 : 1)).status, 200);

  await page.locator(`${PANEL} .jp-Servable-notice button[aria-label="Dismiss"]`).click();
  await until(
    "the notice dismissed",
    async () => (await page.locator(`${PANEL} .jp-Servable-notice`).count()) === 0,
  );
});
