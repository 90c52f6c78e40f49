import { own, type HostTensor, type AttrValue } from "@servable/protocol";
import {
  followLayers,
  GRAPH_LAYERS,
  UnexportableLayerError,
  type LayerLike,
  type SymbolicTensorLike,
} from "../tfjs/tfjs-model";
import { tfjsToDataType } from "../tfjs/tfjs-dtypes";
import {
  foldedBatchNorm,
  isLastAxis,
  requireChannelsLast,
  spatialPair,
  weightShortName,
  type LayerFailure,
} from "../tfjs/layer-config";
import type { GraphBuilder } from "./graph-builder";

/** The layer classes the writer turns into TensorFlow ops. */
export const EXPORTABLE_LAYERS = GRAPH_LAYERS;

const ACTIVATION_OPS: Record<string, string> = {
  relu: "Relu",
  relu6: "Relu6",
  elu: "Elu",
  selu: "Selu",
  sigmoid: "Sigmoid",
  tanh: "Tanh",
  softmax: "Softmax",
  softplus: "Softplus",
  softsign: "Softsign",
};

const FLOAT: AttrValue = { type: "DT_FLOAT" };
const ints = (...values: number[]): AttrValue => ({ list: { i: values.map(String) } });
const str = (value: string): AttrValue => ({ s: new TextEncoder().encode(value) });

/**
 * Emits the TensorFlow ops of a layers model's graph into a GraphBuilder: `emit` follows
 * the requested output tensors back to the fed ones, one layer call at a time. Weights
 * become Consts, emitted once however many times the graph is emitted.
 */
export class LayerGraphWriter {
  readonly #weights = new Map<string, string>();

  constructor(private readonly graph: GraphBuilder) {}

  /** The graph names of `outputs`, computed from `feeds` (tensor id -> graph name). */
  emit(
    outputs: readonly SymbolicTensorLike[],
    feeds: ReadonlyMap<number, string>,
    prefix: string,
  ): string[] {
    return followLayers(outputs, feeds, (layer, inputs, output) =>
      this.#layer(layer, inputs, output, prefix),
    );
  }

  #layer(layer: LayerLike, inputs: string[], output: SymbolicTensorLike, prefix: string): string {
    const config = layer.getConfig();
    const kind = layer.getClassName();
    const name = `${prefix}${layer.name}`;
    const g = this.graph;
    const fail = (why: string): never => {
      throw new UnexportableLayerError(
        `layer ${layer.name} (${kind}) cannot be exported as a SavedModel: ${why}`,
      );
    };
    const x = inputs[0]!;
    const inputShape = output.inputs[0]?.shape ?? [];
    const weights = (): Map<string, string> => this.#weightConsts(layer);
    const channelsLast = () => requireChannelsLast(config, fail);
    const bias = (value: string) =>
      config.useBias === false
        ? value
        : g.add(`${name}/BiasAdd`, "BiasAdd", [value, weights().get("bias")!], { T: FLOAT });
    switch (kind) {
      case "Dense": {
        if (inputShape.length !== 2)
          fail(`its input has rank ${inputShape.length}; only rank 2 is supported`);
        const product = g.add(`${name}/MatMul`, "MatMul", [x, weights().get("kernel")!], {
          T: FLOAT,
        });
        return this.#activation(config.activation, bias(product), name, fail);
      }
      case "Conv2D":
      case "DepthwiseConv2D": {
        channelsLast();
        const [sh, sw] = spatialPair(config.strides);
        const [dh, dw] = spatialPair(config.dilationRate ?? 1);
        const attrs = {
          T: FLOAT,
          strides: ints(1, sh, sw, 1),
          padding: str(padding(config.padding, fail)),
          dilations: ints(1, dh, dw, 1),
        };
        const conv =
          kind === "Conv2D"
            ? g.add(`${name}/Conv2D`, "Conv2D", [x, weights().get("kernel")!], attrs)
            : g.add(
                `${name}/depthwise`,
                "DepthwiseConv2dNative",
                [x, weights().get("depthwise_kernel")!],
                attrs,
              );
        return this.#activation(config.activation, bias(conv), name, fail);
      }
      case "MaxPooling2D":
      case "AveragePooling2D": {
        channelsLast();
        const [ph, pw] = spatialPair(config.poolSize);
        const [sh, sw] = spatialPair(config.strides ?? config.poolSize);
        const op = kind === "MaxPooling2D" ? "MaxPool" : "AvgPool";
        return g.add(`${name}/${op}`, op, [x], {
          T: FLOAT,
          ksize: ints(1, ph, pw, 1),
          strides: ints(1, sh, sw, 1),
          padding: str(padding(config.padding, fail)),
        });
      }
      case "GlobalAveragePooling2D":
      case "GlobalMaxPooling2D":
      case "GlobalAveragePooling1D":
      case "GlobalMaxPooling1D": {
        channelsLast();
        if (config.keepDims) fail("keepDims is not supported");
        const axes = kind.endsWith("2D") ? [1, 2] : [1];
        const op = kind.includes("Max") ? "Max" : "Mean";
        return g.add(`${name}/${op}`, op, [x, g.int32s(`${name}/${op}/reduction_indices`, axes)], {
          T: FLOAT,
        });
      }
      case "Flatten":
      case "Reshape": {
        const dims = output.shape.slice(1);
        if (dims.some((d) => d === null || d < 0)) fail("its output shape is not fully known");
        const shape =
          kind === "Flatten"
            ? [-1, dims.reduce<number>((a, b) => a * b!, 1)]
            : [-1, ...(dims as number[])];
        return g.add(`${name}/Reshape`, "Reshape", [x, g.int32s(`${name}/Reshape/shape`, shape)], {
          T: FLOAT,
        });
      }
      case "Dropout":
      case "SpatialDropout1D":
      case "GaussianNoise":
      case "GaussianDropout":
      case "AlphaDropout":
        // Inference: these layers pass their input through.
        return g.add(`${name}/Identity`, "Identity", [x], {
          T: { type: tfjsToDataType(output.dtype) },
        });
      case "Activation":
        return this.#activation(config.activation, x, name, fail);
      case "ReLU": {
        const max = config.maxValue;
        if (max === null || max === undefined)
          return g.add(`${name}/Relu`, "Relu", [x], { T: FLOAT });
        if (max === 6) return g.add(`${name}/Relu6`, "Relu6", [x], { T: FLOAT });
        return fail(`maxValue ${String(max)} (only none or 6) is not supported`);
      }
      case "LeakyReLU":
        return g.add(`${name}/LeakyRelu`, "LeakyRelu", [x], {
          T: FLOAT,
          alpha: { f: Number(config.alpha ?? 0.3) },
        });
      case "ELU":
        if ((config.alpha ?? 1) !== 1) fail("alpha other than 1 is not supported");
        return g.add(`${name}/Elu`, "Elu", [x], { T: FLOAT });
      case "Softmax":
        if (!isLastAxis(Number(config.axis ?? -1), output.shape.length))
          fail("softmax over an axis other than the last");
        return g.add(`${name}/Softmax`, "Softmax", [x], { T: FLOAT });
      case "BatchNormalization":
        return this.#batchNorm(layer, config, x, output, name, fail);
      case "Add":
      case "Subtract":
      case "Multiply":
      case "Maximum":
      case "Minimum":
      case "Average": {
        const op = {
          Add: "AddV2",
          Subtract: "Sub",
          Multiply: "Mul",
          Maximum: "Maximum",
          Minimum: "Minimum",
          Average: "AddV2",
        }[kind];
        let acc = x;
        inputs.slice(1).forEach((input, i) => {
          acc = g.add(`${name}/${op}${i === 0 ? "" : `_${i}`}`, op, [acc, input], { T: FLOAT });
        });
        if (kind !== "Average") return acc;
        const scale = g.constant(`${name}/scale`, {
          dtype: "DT_FLOAT",
          shape: [],
          data: Float32Array.of(1 / inputs.length),
        });
        return g.add(`${name}/Mul`, "Mul", [acc, scale], { T: FLOAT });
      }
      case "Concatenate": {
        const rank = output.shape.length;
        const axis = Number(config.axis ?? -1);
        const positive = axis < 0 ? rank + axis : axis;
        const axisNode = g.int32s(`${name}/axis`, [positive], []);
        return g.add(`${name}/concat`, "ConcatV2", [...inputs, axisNode], {
          N: { i: String(inputs.length) },
          T: FLOAT,
        });
      }
      case "Embedding": {
        const inputType = tfjsToDataType(output.inputs[0]?.dtype ?? "float32");
        const indices =
          inputType === "DT_INT32"
            ? x
            : g.add(`${name}/Cast`, "Cast", [x], {
                SrcT: { type: inputType },
                DstT: { type: "DT_INT32" },
              });
        const axis = g.int32s(`${name}/embedding_lookup/axis`, [0], []);
        return g.add(
          `${name}/embedding_lookup`,
          "GatherV2",
          [weights().get("embeddings")!, indices, axis],
          {
            Tparams: FLOAT,
            Tindices: { type: "DT_INT32" },
            Taxis: { type: "DT_INT32" },
          },
        );
      }
      default:
        return fail(
          `no TensorFlow ops are written for ${kind} layers (exportable: ${EXPORTABLE_LAYERS.join(", ")})`,
        );
    }
  }

  #activation(activation: unknown, x: string, name: string, fail: LayerFailure): string {
    const fn = String(activation ?? "linear");
    if (fn === "linear") return x;
    if (fn === "swish") {
      const sigmoid = this.graph.add(`${name}/swish/Sigmoid`, "Sigmoid", [x], { T: FLOAT });
      return this.graph.add(`${name}/swish/mul`, "Mul", [x, sigmoid], { T: FLOAT });
    }
    const op = own(ACTIVATION_OPS, fn);
    if (!op)
      return fail(
        `activation ${fn} is not supported (supported: linear, swish, ${Object.keys(ACTIVATION_OPS).join(", ")})`,
      );
    return this.graph.add(`${name}/${op}`, op, [x], { T: FLOAT });
  }

  /** Inference batch normalization as one Mul and one AddV2 per channel. */
  #batchNorm(
    layer: LayerLike,
    config: Record<string, unknown>,
    x: string,
    output: SymbolicTensorLike,
    name: string,
    fail: LayerFailure,
  ): string {
    const { scale, offset } = foldedBatchNorm(layer, config, output.shape.length, fail);
    const channels = [scale.length];
    const scaleNode = this.graph.constant(`${name}/scale`, {
      dtype: "DT_FLOAT",
      shape: channels,
      data: Float32Array.from(scale),
    });
    const offsetNode = this.graph.constant(`${name}/offset`, {
      dtype: "DT_FLOAT",
      shape: channels,
      data: Float32Array.from(offset),
    });
    const scaled = this.graph.add(`${name}/mul`, "Mul", [x, scaleNode], { T: FLOAT });
    return this.graph.add(`${name}/add`, "AddV2", [scaled, offsetNode], { T: FLOAT });
  }

  /** The layer's weights as Consts, by short name ("kernel", "bias"...). */
  #weightConsts(layer: LayerLike): Map<string, string> {
    const out = new Map<string, string>();
    for (const weight of layer.weights) {
      let node = this.#weights.get(weight.originalName);
      if (node === undefined) {
        const tensor = weight.read();
        const value: HostTensor =
          tensor.dtype === "int32"
            ? { dtype: "DT_INT32", shape: tensor.shape, data: Int32Array.from(tensor.dataSync()) }
            : {
                dtype: "DT_FLOAT",
                shape: tensor.shape,
                data: Float32Array.from(tensor.dataSync()),
              };
        node = this.graph.constant(weight.originalName, value);
        this.#weights.set(weight.originalName, node);
      }
      out.set(weightShortName(weight.originalName), node);
    }
    return out;
  }
}

function padding(value: unknown, fail: LayerFailure): string {
  if (value === "same") return "SAME";
  if (value === "valid" || value === undefined) return "VALID";
  return fail(`padding ${String(value)} is not supported`);
}
