import pino, { type Logger } from "pino";
import { StagingArea } from "../repository/staging-area";
import { StateLayout } from "../repository/state-layout";

/**
 * What one server holds of a repository's shared state, for tests that start several
 * servers on one folder: the folder's layout, the server's own staging area, and a
 * logger whose error messages the test can read (a server must say why it ignores a
 * file another wrote, not only ignore it).
 */
export interface StateServer {
  readonly layout: StateLayout;
  readonly staging: StagingArea;
  readonly logger: Logger;
  /** The messages logged at error level, in order. */
  readonly errors: string[];
}

export async function openStateServer(repository: string): Promise<StateServer> {
  const errors: string[] = [];
  const logger = pino(
    { level: "error" },
    { write: (line: string) => errors.push((JSON.parse(line) as { msg: string }).msg) },
  );
  const layout = new StateLayout(repository);
  const staging = await StagingArea.open(layout.stagingDir, { logger });
  return { layout, staging, logger, errors };
}
