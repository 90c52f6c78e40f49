import { ElementType, own } from "@servable/protocol";
import {
  GRAPH_LAYERS,
  UnexportableLayerError,
  type LayerLike,
  type SymbolicTensorLike,
} from "../tfjs/tfjs-model";
import {
  foldedBatchNorm,
  requireChannelsLast,
  spatialPair,
  weightShortName,
  type LayerFailure,
} from "../tfjs/layer-config";
import { float, int, ints } from "./onnx-builder";
import { onnxFilter } from "./onnx-filter";
import type { OnnxGraphBuilder } from "./onnx-graph-builder";

/** The layer classes the compiler turns into ONNX operators. */
export const ONNX_LAYERS = GRAPH_LAYERS;

/** Activations (as TF.js names them in a layer's config) whose ONNX form is one operator. */
const ONE_OP_ACTIVATIONS: Record<string, string> = {
  relu: "Relu",
  sigmoid: "Sigmoid",
  tanh: "Tanh",
  softplus: "Softplus",
  softsign: "Softsign",
};

/** Every activation the compiler writes, for messages. */
export const ONNX_ACTIVATIONS = [
  "linear",
  ...Object.keys(ONE_OP_ACTIVATIONS),
  "softmax",
  "logSoftmax",
  "elu",
  "selu",
  "relu6",
  "hardSigmoid",
  "swish",
  "mish",
  "gelu",
  "gelu_new",
];

// TF.js's SELU constants (tfjs-core's selu_util), as ONNX's Selu takes them.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** NHWC (TF.js's channelsLast) to NCHW (ONNX's convolutions and pools) and back. */
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/**
 * Writes the ONNX operators of one layer call, reading its config and weights as TF.js
 * holds them; tensors stay in TF.js's layout (NHWC) between layers, and a convolution or
 * pool transposes in and out of ONNX's NCHW (ONNX Runtime removes the transposes that
 * cancel between consecutive layers). Weights become initializers, written once however
 * many times a shared layer is called. A layer or setting without an ONNX form throws
 * an UnexportableLayerError naming the layer and its class.
 */
export class OnnxLayerWriter {
  readonly #weights = new Map<string, string>();

  constructor(private readonly g: OnnxGraphBuilder) {}

  layer(layer: LayerLike, inputs: string[], output: SymbolicTensorLike): string {
    const config = layer.getConfig();
    const kind = layer.getClassName();
    const name = layer.name;
    const g = this.g;
    const fail = (why: string): never => {
      throw new UnexportableLayerError(`layer ${name} (${kind}): ${why}`);
    };
    const x = inputs[0]!;
    const inputShape = output.inputs[0]?.shape ?? [];
    const channelsLast = () => requireChannelsLast(config, fail);
    switch (kind) {
      case "Dense": {
        const weights = this.#named(layer);
        const w = this.#weight(weights.get("kernel")!);
        let y: string;
        if (inputShape.length === 2) {
          const operands =
            config.useBias === false ? [x, w] : [x, w, this.#weight(weights.get("bias")!)];
          y = g.add("Gemm", operands, `${name}/Gemm`);
        } else {
          // Dense on rank > 2 applies to the last axis; MatMul broadcasts the kernel.
          y = g.add("MatMul", [x, w], `${name}/MatMul`);
          if (config.useBias !== false)
            y = g.add("Add", [y, this.#weight(weights.get("bias")!)], `${name}/Add`);
        }
        return this.#activation(config.activation, y, name, fail);
      }
      case "Conv2D":
      case "DepthwiseConv2D": {
        channelsLast();
        const weights = this.#named(layer);
        const kernel = weights.get(kind === "Conv2D" ? "kernel" : "depthwise_kernel");
        const value = kernel!.read();
        const filter = onnxFilter(value.shape, value.dataSync(), kind === "DepthwiseConv2D");
        const [, , kh, kw] = filter.dims;
        const w = g.floats(`${name}/kernel`, filter.dims, filter.data);
        const operands = [g.add("Transpose", [x], `${name}/nchw`, { perm: ints(TO_NCHW) }), w];
        if (config.useBias !== false) operands.push(this.#weight(weights.get("bias")!));
        const [sh, sw] = spatialPair(config.strides ?? 1);
        const [dh, dw] = spatialPair(config.dilationRate ?? 1);
        const conv = g.add("Conv", operands, `${name}/Conv`, {
          kernel_shape: ints([kh, kw]),
          strides: ints([sh, sw]),
          dilations: ints([dh, dw]),
          group: int(filter.group),
          pads: ints(pads(config.padding, inputShape, [kh, kw], [sh, sw], [dh, dw], fail)),
        });
        const y = g.add("Transpose", [conv], `${name}/nhwc`, { perm: ints(TO_NHWC) });
        return this.#activation(config.activation, y, name, fail);
      }
      case "MaxPooling2D":
      case "AveragePooling2D": {
        channelsLast();
        const [ph, pw] = spatialPair(config.poolSize ?? 2);
        const [sh, sw] = spatialPair(config.strides ?? config.poolSize ?? 2);
        const op = kind === "MaxPooling2D" ? "MaxPool" : "AveragePool";
        const nchw = g.add("Transpose", [x], `${name}/nchw`, { perm: ints(TO_NCHW) });
        // AveragePool leaves padded cells out of the count by default, as TF does.
        const pooled = g.add(op, [nchw], `${name}/${op}`, {
          kernel_shape: ints([ph, pw]),
          strides: ints([sh, sw]),
          pads: ints(pads(config.padding, inputShape, [ph, pw], [sh, sw], [1, 1], fail)),
        });
        return g.add("Transpose", [pooled], `${name}/nhwc`, { perm: ints(TO_NHWC) });
      }
      case "GlobalAveragePooling2D":
      case "GlobalMaxPooling2D":
      case "GlobalAveragePooling1D":
      case "GlobalMaxPooling1D": {
        channelsLast();
        const axes = kind.endsWith("2D") ? [1, 2] : [1];
        const op = kind.includes("Max") ? "ReduceMax" : "ReduceMean";
        return g.add(op, [x], `${name}/${op}`, {
          axes: ints(axes),
          keepdims: int(config.keepDims ? 1 : 0),
        });
      }
      case "Flatten":
      case "Reshape": {
        const dims = output.shape.slice(1);
        if (dims.some((d) => d === null || d < 0)) fail("its output shape is not fully known");
        const shape = g.int64s(`${name}/shape`, [-1, ...(dims as number[])]);
        return g.add("Reshape", [x, shape], `${name}/Reshape`);
      }
      case "Dropout":
      case "SpatialDropout1D":
      case "GaussianNoise":
      case "GaussianDropout":
      case "AlphaDropout":
        // At inference these layers pass their input through.
        return x;
      case "Activation":
        return this.#activation(config.activation, x, name, fail);
      case "ReLU": {
        const max = config.maxValue;
        if (max === null || max === undefined) return g.add("Relu", [x], `${name}/Relu`);
        return this.#clip(x, 0, Number(max), name);
      }
      case "LeakyReLU":
        return g.add("LeakyRelu", [x], `${name}/LeakyRelu`, {
          alpha: float(Number(config.alpha ?? 0.3)),
        });
      case "ELU":
        return g.add("Elu", [x], `${name}/Elu`, { alpha: float(Number(config.alpha ?? 1)) });
      case "Softmax": {
        const axis = Array.isArray(config.axis) ? config.axis : [config.axis ?? -1];
        if (axis.length !== 1) fail("softmax over several axes is not supported");
        return g.add("Softmax", [x], `${name}/Softmax`, { axis: int(Number(axis[0])) });
      }
      case "BatchNormalization":
        return this.#batchNorm(layer, config, x, output, fail);
      case "Add":
      case "Multiply":
      case "Maximum":
      case "Minimum":
      case "Average": {
        const op = { Add: "Sum", Multiply: "Mul", Maximum: "Max", Minimum: "Min", Average: "Mean" }[
          kind
        ];
        if (op !== "Mul") return g.add(op, inputs, `${name}/${op}`);
        return inputs.slice(1).reduce((acc, input) => g.add("Mul", [acc, input], `${name}/Mul`), x);
      }
      case "Subtract":
        if (inputs.length !== 2) fail(`it takes 2 inputs, not ${inputs.length}`);
        return g.add("Sub", inputs, `${name}/Sub`);
      case "Concatenate":
        return g.add("Concat", inputs, `${name}/Concat`, { axis: int(Number(config.axis ?? -1)) });
      case "Embedding": {
        const embeddings = this.#named(layer).get("embeddings");
        const indices =
          output.inputs[0]?.dtype === "int32"
            ? x
            : g.add("Cast", [x], `${name}/Cast`, { to: int(ElementType.INT32) });
        return g.add("Gather", [this.#weight(embeddings!), indices], `${name}/Gather`, {
          axis: int(0),
        });
      }
      default:
        return fail(`no ONNX operators are written for ${kind} layers`);
    }
  }

  #activation(activation: unknown, x: string, name: string, fail: LayerFailure): string {
    const fn = String(activation ?? "linear");
    const g = this.g;
    const at = `${name}/${fn}`;
    const op = own(ONE_OP_ACTIVATIONS, fn);
    if (op) return g.add(op, [x], at);
    switch (fn) {
      case "linear":
        return x;
      case "softmax":
        return g.add("Softmax", [x], at, { axis: int(-1) });
      case "logSoftmax":
        return g.add("LogSoftmax", [x], at, { axis: int(-1) });
      case "elu":
        return g.add("Elu", [x], at, { alpha: float(1) });
      case "selu":
        return g.add("Selu", [x], at, { alpha: float(SELU_ALPHA), gamma: float(SELU_SCALE) });
      case "relu6":
        return this.#clip(x, 0, 6, name);
      case "hardSigmoid":
        return g.add("HardSigmoid", [x], at, { alpha: float(0.2), beta: float(0.5) });
      case "swish":
        return g.add("Mul", [x, g.add("Sigmoid", [x], at)], at);
      case "mish": {
        const soft = g.add("Softplus", [x], at);
        return g.add("Mul", [x, g.add("Tanh", [soft], at)], at);
      }
      case "gelu": {
        // x * 0.5 * (1 + erf(x / sqrt(2))), as TF.js computes it.
        const erf = g.add("Erf", [g.add("Div", [x, g.scalar(at, Math.SQRT2)], at)], at);
        const cdf = g.add("Mul", [g.add("Add", [erf, g.scalar(at, 1)], at), g.scalar(at, 0.5)], at);
        return g.add("Mul", [x, cdf], at);
      }
      case "gelu_new": {
        // 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
        const cube = g.add("Mul", [g.add("Mul", [x, x], at), x], at);
        const inner = g.add("Add", [x, g.add("Mul", [cube, g.scalar(at, 0.044715)], at)], at);
        const scaled = g.add("Mul", [inner, g.scalar(at, Math.sqrt(2 / Math.PI))], at);
        const onePlus = g.add("Add", [g.add("Tanh", [scaled], at), g.scalar(at, 1)], at);
        return g.add("Mul", [g.add("Mul", [x, g.scalar(at, 0.5)], at), onePlus], at);
      }
      default:
        return fail(
          `activation ${fn} is not supported (supported: ${ONNX_ACTIVATIONS.join(", ")})`,
        );
    }
  }

  #clip(x: string, min: number, max: number, name: string): string {
    const g = this.g;
    return g.add(
      "Clip",
      [x, g.scalar(`${name}/min`, min), g.scalar(`${name}/max`, max)],
      `${name}/Clip`,
    );
  }

  /** Inference batch normalization as one Mul and one Add per channel. */
  #batchNorm(
    layer: LayerLike,
    config: Record<string, unknown>,
    x: string,
    output: SymbolicTensorLike,
    fail: LayerFailure,
  ): string {
    const { scale, offset } = foldedBatchNorm(layer, config, output.shape.length, fail);
    const g = this.g;
    const name = layer.name;
    const scaled = g.add(
      "Mul",
      [x, g.floats(`${name}/scale`, [scale.length], scale)],
      `${name}/Mul`,
    );
    return g.add(
      "Add",
      [scaled, g.floats(`${name}/offset`, [offset.length], offset)],
      `${name}/Add`,
    );
  }

  /** The layer's weights by short name ("kernel", "bias"...). */
  #named(layer: LayerLike): Map<string, LayerWeight> {
    return new Map(layer.weights.map((w) => [weightShortName(w.originalName), w]));
  }

  /** A weight as an initializer, written once. */
  #weight(weight: LayerWeight): string {
    let name = this.#weights.get(weight.originalName);
    if (name === undefined) {
      const value = weight.read();
      name = this.g.floats(weight.originalName, value.shape, value.dataSync());
      this.#weights.set(weight.originalName, name);
    }
    return name;
  }
}

type LayerWeight = LayerLike["weights"][number];

/**
 * ONNX's explicit pads [top, left, bottom, right] for TF's padding: none for "valid";
 * for "same", what makes the output ceil(input / stride), the odd cell at the end as TF
 * puts it. The input's height and width must be known.
 */
function pads(
  padding: unknown,
  inputShape: readonly (number | null)[],
  kernel: readonly [number, number],
  strides: readonly [number, number],
  dilations: readonly [number, number],
  fail: LayerFailure,
): number[] {
  if (padding === "valid" || padding === undefined) return [0, 0, 0, 0];
  if (padding !== "same") return fail(`padding ${String(padding)} is not supported`);
  const begin: number[] = [];
  const end: number[] = [];
  for (let axis = 0; axis < 2; axis++) {
    const size = inputShape[axis + 1];
    if (size === null || size === undefined || size < 0) {
      return fail("padding same needs the input's height and width");
    }
    const effective = (kernel[axis]! - 1) * dilations[axis]! + 1;
    const out = Math.ceil(size / strides[axis]!);
    const total = Math.max(0, (out - 1) * strides[axis]! + effective - size);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  }
  return [...begin, ...end];
}
