import type { Loader } from "./loader";
import type { ServableId } from "./servable-id";

/**
 * Turns what a Source found for one version — the path of its storage — into the
 * Loader that will load it (TF Serving's SourceAdapter, e.g. its
 * SavedModelBundleSourceAdapter). It is where the formats and the way versions run are
 * chosen, so the core never knows them: the server injects one into ServerCore.
 * Making a Loader is cheap and does no I/O.
 */
export interface SourceAdapter {
  loaderFor(id: ServableId, storagePath: string): Loader;
}
