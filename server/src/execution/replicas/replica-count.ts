/**
 * How many worker replicas each version gets. The REST thread parses and writes every
 * request, so it needs a core of its own: replicas beyond the cores left after it only
 * take turns on the same cores and add a thread hop per batch. A count the operator asks
 * for (`--model_replicas=N`, N >= 0) is kept as it is; the defaults never go past the bound.
 */
export interface ReplicaCountInput {
  /** `--model_replicas`: N >= 0 as asked, -1 for the default. */
  readonly requested: number;
  /** `num_batch_threads` when batching is on. */
  readonly numBatchThreads: number | undefined;
  /** The cores this process may use (os.availableParallelism()). */
  readonly cores: number;
}

/** Cores left once the REST thread has one, at least 1. */
export const coresForModels = (cores: number): number => Math.max(1, Math.floor(cores) - 1);

export function replicaCount({ requested, numBatchThreads, cores }: ReplicaCountInput): number {
  if (requested >= 0) return requested;
  if (numBatchThreads === undefined) return 1;
  return Math.max(1, Math.min(numBatchThreads, coresForModels(cores)));
}
