import { constants } from "node:fs";
import { access, rename } from "node:fs/promises";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { failedPrecondition, isLabel, isModelName, versionFromJson } from "@servable/protocol";
import { createFileExclusive, errorCode, readIfExists } from "./atomic-file";
import { RepositoryLabelState } from "./label-state";
import { RepositoryRolloutState } from "./rollout-state";
import { StagingArea, type StagingOptions } from "./staging-area";
import { StateLayout } from "./state-layout";

/**
 * A server's handle on the model repository's shared state (state-layout.ts): its own
 * staging folder, beating and sweeping the folders of servers that are gone, the label
 * files and the rollout records. One per server process; `close()` when the server stops.
 *
 * A repository this server may not write (a read-only volume) is still served, with the
 * labels found in it: `readOnly` says why nothing can be changed through this server.
 */
export type RepositoryState =
  | {
      readonly layout: StateLayout;
      readonly labels: RepositoryLabelState;
      readonly rollouts: RepositoryRolloutState;
      readonly staging: StagingArea;
      readonly readOnly?: undefined;
      close(): Promise<void>;
    }
  | {
      readonly layout: StateLayout;
      readonly labels: RepositoryLabelState;
      readonly rollouts: RepositoryRolloutState;
      readonly staging?: undefined;
      readonly readOnly: string;
      close(): Promise<void>;
    };

export async function openRepositoryState(
  repository: string,
  options: Omit<StagingOptions, "logger"> & { readonly logger: Logger },
): Promise<RepositoryState> {
  const layout = new StateLayout(resolve(repository));
  let staging: StagingArea;
  try {
    staging = await StagingArea.open(layout.stagingDir, options);
  } catch (error) {
    const denied = await access(layout.repository, constants.W_OK).then(
      () => undefined,
      (e: unknown) => errorCode(e),
    );
    if (!denied || !["EROFS", "EACCES", "EPERM"].includes(denied)) throw error;
    const readOnly = `${layout.repository} cannot be written (${denied})`;
    options.logger.warn(
      { err: error },
      `Serving the model repository read-only: ${readOnly}; uploads, deletes and label changes are refused`,
    );
    const refuse = () => {
      throw failedPrecondition(`The model repository cannot be changed: ${readOnly}`);
    };
    const labels = new RepositoryLabelState(layout, refuse, options.logger, "read-only");
    const rollouts = new RepositoryRolloutState(layout, refuse, options.logger);
    return { layout, labels, rollouts, readOnly, close: async () => undefined };
  }
  const labels = new RepositoryLabelState(layout, () => staging.dir, options.logger, staging.id);
  const rollouts = new RepositoryRolloutState(layout, () => staging.dir, options.logger);
  try {
    await migrateLegacyLabels(layout, staging, options.logger);
    await staging.sweep();
  } catch (error) {
    await staging.close();
    throw error;
  }
  staging.start();
  options.logger.info(
    { staging: staging.dir },
    `Repository state in ${layout.dir}; this server stages in ${staging.dir}`,
  );
  return { layout, staging, labels, rollouts, close: () => staging.close() };
}

/**
 * Earlier releases kept every label in `.servable/labels.json`. Each label there becomes
 * a label file unless one exists already, then the old file is renamed away, so labels set
 * since are never overwritten by it.
 */
async function migrateLegacyLabels(
  layout: StateLayout,
  staging: StagingArea,
  logger: Logger,
): Promise<void> {
  const path = layout.legacyLabelsFile;
  const text = await readIfExists(path);
  if (text === undefined) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not {"<model>": {"<label>": <version>}}: fix or remove it`);
  }
  for (const [model, labels] of entriesOf(parsed)) {
    for (const [label, value] of entriesOf(labels)) {
      const version = versionFromJson(value);
      if (!isModelName(model) || !isLabel(label) || version === undefined) continue;
      const record = { version, set_by: `${staging.id} (from labels.json)` };
      await createFileExclusive(
        layout.labelFile(model, label),
        `${JSON.stringify(record)}\n`,
        staging.dir,
      );
    }
  }
  try {
    await rename(path, `${path}.migrated`);
    logger.info({ path }, `Moved the labels of ${path} into ${layout.modelsDir}`);
  } catch (error) {
    // Another server migrated it at the same time.
    if (errorCode(error) !== "ENOENT") throw error;
  }
}

function entriesOf(value: unknown): [string, unknown][] {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? Object.entries(value)
    : [];
}
