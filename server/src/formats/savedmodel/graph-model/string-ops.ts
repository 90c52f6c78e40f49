import * as tf from "@tensorflow/tfjs";
import type { NodeDef } from "@servable/protocol";

/**
 * BroadcastTo and Tile on string tensors, which TF.js's kernels refuse (the wasm backend
 * even aborts on a string Tile): such nodes are renamed to these custom ops, which copy
 * the strings in JavaScript. A classify signature's "classes" output is made this way
 * (the labels broadcast to one row per example).
 */
const STRING_OPS: Record<string, string> = {
  BroadcastTo: "ServableBroadcastStrings",
  Tile: "ServableTileStrings",
};

let registered = false;

export function registerStringOps(): void {
  if (registered) return;
  tf.registerOp(STRING_OPS.BroadcastTo!, (node) => {
    const [input, shape] = node.inputs;
    return [broadcast(input!, Array.from(shape!.dataSync()))];
  });
  tf.registerOp(STRING_OPS.Tile!, (node) => {
    const [input, multiples] = node.inputs;
    const reps = Array.from(multiples!.dataSync());
    return [
      broadcast(
        input!,
        input!.shape.map((d, i) => d * reps[i]!),
        true,
      ),
    ];
  });
  registered = true;
}

/** The node, renamed to its string op when it works on strings. */
export function withStringOps(node: NodeDef): NodeDef {
  const op = STRING_OPS[node.op];
  return op && node.attr?.T?.type === "DT_STRING" ? { ...node, op } : node;
}

/** Broadcasts (or, with `tile`, repeats) a string tensor to `shape`, right-aligned. */
function broadcast(input: tf.Tensor, shape: number[], tile = false): tf.Tensor {
  const values = tf.engine().readSync(input.dataId) as Uint8Array[];
  const inShape = [...new Array<number>(shape.length - input.rank).fill(1), ...input.shape];
  const inStrides = strides(inShape);
  const outStrides = strides(shape);
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) {
    let source = 0;
    for (let d = 0; d < shape.length; d++) {
      const coordinate = Math.floor(i / outStrides[d]!) % shape[d]!;
      const size = inShape[d]!;
      if (!tile && size !== 1 && size !== shape[d]) {
        throw new Error(
          `BroadcastTo: shape [${input.shape.join(",")}] cannot broadcast to [${shape.join(",")}]`,
        );
      }
      source += (coordinate % size) * inStrides[d]!;
    }
    out[i] = values[source]!;
  }
  return tf.tensor(out, shape, "string");
}

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) out[d] = out[d + 1]! * shape[d + 1]!;
  return out;
}
