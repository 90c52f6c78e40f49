import type { Servable } from "./servable";
import type { LoaderHarness } from "./loader-harness";
import type { ServableId } from "./servable-id";

/**
 * What a request holds while it computes: the servable of one version. While any handle
 * to a version is held, that version is not unloaded, so hold it only for the duration
 * of one request and always `release()` it (a second release does nothing).
 */
export class ServableHandle {
  #harness: LoaderHarness | undefined;

  constructor(
    harness: LoaderHarness,
    readonly servable: Servable,
  ) {
    this.#harness = harness;
    this.id = harness.id;
  }

  readonly id: ServableId;

  release(): void {
    this.#harness?.release();
    this.#harness = undefined;
  }
}
