import type { ArgDef, AttrDef, AttrValue, OpDef } from "@servable/protocol";

/**
 * TensorFlow's definitions (tensorflow/core/ops, as recorded in
 * core/ops/compat/ops_history_v2) of the ops the SavedModel writer emits: names, argument
 * layout and attrs with their defaults. They go into the MetaGraph's `stripped_op_list`
 * (without `allowed_values`), and attrs equal to their default are left out of nodes, as
 * TensorFlow 2 writes SavedModels (`stripped_default_attrs`): a TensorFlow older than an
 * attr then still loads the graph.
 */
const typed = (name: string, typeAttr = "T"): ArgDef => ({ name, type_attr: typeAttr });
const fixed = (name: string, type: string): ArgDef => ({ name, type });
const attr = (name: string, type: string, defaultValue?: AttrValue): AttrDef => ({
  name,
  type,
  ...(defaultValue && { default_value: defaultValue }),
});
const T = attr("T", "type");
const NHWC = attr("data_format", "string", { s: new TextEncoder().encode("NHWC") });
const NO_PADDINGS = attr("explicit_paddings", "list(int)", { list: {} });
const ONES = attr("dilations", "list(int)", { list: { i: ["1", "1", "1", "1"] } });
const TIDX = attr("Tidx", "type", { type: "DT_INT32" });

const unary = (name: string, input = "features", output = "activations"): OpDef => ({
  name,
  input_arg: [typed(input)],
  output_arg: [typed(output)],
  attr: [T],
});
const binary = (name: string): OpDef => ({
  name,
  input_arg: [typed("x"), typed("y")],
  output_arg: [typed("z")],
  attr: [T],
});
const reduction = (name: string): OpDef => ({
  name,
  input_arg: [typed("input"), typed("reduction_indices", "Tidx")],
  output_arg: [typed("output")],
  attr: [attr("keep_dims", "bool", { b: false }), T, TIDX],
});
const pool = (name: string, input: string, explicitPaddings: boolean): OpDef => ({
  name,
  input_arg: [typed(input)],
  output_arg: [typed("output")],
  attr: [
    attr("ksize", "list(int)"),
    attr("strides", "list(int)"),
    attr("padding", "string"),
    ...(explicitPaddings ? [NO_PADDINGS] : []),
    NHWC,
    name === "MaxPool" ? attr("T", "type", { type: "DT_FLOAT" }) : T,
  ],
});

const OP_DEFS: OpDef[] = [
  {
    name: "Placeholder",
    output_arg: [typed("output", "dtype")],
    attr: [attr("dtype", "type"), attr("shape", "shape", { shape: { unknown_rank: true } })],
  },
  {
    name: "Const",
    output_arg: [typed("output", "dtype")],
    attr: [attr("value", "tensor"), attr("dtype", "type")],
  },
  unary("Identity", "input", "output"),
  {
    name: "MatMul",
    input_arg: [typed("a"), typed("b")],
    output_arg: [typed("product")],
    attr: [attr("transpose_a", "bool", { b: false }), attr("transpose_b", "bool", { b: false }), T],
  },
  {
    name: "BiasAdd",
    input_arg: [typed("value"), typed("bias")],
    output_arg: [typed("output")],
    attr: [T, NHWC],
  },
  unary("Relu"),
  unary("Relu6"),
  unary("Elu"),
  unary("Selu"),
  unary("Softplus"),
  unary("Softsign"),
  { ...unary("LeakyRelu"), attr: [attr("alpha", "float", { f: 0.2 }), T] },
  unary("Sigmoid", "x", "y"),
  unary("Tanh", "x", "y"),
  unary("Softmax", "logits", "softmax"),
  binary("AddV2"),
  binary("Sub"),
  binary("Mul"),
  binary("Maximum"),
  binary("Minimum"),
  {
    name: "Conv2D",
    input_arg: [typed("input"), typed("filter")],
    output_arg: [typed("output")],
    attr: [
      T,
      attr("strides", "list(int)"),
      attr("use_cudnn_on_gpu", "bool", { b: true }),
      attr("padding", "string"),
      NO_PADDINGS,
      NHWC,
      ONES,
    ],
  },
  {
    name: "DepthwiseConv2dNative",
    input_arg: [typed("input"), typed("filter")],
    output_arg: [typed("output")],
    attr: [T, attr("strides", "list(int)"), attr("padding", "string"), NO_PADDINGS, NHWC, ONES],
  },
  pool("MaxPool", "input", true),
  pool("AvgPool", "value", false),
  reduction("Mean"),
  reduction("Max"),
  {
    name: "Reshape",
    input_arg: [typed("tensor"), typed("shape", "Tshape")],
    output_arg: [typed("output")],
    attr: [T, attr("Tshape", "type", { type: "DT_INT32" })],
  },
  {
    name: "ConcatV2",
    input_arg: [{ name: "values", type_attr: "T", number_attr: "N" }, typed("axis", "Tidx")],
    output_arg: [typed("output")],
    attr: [attr("N", "int"), T, TIDX],
  },
  {
    name: "GatherV2",
    input_arg: [typed("params", "Tparams"), typed("indices", "Tindices"), typed("axis", "Taxis")],
    output_arg: [typed("output", "Tparams")],
    attr: [
      attr("batch_dims", "int", { i: "0" }),
      attr("Tparams", "type"),
      attr("Tindices", "type"),
      attr("Taxis", "type"),
    ],
  },
  {
    name: "Cast",
    input_arg: [typed("x", "SrcT")],
    output_arg: [typed("y", "DstT")],
    attr: [attr("SrcT", "type"), attr("DstT", "type"), attr("Truncate", "bool", { b: false })],
  },
  {
    name: "Shape",
    input_arg: [typed("input")],
    output_arg: [typed("output", "out_type")],
    attr: [T, attr("out_type", "type", { type: "DT_INT32" })],
  },
  {
    name: "BroadcastTo",
    input_arg: [typed("input"), typed("shape", "Tidx")],
    output_arg: [typed("output")],
    attr: [T, TIDX],
  },
  {
    name: "ParseExample",
    input_arg: [
      fixed("serialized", "DT_STRING"),
      fixed("names", "DT_STRING"),
      { name: "sparse_keys", type: "DT_STRING", number_attr: "Nsparse" },
      { name: "dense_keys", type: "DT_STRING", number_attr: "Ndense" },
      { name: "dense_defaults", type_list_attr: "Tdense" },
    ],
    output_arg: [
      { name: "sparse_indices", type: "DT_INT64", number_attr: "Nsparse" },
      { name: "sparse_values", type_list_attr: "sparse_types" },
      { name: "sparse_shapes", type: "DT_INT64", number_attr: "Nsparse" },
      { name: "dense_values", type_list_attr: "Tdense" },
    ],
    attr: [
      attr("Nsparse", "int"),
      attr("Ndense", "int"),
      attr("sparse_types", "list(type)"),
      attr("Tdense", "list(type)"),
      attr("dense_shapes", "list(shape)"),
    ],
  },
];

const BY_NAME = new Map(OP_DEFS.map((def) => [def.name, def]));

export function opDef(name: string): OpDef {
  const def = BY_NAME.get(name);
  if (!def) throw new Error(`no OpDef for ${name}`);
  return def;
}
