import type { ServableHandle } from "../../core/servable-handle";
import type { ModelSpec, ServerCore } from "../../core/server-core";

/**
 * The step of every inference request that chooses the version it runs on: a model name
 * and a version, a label or neither (the latest) to a handle, through the manager. It is
 * the one place a traffic split or a rollout would choose differently; the codecs never
 * resolve versions themselves.
 */
export interface VersionResolver {
  /**
   * The handle of the version `spec` names; the caller releases it.
   * @throws ServingError NOT_FOUND (no such version available) or INVALID_ARGUMENT (unknown label)
   */
  resolve(spec: ModelSpec): ServableHandle;
  /** Whether the server knows the model at all (metrics label only the models it knows). */
  knows(name: string): boolean;
}

/** TF Serving's resolution (ServerCore::GetServableHandle): version, label, or the latest. */
export class CoreVersionResolver implements VersionResolver {
  constructor(private readonly core: ServerCore) {}

  resolve(spec: ModelSpec): ServableHandle {
    return this.core.getServableHandle(spec);
  }

  knows(name: string): boolean {
    return this.core.modelNames().includes(name);
  }
}
