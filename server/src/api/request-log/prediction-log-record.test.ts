import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodePredictionLog,
  encodePredictionLog,
  serializeExample,
  tensorInfo,
  type Example,
} from "@servable/protocol";
import { predictionLogRecord } from "./prediction-log-record";

const example = (x: number, word: string): Example =>
  new Map([
    ["x", { kind: "float", values: [x] }],
    ["word", { kind: "bytes", values: [new TextEncoder().encode(word)] }],
  ]);

const common = {
  model: "m",
  version: 3,
  samplingRate: 0.5,
  timestampSecs: 1_700_000_000,
};

test("a regress request a SavedModel parsed logs the tf.Examples it was sent", () => {
  const log = decodePredictionLog(
    encodePredictionLog(
      predictionLogRecord({
        ...common,
        api: "regress",
        signatureName: "regress_x_to_y",
        signature: {
          inputs: { inputs: tensorInfo("tf_example:0", "DT_STRING", [-1]) },
          outputs: { outputs: tensorInfo("y:0", "DT_FLOAT", [-1, 1]) },
          method_name: "tensorflow/serving/regress",
        },
        numExamples: 2,
        serializedExamples: true,
        inputs: {
          inputs: {
            dtype: "DT_STRING",
            shape: [2],
            data: [serializeExample(example(1, "a")), serializeExample(example(2, "b"))],
          },
        },
        outputs: { outputs: { dtype: "DT_FLOAT", shape: [2, 1], data: Float32Array.of(2.5, 3) } },
      }),
    ),
  );
  assert.deepEqual(log.log_metadata, {
    model_spec: { name: "m", version: { value: "3" }, signature_name: "regress_x_to_y" },
    sampling_config: { sampling_rate: 0.5 },
    timestamp_secs: "1700000000",
  });
  const examples = log.regress_log?.request?.input?.example_list?.examples ?? [];
  assert.deepEqual(
    examples.map((e) => [
      e.features?.feature?.x?.float_list?.value,
      Buffer.from(e.features!.feature!.word!.bytes_list!.value![0]!).toString(),
    ]),
    [
      [[1], "a"],
      [[2], "b"],
    ],
  );
  assert.deepEqual(log.regress_log?.response?.result?.regressions, [{ value: 2.5 }, { value: 3 }]);
});

test("a classify request on a model fed features logs one example per row of them", () => {
  const log = predictionLogRecord({
    ...common,
    api: "classify",
    signatureName: "classify",
    signature: {
      inputs: { x: tensorInfo("x:0", "DT_FLOAT", [-1, 2]) },
      outputs: { scores: tensorInfo("s:0", "DT_FLOAT", [-1, 2]) },
      method_name: "tensorflow/serving/classify",
    },
    numExamples: 2,
    serializedExamples: false,
    classLabels: ["no", "yes"],
    inputs: { x: { dtype: "DT_FLOAT", shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) } },
    outputs: {
      scores: { dtype: "DT_FLOAT", shape: [2, 2], data: Float32Array.of(0.25, 0.75, 1, 0) },
    },
  });
  const examples = log.classify_log?.request?.input?.example_list?.examples ?? [];
  assert.deepEqual(
    examples.map((e) => e.features?.feature?.x?.float_list?.value),
    [
      [1, 2],
      [3, 4],
    ],
  );
  assert.deepEqual(log.classify_log?.response?.result?.classifications?.[0]?.classes, [
    { label: "no", score: 0.25 },
    { label: "yes", score: 0.75 },
  ]);
});
