import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { startLab, type LabProcess } from "../../extension/ui-tests/jupyter-lab";
import { launchChromium } from "../extension/browser";
import { freePort, ROOT, startServer, type ServerProcess } from "../support";
import { SYSTEM_PYTHON } from "../support/jupyter-process";

/**
 * Binder's setup, as far as our machines allow: binder/install.sh (postBuild's steps, all
 * but conda's) into a temporary prefix with Debian's Jupyter, then what JupyterLab finds
 * there; binder/start's token; and the sidebar reaching the server through a proxy path,
 * with the settings Binder gives it. The proxy is the test JupyterLab's stand-in for
 * jupyter-server-proxy (not in Debian): <base>/servable/ to the server's port.
 */
const run = promisify(execFile);
const PLUGIN = "@servable/jupyterlab:plugin";

let prefix: string;
before(async () => {
  prefix = mkdtempSync(join(tmpdir(), "servable-binder-"));
  await run("bash", [join(ROOT, "binder", "install.sh"), prefix, SYSTEM_PYTHON], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
});
after(() => rmSync(prefix, { recursive: true, force: true }));

test("the tslab kernel spec is where Jupyter looks for kernels", async () => {
  const { stdout } = await run(SYSTEM_PYTHON, ["-m", "jupyter", "kernelspec", "list", "--json"], {
    env: { ...process.env, JUPYTER_PATH: join(prefix, "share", "jupyter"), JUPYTER_NO_CONFIG: "1" },
  });
  const specs = (
    JSON.parse(stdout) as {
      kernelspecs: Record<
        string,
        { resource_dir: string; spec: { argv: string[]; language: string } }
      >;
    }
  ).kernelspecs;
  const tslab = specs.tslab;
  assert.ok(tslab, `kernels found: ${Object.keys(specs).join(", ")}`);
  assert.ok(tslab.resource_dir.startsWith(prefix), tslab.resource_dir);
  assert.equal(tslab.spec.language, "typescript");
  const command = tslab.spec.argv[0]!;
  assert.ok(existsSync(command), `the kernel's command ${command} exists`);
});

test("the prebuilt extension is in the prefix's labextensions", () => {
  const dir = join(prefix, "share", "jupyter", "labextensions", "@servable", "jupyterlab");
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    name: string;
    jupyterlab: { _build: { load: string } };
  };
  assert.equal(manifest.name, "@servable/jupyterlab");
  assert.ok(existsSync(join(dir, manifest.jupyterlab._build.load)), "its remoteEntry is there");
  assert.ok(readdirSync(join(dir, "schemas", "@servable", "jupyterlab")).includes("plugin.json"));
});

test("jupyter-server-proxy's entry starts the serving server on the port the kernel uses", () => {
  const config = JSON.parse(
    readFileSync(
      join(prefix, "etc", "jupyter", "jupyter_server_config.d", "servable.json"),
      "utf8",
    ),
  ) as {
    ServerProxy: {
      servers: Record<string, { command: string[]; port: number; absolute_url: boolean }>;
    };
  };
  const entry = config.ServerProxy.servers.servable!;
  assert.equal(entry.port, 8501);
  assert.equal(entry.absolute_url, false);
  const script = entry.command[1]!;
  assert.ok(statSync(script).isFile(), script);
  assert.match(readFileSync(script, "utf8"), /--rest_api_port=8501/);
});

describe("a Binder session: start's settings, the sidebar through the proxy", () => {
  let server: ServerProcess;
  let lab: LabProcess;
  let browser: Browser;
  let token: string;
  let settings: Record<string, Record<string, unknown>>;

  before(async () => {
    const { stdout } = await run(join(ROOT, "binder", "start"), ["printenv", "SERVABLE_TOKEN"], {
      env: { ...process.env, SERVABLE_PREFIX: prefix, SERVABLE_TOKEN: "" },
    });
    token = stdout.trim();
    settings = JSON.parse(
      readFileSync(join(prefix, "share", "jupyter", "lab", "settings", "overrides.json"), "utf8"),
    ) as Record<string, Record<string, unknown>>;
    const repository = join(prefix, "models");
    cpSync(join(ROOT, "server", "demo", "models"), repository, { recursive: true });
    const port = await freePort();
    server = await startServer([`--rest_api_port=${port}`, `--model_repository=${repository}`], {
      env: { SERVABLE_TOKEN: token },
    });
    lab = await startLab({
      rootDir: mkdtempSync(join(prefix, "workspace-")),
      stateDir: mkdtempSync(join(prefix, "lab-state-")),
      env: {
        JUPYTER_PATH: join(prefix, "share", "jupyter"),
        SERVABLE_LAB_PROXY: `servable=${port}`,
      },
      settingsDefaults: { [PLUGIN]: { ...settings[PLUGIN], pollingInterval: 0.5 } },
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await lab?.stop();
    await server?.stop();
  });

  test("start gives the server and the sidebar one token, and the sidebar the proxy path", () => {
    assert.match(token, /^[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(settings[PLUGIN], { serverUrl: "{baseUrl}servable", token });
  });

  test("the sidebar reaches the server through the proxy path and can call it", async () => {
    const page = await browser.newPage();
    await page.goto(lab.labUrl);
    await page.waitForSelector("body[data-lab-restored]", { state: "attached", timeout: 60_000 });
    await page.locator('.jp-SideBar.jp-mod-left li[data-id="servable-sidebar"]').click();
    const row = page.locator(
      '.jp-Servable-panel .jp-Servable-version[data-model="half_plus_two"][data-version="1"]',
    );
    await row.waitFor({ timeout: 30_000 });
    assert.equal(await row.getAttribute("data-state"), "AVAILABLE");
    // A write through the proxy: the sidebar's token reaches the server's management API.
    const labelled = await page.evaluate(
      async ({ token }) => {
        const res = await fetch("/servable/v1/models/half_plus_two/labels/binder", {
          method: "PUT",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ version: 1 }),
        });
        return res.status;
      },
      { token },
    );
    assert.equal(labelled, 200);
    await page.close();
  });
});
