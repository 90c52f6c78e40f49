import {
  CLASSIFY_METHOD,
  DEFAULT_SIGNATURE,
  ElementType,
  encodeModel,
  own,
  PREDICT_METHOD,
  REGRESS_METHOD,
  tensorInfo,
  type NodeProto,
  type OnnxTensorProto,
  type SignatureFile,
  type TensorInfo,
} from "@servable/protocol";
import {
  floatConstant,
  floats,
  int,
  int64Constant,
  ints,
  node,
  string,
  strings,
  tensorValue,
} from "../onnx/onnx-builder";
import { XgbConversionError, type XgbModel, type XgbTree } from "./xgboost-model";

/**
 * An XGBoost tree model as an ONNX graph on ai.onnx.ml's tree ensembles, computing what
 * XGBoost's `predict` computes: every tree's leaf summed on the base margin, then the
 * objective's link.
 *
 * Splits: XGBoost goes left when value < threshold, and a missing value (NaN) goes the
 * node's default direction; that is ONNX's BRANCH_LT with the true branch on the left and
 * `nodes_missing_value_tracks_true` set from `default_left`.
 *
 * The graph's one input is `features` (float32 [N, num_feature], NaN for missing). Its
 * outputs:
 * - regression objectives: `prediction` (float32 [N]);
 * - binary:logistic: `label` (int64 [N], 0 or 1) and `probabilities` (float32 [N, 2]);
 *   a TreeEnsembleRegressor gives the margin, Sigmoid the probability of class 1;
 * - multi:softprob and multi:softmax: `label` (int64 [N]) and `probabilities` (float32
 *   [N, classes]), from a TreeEnsembleClassifier with SOFTMAX (with two classes, a
 *   two-target TreeEnsembleRegressor and Softmax, as onnxruntime reads a two-class
 *   TreeEnsembleClassifier as a binary one).
 */
export type ConvertedKind = "regress" | "classify";

export interface ConvertedModel {
  readonly onnx: Uint8Array;
  readonly kind: ConvertedKind;
  /** Labels of the probability columns, for a classifier. */
  readonly classLabels?: readonly string[];
  readonly numFeature: number;
  /**
   * The signature file to serve it with: `serving_default` (predict), and `regress` or
   * `classify` (with the class labels) over the same graph.
   */
  readonly signatures: SignatureFile;
}

type Link = "identity" | "sigmoid" | "exp";

interface Objective {
  readonly kind: "regress" | "binary" | "multiclass";
  readonly link: Link;
}

/** The objectives converted, by the link from margin to prediction. */
export const OBJECTIVES: Readonly<Record<string, Objective>> = {
  "reg:squarederror": { kind: "regress", link: "identity" },
  "reg:squaredlogerror": { kind: "regress", link: "identity" },
  "reg:pseudohubererror": { kind: "regress", link: "identity" },
  "reg:absoluteerror": { kind: "regress", link: "identity" },
  "reg:logistic": { kind: "regress", link: "sigmoid" },
  "binary:logitraw": { kind: "regress", link: "identity" },
  "count:poisson": { kind: "regress", link: "exp" },
  "reg:gamma": { kind: "regress", link: "exp" },
  "reg:tweedie": { kind: "regress", link: "exp" },
  "binary:logistic": { kind: "binary", link: "sigmoid" },
  "multi:softprob": { kind: "multiclass", link: "identity" },
  "multi:softmax": { kind: "multiclass", link: "identity" },
};

const ML_OPSET = { domain: "ai.onnx.ml", version: 3 };
const ONNX_OPSET = { domain: "", version: 13 };
const INPUT = "features";

export function xgboostToOnnx(model: XgbModel): ConvertedModel {
  const objective = own(OBJECTIVES, model.objective);
  if (!objective) {
    throw new XgbConversionError(
      `The objective ${model.objective || "(none)"} is not converted; converted: ${Object.keys(OBJECTIVES).join(", ")}`,
    );
  }
  if (model.trees.length === 0) throw new XgbConversionError("The model has no trees");
  const margin = baseMargin(model, objective);
  const built =
    objective.kind === "regress"
      ? regressionGraph(model, objective.link, margin)
      : objective.kind === "binary"
        ? binaryGraph(model, margin)
        : model.numClass === 2
          ? twoClassGraph(model, margin)
          : multiClassGraph(model, margin);
  const onnx = encodeModel({
    irVersion: 8,
    producerName: "servable",
    producerVersion: "xgboost-to-onnx",
    docString: `XGBoost ${model.objective}, ${model.trees.length} trees`,
    opsetImport: [ONNX_OPSET, ML_OPSET],
    graph: {
      name: "xgboost",
      node: built.nodes,
      initializer: built.initializers ?? [],
      input: [tensorValue(INPUT, ElementType.FLOAT, ["N", model.numFeature])],
      output: built.outputs,
    },
  });
  const kind = objective.kind === "regress" ? "regress" : "classify";
  return {
    onnx,
    kind,
    ...(built.classLabels && { classLabels: built.classLabels }),
    numFeature: model.numFeature,
    signatures: signaturesOf(kind, model.numFeature, built.classLabels),
  };
}

/** The graph's tensors under TF Serving's signature keys (see the module comment). */
function signaturesOf(
  kind: ConvertedKind,
  numFeature: number,
  classLabels: readonly string[] | undefined,
): SignatureFile {
  const inputs = { features: tensorInfo(INPUT, "DT_FLOAT", [-1, numFeature]) };
  const signature = (method: string, outputs: Record<string, TensorInfo>) => ({
    inputs,
    outputs,
    method_name: method,
  });
  if (kind === "regress") {
    const prediction = tensorInfo("prediction", "DT_FLOAT", [-1]);
    return {
      signature_def: {
        [DEFAULT_SIGNATURE]: signature(PREDICT_METHOD, { prediction }),
        regress: signature(REGRESS_METHOD, { outputs: prediction }),
      },
    };
  }
  const label = tensorInfo("label", "DT_INT64", [-1]);
  const probabilities = tensorInfo("probabilities", "DT_FLOAT", [-1, classLabels!.length]);
  return {
    signature_def: {
      [DEFAULT_SIGNATURE]: signature(PREDICT_METHOD, { label, probabilities }),
      classify: signature(CLASSIFY_METHOD, { classes: label, scores: probabilities }),
    },
    class_labels: { classify: [...classLabels!] },
  };
}

/** The base score in margin space: XGBoost saves it in the prediction's space. */
function baseMargin(model: XgbModel, objective: Objective): number {
  const base = model.baseScore;
  // binary:logitraw predicts the raw margin and starts it at base_score itself.
  if (model.objective === "binary:logitraw") return base;
  if (objective.link === "sigmoid") {
    if (!(base > 0 && base < 1)) {
      throw new XgbConversionError(`base_score ${base} is not a probability`);
    }
    return Math.log(base / (1 - base));
  }
  if (objective.link === "exp") {
    if (!(base > 0)) throw new XgbConversionError(`base_score ${base} must be positive`);
    return Math.log(base);
  }
  return base;
}

interface Graph {
  nodes: NodeProto[];
  outputs: ReturnType<typeof tensorValue>[];
  initializers?: OnnxTensorProto[];
  classLabels?: string[];
}

/** nodes_* attributes of every tree, shared by the regressor and the classifier. */
function treeNodes(trees: readonly XgbTree[]) {
  const a = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    modes: [] as string[],
    values: [] as number[],
    trueIds: [] as number[],
    falseIds: [] as number[],
    missingTracksTrue: [] as number[],
  };
  const leaves: { tree: number; node: number; value: number; group: number }[] = [];
  trees.forEach((tree, t) => {
    for (let n = 0; n < tree.left.length; n++) {
      const leaf = tree.left[n] === -1;
      a.treeIds.push(t);
      a.nodeIds.push(n);
      a.featureIds.push(leaf ? 0 : tree.splitIndex[n]!);
      a.modes.push(leaf ? "LEAF" : "BRANCH_LT");
      a.values.push(leaf ? 0 : tree.splitCondition[n]!);
      a.trueIds.push(leaf ? 0 : tree.left[n]!);
      a.falseIds.push(leaf ? 0 : tree.right[n]!);
      a.missingTracksTrue.push(!leaf && tree.defaultLeft[n] ? 1 : 0);
      if (leaf) {
        leaves.push({
          tree: t,
          node: n,
          value: tree.splitCondition[n]! * tree.weight,
          group: tree.group,
        });
      }
    }
  });
  const attributes = {
    nodes_treeids: ints(a.treeIds),
    nodes_nodeids: ints(a.nodeIds),
    nodes_featureids: ints(a.featureIds),
    nodes_modes: strings(a.modes),
    nodes_values: floats(a.values),
    nodes_truenodeids: ints(a.trueIds),
    nodes_falsenodeids: ints(a.falseIds),
    nodes_missing_value_tracks_true: ints(a.missingTracksTrue),
  };
  return { attributes, leaves };
}

/** A TreeEnsembleRegressor writing `targets` margins per row to `output`. */
function marginNode(model: XgbModel, output: string, targets: number, margin: number): NodeProto {
  const { attributes, leaves } = treeNodes(model.trees);
  return node(
    "TreeEnsembleRegressor",
    [INPUT],
    [output],
    {
      ...attributes,
      n_targets: int(targets),
      aggregate_function: string("SUM"),
      post_transform: string("NONE"),
      base_values: floats(new Array<number>(targets).fill(margin)),
      target_treeids: ints(leaves.map((l) => l.tree)),
      target_nodeids: ints(leaves.map((l) => l.node)),
      target_ids: ints(leaves.map((l) => (targets === 1 ? 0 : l.group))),
      target_weights: floats(leaves.map((l) => l.value)),
    },
    ML_OPSET.domain,
  );
}

function regressionGraph(model: XgbModel, link: Link, margin: number): Graph {
  const nodes = [marginNode(model, "margin", 1, margin)];
  let last = "margin";
  if (link !== "identity") {
    nodes.push(node(link === "sigmoid" ? "Sigmoid" : "Exp", [last], ["linked"]));
    last = "linked";
  }
  nodes.push(node("Squeeze", [last, "column_axis"], ["prediction"]));
  return {
    nodes,
    initializers: [int64Constant("column_axis", [1])],
    outputs: [tensorValue("prediction", ElementType.FLOAT, ["N"])],
  };
}

function classifierOutputs(classes: number) {
  return [
    tensorValue("label", ElementType.INT64, ["N"]),
    tensorValue("probabilities", ElementType.FLOAT, ["N", classes]),
  ];
}

const labelsUpTo = (n: number) => Array.from({ length: n }, (_, i) => String(i));

function binaryGraph(model: XgbModel, margin: number): Graph {
  return {
    nodes: [
      marginNode(model, "margin", 1, margin),
      node("Sigmoid", ["margin"], ["probability_1"]),
      node("Sub", ["one", "probability_1"], ["probability_0"]),
      node("Concat", ["probability_0", "probability_1"], ["probabilities"], { axis: int(1) }),
      node("ArgMax", ["probabilities"], ["label"], { axis: int(1), keepdims: int(0) }),
    ],
    initializers: [floatConstant("one", [1])],
    outputs: classifierOutputs(2),
    classLabels: labelsUpTo(2),
  };
}

function twoClassGraph(model: XgbModel, margin: number): Graph {
  return {
    nodes: [
      marginNode(model, "margins", 2, margin),
      node("Softmax", ["margins"], ["probabilities"], { axis: int(1) }),
      node("ArgMax", ["probabilities"], ["label"], { axis: int(1), keepdims: int(0) }),
    ],
    outputs: classifierOutputs(2),
    classLabels: labelsUpTo(2),
  };
}

function multiClassGraph(model: XgbModel, margin: number): Graph {
  const classes = model.numClass;
  const bad = model.trees.findIndex((t) => t.group < 0 || t.group >= classes);
  if (bad >= 0) {
    throw new XgbConversionError(
      `Tree ${bad} scores class ${model.trees[bad]!.group} of ${classes}`,
    );
  }
  const { attributes, leaves } = treeNodes(model.trees);
  const classifier = node(
    "TreeEnsembleClassifier",
    [INPUT],
    ["label", "probabilities"],
    {
      ...attributes,
      classlabels_int64s: ints(labelsUpTo(classes).map(Number)),
      post_transform: string("SOFTMAX"),
      base_values: floats(new Array<number>(classes).fill(margin)),
      class_treeids: ints(leaves.map((l) => l.tree)),
      class_nodeids: ints(leaves.map((l) => l.node)),
      class_ids: ints(leaves.map((l) => l.group)),
      class_weights: floats(leaves.map((l) => l.value)),
    },
    ML_OPSET.domain,
  );
  return {
    nodes: [classifier],
    outputs: classifierOutputs(classes),
    classLabels: labelsUpTo(classes),
  };
}
