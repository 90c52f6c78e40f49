import { basename } from "node:path";
import type { ServerProcess } from "../support";
import { startServerForKernelLib } from "../support/kernel-lib-server";
import { executeNotebook, type ExecuteOptions, type NotebookResult } from "./execute-notebook";

export interface ServedNotebookResult extends NotebookResult {
  /** The server the notebook's cells called; `cleanup` stops it. */
  readonly server: ServerProcess;
}

/**
 * Runs a notebook of the repository (as `executeNotebook`) against a servable-server of
 * its own on an empty repository. No token is given to the kernel: it finds the server's
 * generated token in the runtime folder they share, as on a user's machine.
 */
export async function executeNotebookAgainstServer(
  notebookFile: string,
  options: ExecuteOptions = {},
): Promise<ServedNotebookResult> {
  const served = await startServerForKernelLib(`servable-${basename(notebookFile, ".ipynb")}-`);
  try {
    const result = await executeNotebook(notebookFile, {
      ...options,
      env: { ...options.env, ...served.clientEnv },
    });
    return {
      ...result,
      server: served.server,
      async cleanup() {
        await served.stop();
        await result.cleanup();
      },
    };
  } catch (error) {
    await served.stop();
    throw error;
  }
}
