import { failedPrecondition } from "@servable/protocol";
import type { ServerCore } from "../../core/server-core";
import type { ModelRepository } from "../../repository/model-repository";

/**
 * Deletes a version from the repository (DELETE /v1/models/{m}/versions/{v}, and a
 * rollback that deletes its candidate): refused while a label points at it (as the
 * repository says now, or as this server still serves it) or `heldBy` says something
 * else needs it; otherwise the folder leaves every Source's sight, this server unloads the
 * version (running requests finish first), and its files and history are removed.
 * @throws ServingError FAILED_PRECONDITION (labelled or held), NOT_FOUND (no such folder)
 */
export async function deleteVersion(
  core: ServerCore,
  repository: ModelRepository,
  name: string,
  version: number,
  heldBy?: (name: string, version: number) => string | undefined,
): Promise<void> {
  // The labels as they are now on the repository, not as last polled.
  await core.refreshLabels();
  const labelled = core.labelsAt(name, version);
  if (labelled.length > 0) {
    throw failedPrecondition(
      `Version ${version} of model ${name} is labelled ${labelled.join(", ")}: point the label at another version or remove it first`,
    );
  }
  const held = heldBy?.(name, version);
  if (held) throw failedPrecondition(held);
  const hidden = await repository.hideVersion(name, version);
  try {
    // Running requests on it finish first.
    await core.pollNow();
  } finally {
    await repository.removeHidden(hidden);
    core.forgetVersion(name, version);
  }
}
