import type { Browser, Page } from "playwright-core";
import { startLab, type LabProcess } from "../../extension/ui-tests/jupyter-lab";
import { join } from "node:path";
import { launchChromium, openLab, type WatchedPages } from "./browser";
import { installWheel } from "./install-wheel";

/** The sidebar's JupyterLab and the browser page it is open in. */
export interface SidebarLab {
  readonly lab: LabProcess;
  readonly browser: Browser;
  readonly page: Page;
  /** Closes the browser, then stops JupyterLab. */
  close(): Promise<void>;
}

/**
 * The test JupyterLab with the sidebar installed from its wheel (under `scratch`/prefix,
 * found the way Jupyter finds any installed extension: in a data dir of JUPYTER_PATH), its
 * Jupyter root `scratch`/workspace, the sidebar's settings pointing at `serverUrl` with
 * `token` and polling every 0.5 s; opened in Debian's Chromium on a page of `pages`
 * (device scale 2, for sharp screenshots).
 */
export async function openSidebarLab(
  scratch: string,
  server: { readonly serverUrl: string; readonly token: string },
  pages: WatchedPages,
  viewport: { width: number; height: number },
): Promise<SidebarLab> {
  const jupyterData = installWheel(join(scratch, "prefix"));
  const lab = await startLab({
    rootDir: join(scratch, "workspace"),
    stateDir: join(scratch, "jupyter"),
    env: { JUPYTER_PATH: jupyterData },
    settingsDefaults: {
      "@servable/jupyterlab:plugin": { ...server, pollingInterval: 0.5 },
    },
  });
  const browser = await launchChromium().catch(async (error: unknown) => {
    await lab.stop();
    throw error;
  });
  const close = async () => {
    await browser.close();
    await lab.stop();
  };
  try {
    const page = await pages.open(browser, viewport, 2);
    await openLab(page, lab.labUrl);
    return { lab, browser, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}
