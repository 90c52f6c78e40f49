import { access } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { badModel, ServingError } from "@servable/protocol";
import { bindByTensorNames, type TensorBindings, type TfjsVersion } from "../loaded-version";
import type { LoadContext, ModelFormat } from "../model-format";
import { isTransientIoError } from "../version-files";
import { TensorBundle } from "./checkpoint/tensor-bundle";
import { freezeMetaGraph } from "./graph/frozen-graph";
import type { Subgraph } from "./graph/prune";
import { loadNatively, nativeTensorFlowAvailable } from "./native/native-saved-model";
import { graphModelArtifacts } from "./graph-model/graph-model-artifacts";
import {
  checkParseExampleNode,
  PARSE_EXAMPLE_OPS,
  registerParseExampleOps,
} from "./graph-model/parse-example-ops";
import { registerStringOps, withStringOps } from "./graph-model/string-ops";
import { unsupportedNodes } from "./graph-model/unsupported-ops";
import {
  metaGraphWithTags,
  readSavedModel,
  SAVED_MODEL_PB,
  SAVED_MODEL_PBTXT,
} from "./saved-model-file";
import { signatureDefMap, signatureSubgraphs } from "./signature-defs";

/**
 * TensorFlow SavedModels (`saved_model.pb` or `.pbtxt`, `variables/`, `assets/`): the
 * MetaGraph with the `--saved_model_tags`, served for every SignatureDef it has. With
 * @tensorflow/tfjs-node installed, native TensorFlow loads it; without, Servable's own
 * reader freezes it into a TF.js graph (see docs/savedmodel.md). An op the TF.js runtime
 * cannot execute fails the load with the op and node named.
 */
export const savedModelFormat: ModelFormat = {
  name: "savedmodel",
  marker: "saved_model.pb (SavedModel)",
  detect: (files) => files.includes(SAVED_MODEL_PB) || files.includes(SAVED_MODEL_PBTXT),
  async load(dir, context): Promise<TfjsVersion> {
    try {
      if (nativeTensorFlowAvailable()) return await loadNatively(dir, context);
      return await loadWithReader(dir, context);
    } catch (error) {
      if (error instanceof ServingError) throw error;
      const message = `Cannot load the SavedModel in ${dir}: ${(error as Error).message}`;
      if (isTransientIoError(error)) throw new ServingError("UNAVAILABLE", message);
      throw badModel(message);
    }
  },
};

async function loadWithReader(dir: string, context: LoadContext): Promise<TfjsVersion> {
  const started = performance.now();
  const savedModel = await readSavedModel(dir);
  const metaGraph = metaGraphWithTags(savedModel, context.options.savedModelTags);
  const signatureProtos = metaGraph.signature_def ?? {};
  const signatures = signatureDefMap(signatureProtos);
  const subgraphs = signatureSubgraphs(signatureProtos);
  const served = [...subgraphs.values()].filter((s): s is Subgraph => typeof s !== "string");
  const frozen = await freezeMetaGraph(metaGraph, served, () => openCheckpoint(dir));
  for (const node of frozen.nodes) {
    if (PARSE_EXAMPLE_OPS.has(node.op)) checkParseExampleNode(node);
  }
  registerParseExampleOps();
  registerStringOps();
  const runnable = { ...frozen, nodes: frozen.nodes.map(withStringOps) };
  const model = await tf.loadGraphModel(tf.io.fromMemory(graphModelArtifacts(runnable)));
  const unsupported = unsupportedNodes(model) ?? [];
  if (unsupported.length > 0) {
    model.dispose();
    const list = unsupported.map((u) => `${u.op} (node ${u.node})`).join(", ");
    throw badModel(
      `Cannot load the SavedModel in ${dir}: the TensorFlow.js runtime cannot execute ${unsupported.length === 1 ? "op" : "ops"} ${list}`,
    );
  }
  context.logger.info(
    {
      dir,
      tensorflowVersion: metaGraph.meta_info_def?.tensorflow_version,
      signatures: Object.keys(signatures.signature_def).length,
      nodes: frozen.nodes.length,
      constants: frozen.constants.size,
      loadMs: Math.round(performance.now() - started),
    },
    "SavedModel loaded with Servable's reader",
  );
  // Like a TensorFlow session, the graph refuses a feed whose dtype differs from its own.
  const bound = bindByTensorNames(signatures, frozen.feedTypes);
  const bindings = new Map<string, TensorBindings | string>();
  for (const [name, subgraph] of subgraphs) {
    bindings.set(name, typeof subgraph === "string" ? subgraph : bound.get(name)!);
  }
  return {
    engine: "tfjs",
    model: { kind: "graph", model },
    signatures,
    parsesExamples: true,
    bindings,
    dispose: () => model.dispose(),
  };
}

/** The checkpoint under `variables/`, or undefined when there is none (a frozen SavedModel). */
async function openCheckpoint(dir: string): Promise<TensorBundle | undefined> {
  const prefix = join(dir, "variables", "variables");
  const exists = await access(`${prefix}.index`).then(
    () => true,
    () => false,
  );
  return exists ? TensorBundle.open(prefix) : undefined;
}
