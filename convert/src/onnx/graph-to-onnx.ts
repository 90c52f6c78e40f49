import { ElementType, own, type DataType } from "@servable/protocol";
import { UnexportableLayerError } from "../tfjs/tfjs-model";
import { float, int, ints, string, tensorValue } from "./onnx-builder";
import { onnxFilter } from "./onnx-filter";
import { OnnxGraphBuilder } from "./onnx-graph-builder";
import { encodeCompiledModel, type OnnxCompilation } from "./tfjs-to-onnx";

/**
 * A TF.js graph model (or a SavedModel read into one) compiled to ONNX for one set of
 * feeds and fetches, named as the model's tensors are ("x:0", "y:0"): the graph's inputs
 * are the fed tensors, whatever node makes them, and its outputs the fetched ones.
 * Only the nodes between them are compiled, and each must be an op written here (MatMul
 * and the fused MatMul TF.js's converter writes, BiasAdd, element-wise ops and
 * activations, Reshape, NHWC convolutions (plain, depthwise, fused) and pools through
 * NCHW transposes, Mean and Max over constant axes, ConcatV2); any other op makes the
 * result a reason naming it.
 *
 * ONNX Runtime wants every graph input fed on every run, so a model whose signatures
 * feed different tensors compiles once per set of feeds.
 */
export interface GraphModelLike {
  /** The model.json's GraphDef (TF.js keeps the artifacts it loaded from). */
  readonly artifacts?: { readonly modelTopology?: unknown };
  /** Const values by node name, as TF.js's executor holds them. */
  readonly weights: Readonly<Record<string, readonly GraphWeight[]>>;
}

export interface GraphWeight {
  readonly shape: readonly number[];
  readonly dtype: string;
  dataSync(): ArrayLike<number>;
}

export interface GraphTensor {
  readonly name: string;
  readonly dtype: DataType;
  /** -1 where free; undefined when the rank is unknown. */
  readonly shape: readonly number[] | undefined;
}

interface GraphNodeJson {
  readonly name: string;
  readonly op: string;
  readonly input?: readonly string[];
  readonly attr?: Readonly<Record<string, AttrJson>>;
}

interface AttrJson {
  readonly s?: string;
  readonly b?: boolean;
  readonly f?: number;
  readonly i?: string | number;
  readonly list?: { readonly s?: readonly string[]; readonly i?: readonly (string | number)[] };
}

const FEED_TYPES: ReadonlyMap<DataType, number> = new Map([
  ["DT_FLOAT", ElementType.FLOAT],
  ["DT_INT32", ElementType.INT32],
]);

/** Ops that compute the same thing on the same inputs in both (numpy broadcasting). */
const SAME_OPS: Record<string, string> = {
  Add: "Add",
  AddV2: "Add",
  Sub: "Sub",
  Mul: "Mul",
  RealDiv: "Div",
  Div: "Div",
  Maximum: "Max",
  Minimum: "Min",
  Relu: "Relu",
  Sigmoid: "Sigmoid",
  Tanh: "Tanh",
  Elu: "Elu",
  Selu: "Selu",
  Softplus: "Softplus",
  Softsign: "Softsign",
  Exp: "Exp",
  Log: "Log",
  Sqrt: "Sqrt",
  Neg: "Neg",
  Abs: "Abs",
};

/** Ops that pass their input through at inference. */
const PASS_THROUGH = new Set(["Identity", "StopGradient", "Snapshot", "NoOp"]);

export function compileGraphModel(
  model: GraphModelLike,
  feeds: readonly GraphTensor[],
  fetches: readonly GraphTensor[],
): OnnxCompilation {
  try {
    return { compiled: true, onnx: compile(model, feeds, fetches) };
  } catch (error) {
    if (error instanceof UnexportableLayerError) return { compiled: false, reason: error.message };
    return { compiled: false, reason: `compiling failed: ${(error as Error).message}` };
  }
}

function compile(
  model: GraphModelLike,
  feeds: readonly GraphTensor[],
  fetches: readonly GraphTensor[],
): Uint8Array {
  const topology = model.artifacts?.modelTopology as { node?: GraphNodeJson[] } | undefined;
  if (!Array.isArray(topology?.node)) {
    throw new UnexportableLayerError("the model's graph is not at hand");
  }
  const nodes = new Map(topology.node.map((n) => [n.name, n]));
  const g = new OnnxGraphBuilder();
  const fetchNames = [...new Set(fetches.map((f) => f.name))];
  for (const t of [...feeds, ...fetches]) g.reserve(t.name);
  const memo = new Map<string, string>(feeds.map((f) => [canonical(f.name), f.name]));
  const converting = new Set<string>();

  const tensor = (reference: string): string => {
    const name = canonical(reference);
    const known = memo.get(name);
    if (known !== undefined) return known;
    const [nodeName, index] = splitName(name);
    const node = nodes.get(nodeName);
    if (!node) throw new UnexportableLayerError(`tensor ${name} is made by no node of the graph`);
    if (index !== 0) {
      throw new UnexportableLayerError(
        `node ${nodeName} (${node.op}): output ${index} is not compiled`,
      );
    }
    if (converting.has(nodeName)) {
      throw new UnexportableLayerError(`node ${nodeName} (${node.op}) is in a cycle`);
    }
    converting.add(nodeName);
    const value = convertNode(node);
    converting.delete(nodeName);
    memo.set(name, value);
    return value;
  };

  const convertNode = (node: GraphNodeJson): string => {
    const fail = (why: string): never => {
      throw new UnexportableLayerError(`node ${node.name} (${node.op}): ${why}`);
    };
    const dataInputs = (node.input ?? []).filter((i) => !i.startsWith("^"));
    const inputs = () => dataInputs.map(tensor);
    const attr = node.attr ?? {};
    const op = own(SAME_OPS, node.op);
    if (op) return g.add(op, inputs(), node.name);
    if (PASS_THROUGH.has(node.op)) return inputs()[0] ?? fail("it has no input");
    switch (node.op) {
      case "Placeholder":
        return fail("the signature does not feed it");
      case "Const":
        return constant(node, model, g, fail);
      case "BiasAdd":
        if (attr.data_format && !isNhwc(attr)) fail("only NHWC data is supported");
        return g.add("Add", inputs(), node.name);
      case "MatMul":
        return matMul(g, node, inputs());
      case "_FusedMatMul": {
        const [a, b, ...args] = inputs();
        const fused = (attr.fused_ops?.list?.s ?? []).map(decodeAttrString);
        let y = matMul(g, node, [a!, b!]);
        for (const step of fused) {
          if (step === "BiasAdd") y = g.add("Add", [y, args[0] ?? fail("no bias")], node.name);
          else if (step === "Relu") y = g.add("Relu", [y], node.name);
          else if (step === "Relu6") y = clip(g, y, 0, 6, node.name);
          else if (step === "Elu") y = g.add("Elu", [y], node.name);
          else if (step === "Sigmoid") y = g.add("Sigmoid", [y], node.name);
          else if (step === "Tanh") y = g.add("Tanh", [y], node.name);
          else if (step === "LeakyRelu") {
            y = g.add("LeakyRelu", [y], node.name, {
              alpha: float(Number(attr.leakyrelu_alpha?.f ?? 0.2)),
            });
          } else fail(`fused op ${step} is not compiled`);
        }
        return y;
      }
      case "Relu6":
        return clip(g, inputs()[0]!, 0, 6, node.name);
      case "LeakyRelu":
        return g.add("LeakyRelu", inputs(), node.name, {
          alpha: float(Number(attr.alpha?.f ?? 0.2)),
        });
      case "Softmax":
        return g.add("Softmax", inputs(), node.name, { axis: int(-1) });
      case "LogSoftmax":
        return g.add("LogSoftmax", inputs(), node.name, { axis: int(-1) });
      case "Square": {
        const [x] = inputs();
        return g.add("Mul", [x!, x!], node.name);
      }
      case "Rsqrt":
        return g.add("Reciprocal", [g.add("Sqrt", inputs(), node.name)], node.name);
      case "Conv2D":
      case "DepthwiseConv2dNative":
      case "_FusedConv2D": {
        const [x, filter, ...args] = dataInputs;
        const depthwise = node.op === "DepthwiseConv2dNative";
        const weight = filterOf(filter!, depthwise);
        const nchw = g.add("Transpose", [tensor(x!)], node.name, { perm: ints(TO_NCHW) });
        const conv = g.add("Conv", [nchw, weight.name], node.name, {
          ...windowAttributes(attr, fail),
          kernel_shape: ints(weight.kernel),
          group: int(weight.group),
        });
        let y = g.add("Transpose", [conv], node.name, { perm: ints(TO_NHWC) });
        if (node.op === "_FusedConv2D") {
          for (const step of (attr.fused_ops?.list?.s ?? []).map(decodeAttrString)) {
            if (step === "BiasAdd")
              y = g.add("Add", [y, tensor(args[0] ?? fail("no bias"))], node.name);
            else if (step === "Relu") y = g.add("Relu", [y], node.name);
            else if (step === "Relu6") y = clip(g, y, 0, 6, node.name);
            else fail(`fused op ${step} is not compiled`);
          }
        }
        return y;
      }
      case "MaxPool":
      case "AvgPool": {
        const ksize = listInts(attr.ksize);
        if (ksize.length !== 4 || ksize[0] !== 1 || ksize[3] !== 1)
          fail("only 2D windows are compiled");
        const nchw = g.add("Transpose", inputs(), node.name, { perm: ints(TO_NCHW) });
        const pooled = g.add(node.op === "MaxPool" ? "MaxPool" : "AveragePool", [nchw], node.name, {
          ...windowAttributes(attr, fail),
          kernel_shape: ints([ksize[1]!, ksize[2]!]),
        });
        return g.add("Transpose", [pooled], node.name, { perm: ints(TO_NHWC) });
      }
      case "Mean":
      case "Max": {
        const [x, axes] = dataInputs;
        const values = constValues(axes ?? fail("no axes"), nodes, model, fail);
        return g.add(node.op === "Mean" ? "ReduceMean" : "ReduceMax", [tensor(x!)], node.name, {
          axes: ints(values),
          keepdims: int(attr.keep_dims?.b ? 1 : 0),
        });
      }
      case "ConcatV2": {
        const parts = dataInputs.slice(0, -1);
        const [axis] = constValues(dataInputs.at(-1) ?? fail("no axis"), nodes, model, fail);
        return g.add("Concat", parts.map(tensor), node.name, { axis: int(axis!) });
      }
      case "Reshape": {
        const [x, shape] = dataInputs;
        const values = constValues(shape ?? fail("no shape"), nodes, model, fail);
        return g.add("Reshape", [tensor(x!), g.int64s(`${node.name}/shape`, values)], node.name);
      }
      default:
        return fail(`the op ${node.op} is not compiled to ONNX`);
    }
  };

  /** A Const filter of TF's layout as an ONNX initializer. */
  const filterOf = (reference: string, depthwise: boolean) => {
    const [name] = splitName(canonical(reference));
    const node = nodes.get(name);
    const value = node?.op === "Const" ? own(model.weights, node.name)?.[0] : undefined;
    if (!value || value.shape.length !== 4) {
      throw new UnexportableLayerError(`node ${name}: a convolution's filter must be a constant`);
    }
    const filter = onnxFilter(value.shape, value.dataSync(), depthwise);
    return {
      name: g.floats(`${name}/onnx`, filter.dims, filter.data),
      kernel: filter.dims.slice(2),
      group: filter.group,
    };
  };

  const computed = fetchNames.map(tensor);
  fetchNames.forEach((name, i) => {
    if (computed[i] !== name) g.addNamed("Identity", [computed[i]!], name);
  });
  const fetchByName = new Map(fetches.map((f) => [f.name, f]));
  return encodeCompiledModel(
    "tfjs_graph",
    g,
    feeds.map(valueOf),
    fetchNames.map((n) => valueOf(fetchByName.get(n)!)),
  );
}

function valueOf(t: GraphTensor) {
  const type = FEED_TYPES.get(t.dtype);
  if (type === undefined) {
    throw new UnexportableLayerError(
      `tensor ${t.name} is ${t.dtype}; compiled graphs carry DT_FLOAT and DT_INT32`,
    );
  }
  const dims = t.shape?.map((d, i) => (d >= 0 ? d : i === 0 ? "N" : `${t.name}_${i}`));
  return dims === undefined
    ? { name: t.name, type: { tensorType: { elemType: type } } }
    : tensorValue(t.name, type, dims);
}

/** NHWC (TF's) to NCHW (ONNX's convolutions and pools) and back. */
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

const listInts = (value: AttrJson | undefined): number[] => (value?.list?.i ?? []).map(Number);

/**
 * Strides, dilations and padding of an NHWC convolution or pool: TF's SAME puts the odd
 * padded cell at the end, which is ONNX's SAME_UPPER (computed when the input's size is known).
 */
function windowAttributes(attr: Readonly<Record<string, AttrJson>>, fail: (why: string) => never) {
  if (attr.data_format && !isNhwc(attr)) fail("only NHWC data is supported");
  const strides = listInts(attr.strides);
  const dilations = listInts(attr.dilations);
  const padding = decodeAttrString(attr.padding?.s ?? "");
  if (padding !== "SAME" && padding !== "VALID") fail(`padding ${padding} is not compiled`);
  const dilated = dilations.length === 4 && (dilations[1] !== 1 || dilations[2] !== 1);
  // ONNX Runtime computes SAME padding only without dilation (the input's size is not
  // known here to write the pads out).
  if (dilated && padding === "SAME") fail("dilated windows with SAME padding are not compiled");
  return {
    strides: ints(strides.length === 4 ? [strides[1]!, strides[2]!] : [1, 1]),
    // Written only when not 1: ONNX's AveragePool takes no dilations before opset 19.
    ...(dilated && { dilations: ints([dilations[1]!, dilations[2]!]) }),
    auto_pad: string(padding === "SAME" ? "SAME_UPPER" : "VALID"),
  };
}

function matMul(g: OnnxGraphBuilder, node: GraphNodeJson, [a, b]: string[]): string {
  const attr = node.attr ?? {};
  const t = (x: string, transpose: boolean | undefined) =>
    transpose ? g.add("Transpose", [x], node.name, { perm: ints([1, 0]) }) : x;
  return g.add("MatMul", [t(a!, attr.transpose_a?.b), t(b!, attr.transpose_b?.b)], node.name);
}

function clip(g: OnnxGraphBuilder, x: string, min: number, max: number, name: string): string {
  return g.add("Clip", [x, g.scalar(`${name}/min`, min), g.scalar(`${name}/max`, max)], name);
}

function constant(
  node: GraphNodeJson,
  model: GraphModelLike,
  g: OnnxGraphBuilder,
  fail: (why: string) => never,
): string {
  const value = own(model.weights, node.name)?.[0] ?? fail("its value is not among the weights");
  if (value.dtype !== "float32") fail(`${value.dtype} constants are not compiled`);
  return g.floats(node.name, value.shape, value.dataSync());
}

/** The values of a Const that gives a shape (a Reshape's), as numbers. */
function constValues(
  reference: string,
  nodes: ReadonlyMap<string, GraphNodeJson>,
  model: GraphModelLike,
  fail: (why: string) => never,
): number[] {
  const [name] = splitName(canonical(reference));
  let node = nodes.get(name);
  while (node && PASS_THROUGH.has(node.op) && node.input?.[0]) {
    node = nodes.get(splitName(canonical(node.input[0]))[0]);
  }
  if (node?.op !== "Const") return fail("its shape is computed, not a constant");
  const value = own(model.weights, node.name)?.[0] ?? fail("its shape is not among the weights");
  return Array.from(value.dataSync());
}

const isNhwc = (attr: Readonly<Record<string, AttrJson>>): boolean =>
  decodeAttrString(attr.data_format?.s ?? "") === "NHWC";

/** TF.js's model.json writes attr strings in base64. */
function decodeAttrString(value: string): string {
  try {
    return Buffer.from(value, "base64").toString("utf8");
  } catch {
    return value;
  }
}

/** "y" and "y:0" name the same tensor. */
const canonical = (name: string): string => (/:\d+$/.test(name) ? name : `${name}:0`);

function splitName(name: string): [string, number] {
  const at = name.lastIndexOf(":");
  return [name.slice(0, at), Number(name.slice(at + 1))];
}
