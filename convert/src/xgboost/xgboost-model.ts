/**
 * An XGBoost model saved as JSON (`Booster.save_model("model.json")`, XGBoost 1.0 and
 * later), read into what the ONNX converter needs: the objective, the base score, and
 * every tree's nodes with its class and weight. Anything the converter cannot reproduce
 * exactly is refused here with the reason.
 */
export interface XgbModel {
  readonly objective: string;
  /** The base score as saved (in the objective's output space, e.g. a probability). */
  readonly baseScore: number;
  readonly numFeature: number;
  /** Classes of a multi:* objective; 0 for the others. */
  readonly numClass: number;
  readonly trees: readonly XgbTree[];
}

export interface XgbTree {
  /** Children per node; -1 marks a leaf. */
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly splitIndex: readonly number[];
  /** A branch's threshold (go left when value < threshold), a leaf's value. */
  readonly splitCondition: readonly number[];
  readonly defaultLeft: readonly boolean[];
  /** The class whose score this tree adds to (multi:* objectives), else 0. */
  readonly group: number;
  /** Leaf values are scaled by this (a dart booster's tree weights), else 1. */
  readonly weight: number;
}

export class XgbConversionError extends Error {
  override readonly name = "XgbConversionError";
}

type Json = Record<string, unknown>;

/** True when a parsed JSON document looks like an XGBoost model. */
export function isXgbModelJson(doc: unknown): boolean {
  return isObject(doc) && isObject(doc.learner) && Array.isArray(doc.version);
}

export function readXgbModel(doc: unknown): XgbModel {
  if (!isXgbModelJson(doc)) {
    throw new XgbConversionError(
      'Not an XGBoost JSON model: expected {"learner": ..., "version": [...]} as Booster.save_model("model.json") writes it',
    );
  }
  const learner = (doc as Json).learner as Json;
  const params = object(learner.learner_model_param, "learner.learner_model_param");
  const objective = String(object(learner.objective, "learner.objective").name ?? "");
  const numTarget = Number(params.num_target ?? 1);
  if (numTarget > 1) {
    throw new XgbConversionError(
      `Models with ${numTarget} targets (multi-output) are not converted`,
    );
  }
  const booster = object(learner.gradient_booster, "learner.gradient_booster");
  const { model, weights } = treesOf(booster);
  const treeInfo = (model.tree_info as number[] | undefined) ?? [];
  const trees = array(model.trees, "gradient_booster.model.trees").map((tree, i) =>
    readTree(object(tree, `tree ${i}`), i, treeInfo[i] ?? 0, weights?.[i] ?? 1),
  );
  const numFeature = Number(params.num_feature ?? 0);
  for (const [i, tree] of trees.entries()) {
    const bad = tree.splitIndex.find((f, n) => tree.left[n] !== -1 && (f < 0 || f >= numFeature));
    if (bad !== undefined) {
      throw new XgbConversionError(
        `Tree ${i} splits on feature ${bad}; the model has ${numFeature}`,
      );
    }
  }
  return {
    objective,
    baseScore: parseBaseScore(params.base_score),
    numFeature,
    numClass: Number(params.num_class ?? 0),
    trees,
  };
}

function treesOf(booster: Json): { model: Json; weights?: number[] } {
  switch (booster.name) {
    case "gbtree":
      return { model: object(booster.model, "gradient_booster.model") };
    case "dart": {
      const gbtree = object(booster.gbtree, "gradient_booster.gbtree");
      return {
        model: object(gbtree.model, "gradient_booster.gbtree.model"),
        weights: array(booster.weight_drop, "gradient_booster.weight_drop").map(Number),
      };
    }
    case "gblinear":
      throw new XgbConversionError(
        "gblinear (linear booster) models are not converted: only tree boosters (gbtree, dart) are",
      );
    default:
      throw new XgbConversionError(`Unknown booster ${String(booster.name)}`);
  }
}

function readTree(tree: Json, index: number, group: number, weight: number): XgbTree {
  const splitType = (tree.split_type as number[] | undefined) ?? [];
  if (splitType.some((t) => t !== 0)) {
    throw new XgbConversionError(
      `Tree ${index} has categorical splits, which are not converted (one-hot encode the feature instead)`,
    );
  }
  const left = array(tree.left_children, `tree ${index} left_children`).map(Number);
  const fields = {
    right: array(tree.right_children, `tree ${index} right_children`).map(Number),
    splitIndex: array(tree.split_indices, `tree ${index} split_indices`).map(Number),
    splitCondition: array(tree.split_conditions, `tree ${index} split_conditions`).map(Number),
    defaultLeft: array(tree.default_left, `tree ${index} default_left`).map((d) => Number(d) === 1),
  };
  for (const [name, values] of Object.entries(fields)) {
    if (values.length !== left.length) {
      throw new XgbConversionError(
        `Tree ${index}: ${name} has ${values.length} entries, not ${left.length}`,
      );
    }
  }
  return { left, ...fields, group, weight };
}

/** "5E-1" (XGBoost 1.x) or "[5E-1]" (2.x, one target). */
function parseBaseScore(value: unknown): number {
  const text = String(value ?? "0.5").trim();
  const inner = text.startsWith("[") ? text.slice(1, -1).split(",") : [text];
  if (inner.length !== 1) {
    throw new XgbConversionError(`A base score per target (${text}) is not converted`);
  }
  const score = Number(inner[0]);
  if (!Number.isFinite(score)) throw new XgbConversionError(`Unreadable base_score ${text}`);
  return score;
}

/**
 * Parses XGBoost's JSON, which may hold bare NaN and Infinity (in categorical nodes'
 * split conditions, for one): they are read as strings that Number() turns back.
 */
export function parseXgbJson(text: string): unknown {
  return JSON.parse(
    text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (token) =>
      token.startsWith('"') ? token : `"${token}"`,
    ),
  );
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function object(value: unknown, where: string): Json {
  if (!isObject(value)) throw new XgbConversionError(`XGBoost JSON: ${where} is missing`);
  return value;
}

function array(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new XgbConversionError(`XGBoost JSON: ${where} is missing`);
  return value;
}
