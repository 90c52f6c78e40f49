import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  encodePredictionLog,
  encodeTfRecords,
  type PredictionLog,
  type TensorProto,
} from "@servable/protocol";

/** A float tensor as a TensorProto of a logged request. */
export function floatTensor(shape: number[], values: number[]): TensorProto {
  return {
    dtype: "DT_FLOAT",
    tensor_shape: { dim: shape.map((size) => ({ size })) },
    float_val: values,
  };
}

/** A PredictionLog of a predict request with `inputs`, on serving_default. */
export function predictLog(inputs: Record<string, TensorProto>): PredictionLog {
  return { predict_log: { request: { model_spec: { name: "m" }, inputs } } };
}

/** Writes `logs` as the version's assets.extra/tf_serving_warmup_requests (TFRecord). */
export async function writeWarmupFile(versionDir: string, logs: PredictionLog[]): Promise<string> {
  const dir = join(versionDir, "assets.extra");
  await mkdir(dir, { recursive: true });
  const path = join(dir, "tf_serving_warmup_requests");
  await writeFile(path, encodeTfRecords(logs.map(encodePredictionLog)));
  return path;
}
