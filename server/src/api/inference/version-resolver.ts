import type { StatusCode, TensorMap } from "@servable/protocol";
import type { ServableHandle } from "../../core/servable-handle";
import type { ModelSpec, ServerCore } from "../../core/server-core";

/**
 * The step of every inference request that chooses the version it runs on: a model name
 * and a version, a label or neither to a handle, through the manager. It is the one place
 * a rollout chooses (rollout/rollouts.ts); the codecs never resolve versions themselves.
 */
export interface VersionResolver {
  /**
   * The handle of the version `spec` names, without a traffic split (metadata): a version,
   * a label, else under a rollout its stable version, else the latest. The caller releases it.
   * @throws ServingError NOT_FOUND (no such version available) or INVALID_ARGUMENT (unknown label)
   */
  resolve(spec: ModelSpec): ServableHandle;
  /**
   * An inference request's version: `resolve`'s, except that a rollout splits the requests
   * that name no version or label between stable and its candidate.
   * @throws ServingError as `resolve`
   */
  route(spec: ModelSpec, routingKey?: string): Resolution;
  /** Whether the server knows the model at all (metrics label only the models it knows). */
  knows(name: string): boolean;
}

/** The version chosen, and the rollout that chose it, if one did. */
export interface Resolution {
  readonly handle: ServableHandle;
  readonly routed?: RoutedRequest;
}

/** What the lifecycle owes the rollout that routed a request. */
export interface RoutedRequest {
  /**
   * The request is to be run on the candidate too, after its answer: the lifecycle keeps
   * copies of its inputs and outputs (the runner may take the originals).
   */
  readonly shadowed: boolean;
  /** Called once, when the request has its answer (or error). */
  finish(outcome: RoutedOutcome): void;
}

export interface RoutedOutcome {
  /** "OK" or the error's code. */
  readonly status: StatusCode;
  readonly latencyMs: number;
  /** The error came from the model running a request that decoded (not the request's fault). */
  readonly failedWhileRunning: boolean;
  /** With `shadowed` and OK: what the candidate runs, and stable's outputs. */
  readonly shadow?: ShadowRequest;
}

export interface ShadowRequest {
  /** Classify compares top classes; everything else, values. */
  readonly classify: boolean;
  readonly signatureName: string;
  readonly inputs: TensorMap;
  readonly outputKeys?: readonly string[];
  readonly numExamples?: number;
  readonly outputs: TensorMap;
}

/** What the resolver asks of the rollouts: their split of a model's unversioned requests. */
export interface TrafficSplit {
  /** The version chosen for an unversioned request; undefined: no rollout controls the model. */
  route(name: string, routingKey: string | undefined): Resolution | undefined;
  /** The stable version of a model under rollout control. */
  stableOf(name: string): number | undefined;
}

/**
 * TF Serving's resolution (ServerCore::GetServableHandle): version, label, or the latest;
 * with rollouts, a model under rollout control answers unversioned requests from its
 * stable version plus the candidate's share, never from the latest for being the latest.
 */
export class CoreVersionResolver implements VersionResolver {
  constructor(
    private readonly core: ServerCore,
    private readonly split?: TrafficSplit,
  ) {}

  resolve(spec: ModelSpec): ServableHandle {
    if (this.split && isUnversioned(spec)) {
      const stable = this.split.stableOf(spec.name);
      if (stable !== undefined) {
        return this.core.getServableHandle({ name: spec.name, version: stable });
      }
    }
    return this.core.getServableHandle(spec);
  }

  route(spec: ModelSpec, routingKey?: string): Resolution {
    if (this.split && isUnversioned(spec)) {
      const routed = this.split.route(spec.name, routingKey);
      if (routed) return routed;
    }
    return { handle: this.core.getServableHandle(spec) };
  }

  knows(name: string): boolean {
    return this.core.modelNames().includes(name);
  }
}

function isUnversioned(spec: ModelSpec): boolean {
  return spec.version === undefined && spec.label === undefined;
}
