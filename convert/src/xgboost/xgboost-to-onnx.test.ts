import assert from "node:assert/strict";
import { test } from "node:test";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { readXgbModel, XgbConversionError, parseXgbJson } from "./xgboost-model";
import { xgboostToOnnx } from "./xgboost-to-onnx";

/**
 * Hand-written XGBoost JSON models, converted and run on onnxruntime, against what
 * XGBoost's prediction rules give by hand: go left when value < threshold, NaN goes the
 * default way, leaves summed on the base margin, then the link.
 */
function stump(feature: number, threshold: number, left: number, right: number, defaultLeft = 1) {
  return {
    left_children: [1, -1, -1],
    right_children: [2, -1, -1],
    split_indices: [feature, 0, 0],
    split_conditions: [threshold, left, right],
    default_left: [defaultLeft, 0, 0],
    split_type: [0, 0, 0],
  };
}

function xgbJson(objective: string, baseScore: string, trees: object[], extra: object = {}) {
  return {
    version: [1, 7, 4],
    learner: {
      objective: { name: objective },
      learner_model_param: {
        base_score: baseScore,
        num_feature: "2",
        num_class: "0",
        num_target: "1",
      },
      gradient_booster: { name: "gbtree", model: { trees, tree_info: trees.map(() => 0) } },
      ...extra,
    },
  };
}

async function run(model: object, rows: number[][]) {
  const converted = xgboostToOnnx(readXgbModel(model));
  const session = await InferenceSession.create(converted.onnx);
  const x = new Tensor("float32", Float32Array.from(rows.flat()), [rows.length, 2]);
  const out = await session.run({ features: x });
  await session.release();
  return { converted, out };
}

const close = (actual: ArrayLike<number>, expected: number[]) =>
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < 1e-6, `${actual[i]} vs ${e}`));
const sigmoid = (m: number) => 1 / (1 + Math.exp(-m));

test("regression: leaves summed on base_score, strict < splits, NaN the default way", async () => {
  const model = xgbJson("reg:squarederror", "5E-1", [
    stump(0, 1, -1, 2),
    stump(1, 0, 0.25, 0.5, 0),
  ]);
  const { converted, out } = await run(model, [
    [0.5, -1], // left, left
    [1, 1], // exactly the threshold goes right, right
    [NaN, NaN], // default: left, right
  ]);
  assert.equal(converted.kind, "regress");
  assert.deepEqual(out.prediction!.dims, [3]);
  close(out.prediction!.data as Float32Array, [0.5 - 1 + 0.25, 0.5 + 2 + 0.5, 0.5 - 1 + 0.5]);
});

test("binary:logistic: the base score is a probability; labels and both class probabilities", async () => {
  const model = xgbJson("binary:logistic", "2.5E-1", [stump(0, 0, -1, 2)]);
  const { converted, out } = await run(model, [
    [-1, 0],
    [1, 0],
  ]);
  assert.deepEqual(converted.classLabels, ["0", "1"]);
  const base = Math.log(0.25 / 0.75);
  const p = [sigmoid(base - 1), sigmoid(base + 2)];
  close(out.probabilities!.data as Float32Array, [1 - p[0]!, p[0]!, 1 - p[1]!, p[1]!]);
  assert.deepEqual([...(out.label!.data as BigInt64Array)], [0n, 1n]);
});

test("multi:softprob: trees score their class, softmax over classes", async () => {
  const trees = [stump(0, 0, 1, 0), stump(0, 0, 0, 1), stump(1, 0, 0.5, -0.5)];
  const model = xgbJson("multi:softprob", "5E-1", trees);
  model.learner.learner_model_param.num_class = "3";
  model.learner.gradient_booster.model.tree_info = [0, 1, 2];
  const { out } = await run(model, [
    [-1, -1],
    [1, 1],
  ]);
  const softmax = (m: number[]) =>
    m.map((v) => Math.exp(v) / m.reduce((a, b) => a + Math.exp(b), 0));
  close(out.probabilities!.data as Float32Array, [
    ...softmax([1.5, 0.5, 1]),
    ...softmax([0.5, 1.5, 0]),
  ]);
  assert.deepEqual([...(out.label!.data as BigInt64Array)], [0n, 1n]);
});

test("count:poisson and dart: exp link on log(base_score); dart scales leaves by tree weight", async () => {
  const poisson = xgbJson("count:poisson", "2E0", [stump(0, 0, -0.5, 0.5)]);
  const { out } = await run(poisson, [[-1, 0]]);
  close(out.prediction!.data as Float32Array, [Math.exp(Math.log(2) - 0.5)]);
  const trees = [stump(0, 0, 1, 2), stump(0, 0, 3, 4)];
  const dart = xgbJson("reg:squarederror", "0E0", []);
  dart.learner.gradient_booster = {
    name: "dart",
    gbtree: { model: { trees, tree_info: [0, 0] } },
    weight_drop: [0.5, 2],
  } as never;
  const result = await run(dart, [
    [-1, 0],
    [1, 0],
  ]);
  close(result.out.prediction!.data as Float32Array, [0.5 + 6, 1 + 8]);
});

test("what cannot be reproduced exactly is refused with the reason", () => {
  const refuse = (model: object, message: RegExp) =>
    assert.throws(
      () => xgboostToOnnx(readXgbModel(model)),
      (e: unknown) => {
        assert.ok(e instanceof XgbConversionError);
        assert.match(e.message, message);
        return true;
      },
    );
  refuse(xgbJson("rank:ndcg", "5E-1", [stump(0, 0, 1, 2)]), /rank:ndcg is not converted/);
  refuse(xgbJson("survival:cox", "5E-1", [stump(0, 0, 1, 2)]), /survival:cox is not converted/);
  refuse(xgbJson("binary:hinge", "5E-1", [stump(0, 0, 1, 2)]), /binary:hinge is not converted/);
  const categorical = stump(0, 0, 1, 2);
  categorical.split_type = [1, 0, 0];
  refuse(xgbJson("reg:squarederror", "5E-1", [categorical]), /categorical splits/);
  const multiTarget = xgbJson("reg:squarederror", "5E-1", [stump(0, 0, 1, 2)]);
  multiTarget.learner.learner_model_param.num_target = "2";
  refuse(multiTarget, /2 targets/);
  refuse(xgbJson("reg:squarederror", "[1E0,2E0]", [stump(0, 0, 1, 2)]), /base score per target/);
  refuse(xgbJson("reg:squarederror", "5E-1", [stump(5, 0, 1, 2)]), /feature 5; the model has 2/);
  refuse(xgbJson("binary:logistic", "1.5E0", [stump(0, 0, 1, 2)]), /not a probability/);
  refuse({ learner: {} }, /Not an XGBoost JSON model/);
});

test("XGBoost's JSON with bare NaN and Infinity parses; strings holding them stay strings", () => {
  const doc = parseXgbJson('{"a": [NaN, -Infinity, 1.5], "b": "NaN in \\"quotes\\" Infinity"}') as {
    a: string[];
    b: string;
  };
  assert.deepEqual(doc.a.map(Number), [NaN, -Infinity, 1.5]);
  assert.equal(doc.b, 'NaN in "quotes" Infinity');
});
