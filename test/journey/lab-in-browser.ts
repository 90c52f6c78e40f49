import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import type { Browser, Locator, Page } from "playwright-core";
import { launchChromium, WatchedPages } from "../extension/browser";
import { freePort, ROOT } from "../support";
import { startLabCommand, type LabCommand } from "./lab-command";

/** Where the journey tests put their screenshots. */
export const SHOTS = join(ROOT, "test-results", "journey");
/** The notebook in front. */
export const NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)";

/**
 * `npm run lab` in a scratch folder of its own, and Debian's Chromium at 1400 x 900 beside
 * it, for the tests of one file: started before them, stopped after them (the command by
 * its PID, as Ctrl-C stops it). After each test, no error may have reached the page.
 */
export class LabInBrowser {
  #scratch?: string;
  #serverPort?: number;
  #lab?: LabCommand;
  #browser?: Browser;
  #page?: Page;
  readonly #pages = new WatchedPages(SHOTS);
  readonly #prefix: string;
  #starting?: Promise<void>;

  constructor(prefix: string) {
    this.#prefix = prefix;
    before(() => this.start());
    after(async () => {
      await this.#browser?.close();
      await this.#lab?.stop();
      if (this.#scratch) rmSync(this.#scratch, { recursive: true, force: true });
    });
  }

  /**
   * Starts the lab and the page, once, whoever asks first: Node runs a file's top-level
   * before() hooks side by side, so a hook that needs the page awaits this.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#scratch = mkdtempSync(join(tmpdir(), this.#prefix));
    this.#serverPort = await freePort();
    this.#lab = await startLabCommand(
      ["--state", join(this.#scratch, "lab"), "--port", `${await freePort()}`].concat([
        "--server-port",
        `${this.#serverPort}`,
      ]),
      {
        env: {
          // The runtime files of this run's server and kernels stay in this run's folder.
          SERVABLE_RUNTIME_DIR: join(this.#scratch, "servable-runtime"),
          JUPYTER_RUNTIME_DIR: join(this.#scratch, "jupyter-runtime"),
        },
      },
    );
    this.#browser = await launchChromium();
    this.#page = await this.#pages.open(this.#browser, { width: 1400, height: 900 });
  }

  get page(): Page {
    return this.#page!;
  }
  get browser(): Browser {
    return this.#browser!;
  }
  get lab(): LabCommand {
    return this.#lab!;
  }
  get scratch(): string {
    return this.#scratch!;
  }
  get serverPort(): number {
    return this.#serverPort!;
  }

  /** The code cell of the notebook in front whose text contains `text`. */
  codeCell(text: string): Locator {
    return this.page.locator(`${NOTEBOOK} .jp-CodeCell`, { hasText: text });
  }

  /** Checks a condition until it holds; past `timeoutMs`, a screenshot and a failure. */
  until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    return this.#pages.until(this.page, what, check, timeoutMs);
  }

  /** An item of JupyterLab's Run menu, clicked as a person clicks it. */
  async runFromMenu(item: string): Promise<void> {
    await this.page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
    await this.page.locator(".lm-Menu-itemLabel", { hasText: new RegExp(`^${item}$`) }).click();
  }
}
