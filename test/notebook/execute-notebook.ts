import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ROOT } from "../support";
import { startJupyterServer } from "./jupyter-server";
import { runNotebook, type CellRun, type RunOptions } from "./notebook-runner";

export { jupyterMissing } from "./jupyter-server";
export type { CellRun } from "./notebook-runner";

export interface ExecuteOptions extends RunOptions {
  /** Environment of the Jupyter server and its kernels (SERVABLE_URL, SERVABLE_RUNTIME_DIR...). */
  readonly env?: NodeJS.ProcessEnv;
  /** More files to copy beside the notebook (data, models). */
  readonly files?: readonly string[];
}

export interface NotebookResult {
  readonly cells: CellRun[];
  /** The Jupyter root the notebook ran in (removed once `cleanup` runs). */
  readonly workspace: string;
  /** What the Jupyter server logged. */
  readonly jupyterOutput: string;
  /** The first cell whose source contains `text` (fails the test when there is none). */
  cellWith(text: string): CellRun;
  /**
   * The cells that did not run cleanly, each with what it reported: a test expects none,
   * and its failure message then shows the error a user would have seen.
   */
  failedCells(): Pick<CellRun, "index" | "status" | "error" | "stderr">[];
  cleanup(): Promise<void>;
}

/**
 * Runs a notebook of the repository cell by cell in a real tslab kernel: a fresh
 * workspace (the notebook copied in, `node_modules` linked to the repository's, so
 * `import ... from "servable"` resolves as in a clone), Debian's Jupyter server on a free
 * port, @jupyterlab/services driving the kernel. The server is stopped before this
 * returns; the workspace stays for the caller to inspect until `cleanup()`.
 */
export async function executeNotebook(
  notebookFile: string,
  options: ExecuteOptions = {},
): Promise<NotebookResult> {
  const workspace = await mkdtemp(join(tmpdir(), "servable-notebook-"));
  const state = await mkdtemp(join(tmpdir(), "servable-jupyter-"));
  const cleanup = async () => {
    await rm(workspace, { recursive: true, force: true });
    await rm(state, { recursive: true, force: true });
  };
  try {
    await symlink(join(ROOT, "node_modules"), join(workspace, "node_modules"), "dir");
    for (const file of [notebookFile, ...(options.files ?? [])]) {
      await copyFile(file, join(workspace, basename(file)));
    }
    const jupyter = await startJupyterServer({
      rootDir: workspace,
      stateDir: state,
      ...(options.env && { env: options.env }),
    });
    try {
      const cells = await runNotebook(jupyter, basename(notebookFile), options);
      const cellWith = (text: string): CellRun => {
        const cell = cells.find((c) => c.source.includes(text));
        assert.ok(cell, `no cell contains ${text}`);
        return cell;
      };
      const failedCells = () =>
        cells
          .filter((c) => c.status !== "ok")
          .map((c) => ({ index: c.index, status: c.status, error: c.error, stderr: c.stderr }));
      return { cells, workspace, jupyterOutput: jupyter.output(), cellWith, failedCells, cleanup };
    } finally {
      await jupyter.stop();
    }
  } catch (error) {
    await cleanup();
    throw error;
  }
}
