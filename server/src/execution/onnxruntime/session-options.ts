import { availableParallelism } from "node:os";
import type { InferenceSession } from "onnxruntime-node";

/**
 * onnxruntime session options from the command line, the same in the REST thread and
 * in every replica.
 *
 * Threads: one session runs one request at a time on `intraOpThreads` threads. By
 * default the machine's cores are shared among the version's replicas, so that N worker
 * replicas, each with its own session, do not oversubscribe the cores between them.
 */
export const GRAPH_OPTIMIZATION_LEVELS = ["disabled", "basic", "extended", "all"] as const;
export type GraphOptimizationLevel = (typeof GRAPH_OPTIMIZATION_LEVELS)[number];

export interface OnnxSettings {
  readonly intraOpThreads: number;
  readonly graphOptimizationLevel: GraphOptimizationLevel;
}

export interface OnnxFlags {
  /** 0 = the machine's cores divided among the replicas. */
  readonly onnx_intra_op_threads: number;
  readonly onnx_graph_optimization_level: string;
}

/** The ONNX Runtime settings from flags and the replica count. */
export function onnxSettings(flags: OnnxFlags, replicas: number): OnnxSettings {
  const intraOpThreads =
    flags.onnx_intra_op_threads > 0
      ? flags.onnx_intra_op_threads
      : Math.max(1, Math.floor(availableParallelism() / Math.max(1, replicas)));
  return {
    intraOpThreads,
    graphOptimizationLevel: flags.onnx_graph_optimization_level as GraphOptimizationLevel,
  };
}

const DEFAULTS: OnnxSettings = { intraOpThreads: 0, graphOptimizationLevel: "all" };

/** The session options a version is loaded with. */
export function sessionOptions(settings?: Partial<OnnxSettings>): InferenceSession.SessionOptions {
  const { intraOpThreads, graphOptimizationLevel } = { ...DEFAULTS, ...settings };
  return {
    executionProviders: ["cpu"],
    // 0 lets onnxruntime pick (one thread per physical core).
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel,
    // Errors only: onnxruntime's warnings (unused initializers...) are noise in server logs.
    logSeverityLevel: 3,
  };
}
