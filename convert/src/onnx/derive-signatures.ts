import {
  badModel,
  elementTypeName,
  CLASSIFY_METHOD,
  DEFAULT_SIGNATURE,
  PREDICT_METHOD,
  REGRESS_METHOD,
  type SignatureDef,
  type SignatureDefMap,
  type TensorInfo,
} from "@servable/protocol";
import {
  CLASSIFIER_OPS,
  classLabelsOf,
  isMlDomain,
  producerOf,
  type GraphDim,
  type GraphInterface,
  type GraphValue,
} from "./onnx-graph";
import { dataTypeOfElement } from "./element-types";
import type { UnzippedOutput } from "./zipmap";

/**
 * Signatures of an ONNX model that has no signature file: `serving_default`, a predict
 * signature with every graph input and every output Servable can return, keyed by their
 * ONNX names, in TF Serving's metadata shape (free dimensions as -1, their symbolic
 * names, such as "batch", kept as the dimension's name).
 *
 * A free first dimension (-1) on every input is what tells the batcher that requests can
 * be merged along it; an ONNX model exported with a fixed batch size of 1 takes one row.
 */
export function deriveOnnxSignatures(
  graph: GraphInterface,
  unzipped: readonly UnzippedOutput[] = [],
): SignatureDefMap {
  return {
    signature_def: {
      [DEFAULT_SIGNATURE]: {
        inputs: Object.fromEntries(graph.inputs.map((v) => [v.name, inputInfo(v)])),
        outputs: Object.fromEntries(servableOutputs(graph, unzipped)),
        method_name: PREDICT_METHOD,
      },
    },
  };
}

/** A graph input as a TensorInfo; inputs Servable cannot feed fail the load. */
export function inputInfo(value: GraphValue): TensorInfo {
  if (value.kind !== "tensor") {
    throw badModel(
      `The model's input '${value.name}' is a ${value.kind}; Servable feeds tensor inputs only`,
    );
  }
  return tensorInfoOf(value);
}

/** The outputs Servable can return: tensors, and ZipMap outputs as their probability matrix. */
export function servableOutputs(
  graph: GraphInterface,
  unzipped: readonly UnzippedOutput[],
): [string, TensorInfo][] {
  const out: [string, TensorInfo][] = [];
  for (const value of graph.outputs) {
    const zip = unzipped.find((u) => u.output === value.name);
    if (zip) out.push([value.name, probabilityInfo(value.name, zip.labels.length)]);
    else if (value.kind === "tensor") out.push([value.name, tensorInfoOf(value)]);
  }
  if (out.length === 0) {
    throw badModel(
      `None of the model's outputs (${graph.outputs.map((o) => `${o.name}: ${o.kind}`).join(", ")}) is a tensor Servable can return`,
    );
  }
  return out;
}

function tensorInfoOf(value: GraphValue & { kind: "tensor" }): TensorInfo {
  const dtype = dataTypeOfElement(value.elemType);
  if (!dtype) {
    throw badModel(
      `The model's tensor '${value.name}' is ${elementTypeName(value.elemType)}, which Servable's tensors cannot carry`,
    );
  }
  return {
    dtype,
    tensor_shape: value.dims
      ? { dim: value.dims.map(toDim), unknown_rank: false }
      : { dim: [], unknown_rank: true },
    name: value.name,
  };
}

const toDim = (d: GraphDim) => ({ size: String(d.size), name: d.name });

function probabilityInfo(name: string, classes: number): TensorInfo {
  return {
    dtype: "DT_FLOAT",
    tensor_shape: {
      dim: [
        { size: "-1", name: "" },
        { size: String(classes), name: "" },
      ],
      unknown_rank: false,
    },
    name,
  };
}

/** A classify or regress signature found in a model's graph, with its class labels. */
export interface ExampleSignature {
  readonly name: "classify" | "regress";
  readonly signature: SignatureDef;
  readonly classLabels?: readonly string[];
}

/**
 * The classify or regress signature of a model whose outputs come straight from one
 * ai.onnx.ml classifier (label, then probabilities, possibly through a ZipMap) or
 * regressor: what `servable import` writes beside an ONNX file so that `:classify` and
 * `:regress` work on it. Undefined for any other graph.
 */
export function deriveExampleSignature(
  graph: GraphInterface,
  unzipped: readonly UnzippedOutput[] = [],
): ExampleSignature | undefined {
  const inputs = Object.fromEntries(graph.inputs.map((v) => [v.name, inputInfo(v)]));
  const outputs = new Map(servableOutputs(graph, unzipped));
  const producers = graph.outputs.map((o) => {
    const zip = unzipped.find((u) => u.output === o.name);
    return producerOf(graph, zip ? zip.tensor : o.name);
  });
  const node = producers[0];
  if (!node || !isMlDomain(node) || producers.some((p) => p !== node)) return undefined;
  if (CLASSIFIER_OPS.has(node.opType ?? "") && graph.outputs.length === 2) {
    const [label, scores] = graph.outputs;
    return {
      name: "classify",
      signature: {
        inputs,
        outputs: { classes: outputs.get(label!.name)!, scores: outputs.get(scores!.name)! },
        method_name: CLASSIFY_METHOD,
      },
      classLabels: classLabelsOf(node),
    };
  }
  const regressors = ["TreeEnsembleRegressor", "LinearRegressor", "SVMRegressor"];
  if (regressors.includes(node.opType ?? "") && graph.outputs.length === 1) {
    return {
      name: "regress",
      signature: {
        inputs,
        outputs: { outputs: outputs.get(graph.outputs[0]!.name)! },
        method_name: REGRESS_METHOD,
      },
    };
  }
  return undefined;
}
