import { join } from "node:path";

/**
 * Where the model repository keeps its shared state: everything the management API
 * changes besides the version folders, beside them, so that every server on the
 * repository reads the same truth (docs/management-api.md, "Repository state").
 *
 *   <repository>/
 *     <model>/<version>/...                     the versions (integer-named folders)
 *     .servable/                                not a model: its name starts with a dot
 *       models/<model>/labels/<label>.json      {"version": 3}: one file per label
 *       models/<model>/rollout.json             one model's rollout record (rollout-state.ts)
 *       models/<model>/rollout-decisions/<hash> a rollback decided on one record (one per record)
 *       models/<model>/allocated/<version>      every version number given out (never reused)
 *       staging/<server>/owner.json             {"server", "host", "pid", "started", "heartbeat"}
 *       staging/<server>/<upload-|delete-|tmp->  that server's uploads, deletes and files being written
 *
 * Every file is written whole into its writer's staging folder, then renamed into place
 * (the same volume), so a reader sees the old file or the new one, never half of one, and
 * a `kill -9` at any point leaves at most a staging folder behind. Model names and labels
 * are checked by `@servable/protocol`'s rules before they become path segments.
 */
export const STATE_DIR = ".servable";

export class StateLayout {
  readonly dir: string;

  constructor(readonly repository: string) {
    this.dir = join(repository, STATE_DIR);
  }

  get modelsDir(): string {
    return join(this.dir, "models");
  }

  modelDir(model: string): string {
    return join(this.modelsDir, model);
  }

  labelsDir(model: string): string {
    return join(this.modelDir(model), "labels");
  }

  labelFile(model: string, label: string): string {
    return join(this.labelsDir(model), `${label}${LABEL_SUFFIX}`);
  }

  rolloutFile(model: string): string {
    return join(this.modelDir(model), "rollout.json");
  }

  /** Where the rollbacks decided by the guard rails are claimed, one file per record judged. */
  rolloutDecisionsDir(model: string): string {
    return join(this.modelDir(model), "rollout-decisions");
  }

  allocatedDir(model: string): string {
    return join(this.modelDir(model), "allocated");
  }

  get stagingDir(): string {
    return join(this.dir, "staging");
  }

  /** The labels file of earlier releases, `{"<model>": {"<label>": <version>}}`. */
  get legacyLabelsFile(): string {
    return join(this.dir, "labels.json");
  }
}

export const LABEL_SUFFIX = ".json";
