import { join } from "node:path";
import { constNode, opDef, writeMetaGraph } from "@servable/convert";
import {
  type HostTensor,
  type AttrValue,
  type FunctionDef,
  type MetaGraphDef,
  type NodeDef,
  type OpDef,
  type SignatureDefProto,
  shapeProto,
} from "@servable/protocol";
import { writeTensorBundle } from "../checkpoint/tensor-bundle-writer";

/**
 * SavedModels written from scratch for the reader's tests, so that a fresh clone tests
 * what TF 1 and TF 2 write: variables restored from a checkpoint by the saver's restore
 * op, tf.Example parsing, and (TF 2) nested function calls over resource variables.
 * Both compute TF Serving's half_plus_two: y = a*x + b with a = 0.5, b = 2, and
 * y2 = a*x2 + c (c = 3) where x2 has a default of 0.
 */
const scalar = (value: number): HostTensor => ({
  dtype: "DT_FLOAT",
  shape: [],
  data: Float32Array.of(value),
});
const strings = (values: string[], shape = [values.length]): HostTensor => ({
  dtype: "DT_STRING",
  shape,
  data: values.map((v) => new TextEncoder().encode(v)),
});
const float = { type: "DT_FLOAT" };
const str = { type: "DT_STRING" };
const types = (...t: string[]): AttrValue => ({ list: { type: t } });
const shapes = (...s: number[][]): AttrValue => ({ list: { shape: s.map((d) => shapeProto(d)) } });

export function node(
  name: string,
  op: string,
  input: string[] = [],
  attr: Record<string, AttrValue> = {},
): NodeDef {
  return { name, op, input, attr };
}

export { constNode };

const info = (name: string, dtype: string, dims?: number[]) => ({
  name,
  dtype,
  ...(dims && { tensor_shape: shapeProto(dims) }),
});

/** Writes `saved_model.pb` (and the checkpoint, when given) into `dir`. */
export async function writeSavedModel(
  dir: string,
  metaGraph: MetaGraphDef,
  variables?: ReadonlyMap<string, HostTensor>,
  options: { snappy?: boolean } = {},
): Promise<void> {
  await writeMetaGraph(dir, metaGraph);
  if (variables) await writeTensorBundle(join(dir, "variables", "variables"), variables, options);
}

/** TF 1 style: VariableV2 + Identity reads, ParseExample in the graph, `save/restore_all`. */
export function tf1HalfPlusTwo(): { metaGraph: MetaGraphDef; variables: Map<string, HostTensor> } {
  const variable = (name: string) => [
    node(name, "VariableV2", [], { dtype: float, shape: { shape: {} } }),
    node(`${name}/read`, "Identity", [name], { T: float }),
  ];
  const nodes: NodeDef[] = [
    ...variable("a"),
    ...variable("b"),
    ...variable("c"),
    node("tf_example", "Placeholder", [], { dtype: str, shape: { shape: { unknown_rank: true } } }),
    constNode("ParseExample/Const", { dtype: "DT_FLOAT", shape: [0], data: new Float32Array(0) }),
    constNode("ParseExample/x2_default", {
      dtype: "DT_FLOAT",
      shape: [1],
      data: Float32Array.of(0),
    }),
    constNode("ParseExample/names", strings([], [0])),
    constNode("ParseExample/dense_keys_0", strings(["x"], [])),
    constNode("ParseExample/dense_keys_1", strings(["x2"], [])),
    node(
      "ParseExample/ParseExample",
      "ParseExample",
      [
        "tf_example",
        "ParseExample/names",
        "ParseExample/dense_keys_0",
        "ParseExample/dense_keys_1",
        "ParseExample/Const",
        "ParseExample/x2_default",
      ],
      {
        Nsparse: { i: "0" },
        Ndense: { i: "2" },
        sparse_types: { list: {} },
        Tdense: types("DT_FLOAT", "DT_FLOAT"),
        dense_shapes: shapes([1], [1]),
      },
    ),
    node("x", "Identity", ["ParseExample/ParseExample"], { T: float }),
    node("x2", "Identity", ["ParseExample/ParseExample:1"], { T: float }),
    node("Mul", "Mul", ["a/read", "x"], { T: float }),
    node("y", "Add", ["Mul", "b/read"], { T: float }),
    node("Mul_1", "Mul", ["a/read", "x2"], { T: float }),
    node("y2", "Add", ["Mul_1", "c/read"], { T: float }),
    // The saver: what TF Serving runs to restore the variables.
    constNode("save/Const", strings(["model"], [])),
    constNode("save/RestoreV2/tensor_names", strings(["a", "b", "c"])),
    constNode("save/RestoreV2/shape_and_slices", strings(["", "", ""])),
    node(
      "save/RestoreV2",
      "RestoreV2",
      ["save/Const", "save/RestoreV2/tensor_names", "save/RestoreV2/shape_and_slices"],
      { dtypes: types("DT_FLOAT", "DT_FLOAT", "DT_FLOAT") },
    ),
    node("save/Assign", "Assign", ["a", "save/RestoreV2"], { T: float }),
    node("save/Assign_1", "Assign", ["b", "save/RestoreV2:1"], { T: float }),
    node("save/Assign_2", "Assign", ["c", "save/RestoreV2:2"], { T: float }),
    node("save/restore_all", "NoOp", ["^save/Assign", "^save/Assign_1", "^save/Assign_2"]),
  ];
  const signature_def: Record<string, SignatureDefProto> = {
    serving_default: {
      inputs: { x: info("x:0", "DT_FLOAT", [-1, 1]) },
      outputs: { y: info("y:0", "DT_FLOAT", [-1, 1]) },
      method_name: "tensorflow/serving/predict",
    },
    classify_x_to_y: {
      inputs: { inputs: info("tf_example:0", "DT_STRING") },
      outputs: { scores: info("y:0", "DT_FLOAT", [-1, 1]) },
      method_name: "tensorflow/serving/classify",
    },
    regress_x2_to_y2: {
      inputs: { inputs: info("tf_example:0", "DT_STRING") },
      outputs: { outputs: info("y2:0", "DT_FLOAT", [-1, 1]) },
      method_name: "tensorflow/serving/regress",
    },
  };
  return {
    metaGraph: {
      meta_info_def: { tags: ["serve"], tensorflow_version: "1.15.0" },
      graph_def: { node: nodes, versions: { producer: 134 } },
      saver_def: {
        filename_tensor_name: "save/Const:0",
        restore_op_name: "save/restore_all",
        version: "V2",
      },
      signature_def,
    },
    variables: new Map([
      ["a", scalar(0.5)],
      ["b", scalar(2)],
      ["c", scalar(3)],
    ]),
  };
}

/** The ops of the TF 2 graph: the writer's own OpDefs, and those only TF 2 graphs use. */
const OP_DEFS: OpDef[] = [
  opDef("Mul"),
  opDef("AddV2"),
  opDef("Identity"),
  opDef("Const"),
  {
    name: "ReadVariableOp",
    input_arg: [{ name: "resource", type: "DT_RESOURCE" }],
    output_arg: [{ name: "value", type_attr: "dtype" }],
    attr: [{ name: "dtype", type: "type" }],
  },
  {
    name: "AssignVariableOp",
    input_arg: [
      { name: "resource", type: "DT_RESOURCE" },
      { name: "value", type_attr: "dtype" },
    ],
    attr: [
      { name: "dtype", type: "type" },
      { name: "validate_shape", type: "bool", default_value: { b: false } },
    ],
  },
  {
    name: "RestoreV2",
    input_arg: [
      { name: "prefix", type: "DT_STRING" },
      { name: "tensor_names", type: "DT_STRING" },
      { name: "shape_and_slices", type: "DT_STRING" },
    ],
    output_arg: [{ name: "tensors", type_list_attr: "dtypes" }],
    attr: [{ name: "dtypes", type: "list(type)" }],
  },
  {
    name: "StatefulPartitionedCall",
    input_arg: [{ name: "args", type_list_attr: "Tin" }],
    output_arg: [{ name: "output", type_list_attr: "Tout" }],
    attr: [
      { name: "Tin", type: "list(type)" },
      { name: "Tout", type: "list(type)" },
      { name: "f", type: "func" },
      { name: "config_proto", type: "string", default_value: { s: new Uint8Array(0) } },
    ],
  },
  {
    name: "ParseExampleV2",
    input_arg: ["serialized", "names", "sparse_keys", "dense_keys", "ragged_keys"]
      .map((name) => ({ name, type: "DT_STRING" }))
      .concat([{ name: "dense_defaults", type_list_attr: "Tdense" } as never]),
    output_arg: [
      { name: "sparse_indices", type: "DT_INT64", number_attr: "num_sparse" },
      { name: "sparse_values", type_list_attr: "sparse_types" },
      { name: "sparse_shapes", type: "DT_INT64", number_attr: "num_sparse" },
      { name: "dense_values", type_list_attr: "Tdense" },
      { name: "ragged_values", type_list_attr: "ragged_value_types" },
      { name: "ragged_row_splits", type_list_attr: "ragged_split_types" },
    ],
    attr: ["Tdense", "sparse_types", "ragged_value_types", "ragged_split_types"]
      .map((name) => ({ name, type: "list(type)" }))
      .concat([
        { name: "num_sparse", type: "int" },
        { name: "dense_shapes", type: "list(shape)" },
      ]),
  },
];

const call = (name: string, fn: string, inputs: string[], tin: string[], tout: string[]): NodeDef =>
  node(name, "StatefulPartitionedCall", inputs, {
    f: { func: { name: fn } },
    Tin: types(...tin),
    Tout: types(...tout),
  });

/** `inputs -> a*inputs + b` over two resource variables, as tf.function writes it. */
function affineFunction(name: string, input: string): FunctionDef {
  return {
    signature: {
      name,
      input_arg: [
        { name: input, type: "DT_FLOAT" },
        { name: "mul_resource", type: "DT_RESOURCE" },
        { name: "add_resource", type: "DT_RESOURCE" },
      ],
      output_arg: [{ name: "identity", type: "DT_FLOAT" }],
    },
    node_def: [
      node("Mul/ReadVariableOp", "ReadVariableOp", ["mul_resource"], { dtype: float }),
      node("Mul", "Mul", ["Mul/ReadVariableOp:value:0", input], { T: float }),
      node("Add/ReadVariableOp", "ReadVariableOp", ["add_resource"], { dtype: float }),
      node("Add", "AddV2", ["Mul:z:0", "Add/ReadVariableOp:value:0"], { T: float }),
      node("Identity", "Identity", ["Add:z:0", "^NoOp"], { T: float }),
      node("NoOp", "NoOp", ["^Add/ReadVariableOp", "^Mul/ReadVariableOp"]),
    ],
    ret: { identity: "Identity:output:0" },
  };
}

/** ParseExampleV2 of x (required) and x2 (default 0), then `a*x2 + c`. */
function regressX2Function(): FunctionDef {
  const body = affineFunction("__inference_regress_x2_20", "x2");
  return {
    signature: {
      ...body.signature,
      input_arg: [{ name: "inputs", type: "DT_STRING" }, ...body.signature.input_arg!.slice(1)],
    },
    node_def: [
      constNode("ParseExample/Const", { dtype: "DT_FLOAT", shape: [0], data: new Float32Array(0) }),
      constNode("ParseExample/Const_1", {
        dtype: "DT_FLOAT",
        shape: [1],
        data: Float32Array.of(0),
      }),
      constNode("ParseExample/names", strings([], [0])),
      constNode("ParseExample/sparse_keys", strings([], [0])),
      constNode("ParseExample/dense_keys", strings(["x", "x2"])),
      constNode("ParseExample/ragged_keys", strings([], [0])),
      // Written as TF 2 writes it: attrs equal to their defaults left out, control edges kept.
      node(
        "ParseExample/ParseExampleV2",
        "ParseExampleV2",
        [
          "inputs",
          "ParseExample/names:output:0",
          "ParseExample/sparse_keys:output:0",
          "ParseExample/dense_keys:output:0",
          "ParseExample/ragged_keys:output:0",
          "ParseExample/Const:output:0",
          "ParseExample/Const_1:output:0",
        ],
        {
          num_sparse: { i: "0" },
          sparse_types: { list: {} },
          ragged_value_types: { list: {} },
          ragged_split_types: { list: {} },
          Tdense: types("DT_FLOAT", "DT_FLOAT"),
          dense_shapes: shapes([1], [1]),
        },
      ),
      ...body.node_def!.map((n) =>
        n.name === "Mul"
          ? {
              ...n,
              input: ["Mul/ReadVariableOp:value:0", "ParseExample/ParseExampleV2:dense_values:1"],
            }
          : n,
      ),
    ],
    ret: body.ret,
  };
}

/** Calls `inner` with its inputs, as tf.saved_model.save's signature wrappers do. */
function wrapperFunction(
  name: string,
  inner: string,
  input: string,
  inputType: string,
): FunctionDef {
  return {
    signature: {
      name,
      input_arg: [
        { name: input, type: inputType },
        { name: "unknown", type: "DT_RESOURCE" },
        { name: "unknown_0", type: "DT_RESOURCE" },
      ],
      output_arg: [{ name: "identity", type: "DT_FLOAT" }],
    },
    node_def: [
      call(
        "StatefulPartitionedCall",
        inner,
        [input, "unknown", "unknown_0"],
        [inputType, "DT_RESOURCE", "DT_RESOURCE"],
        ["DT_FLOAT"],
      ),
      node("Identity", "Identity", ["StatefulPartitionedCall:output:0", "^NoOp"], { T: float }),
      node("NoOp", "NoOp", ["^StatefulPartitionedCall"]),
    ],
    ret: { identity: "Identity:output:0" },
  };
}

/** The restore function: RestoreV2 then AssignVariableOp into each resource argument. */
function restoreFunction(): FunctionDef {
  const vars = ["a", "b", "c"];
  return {
    signature: {
      name: "__inference__traced_restore_90",
      input_arg: [
        { name: "file_prefix", type: "DT_STRING" },
        ...vars.map((v) => ({ name: `assignvariableop_${v}`, type: "DT_RESOURCE" })),
      ],
      output_arg: [{ name: "identity_1", type: "DT_STRING" }],
    },
    node_def: [
      constNode(
        "RestoreV2/tensor_names",
        strings(vars.map((v) => `${v}/.ATTRIBUTES/VARIABLE_VALUE`)),
      ),
      constNode("RestoreV2/shape_and_slices", strings(vars.map(() => ""))),
      node(
        "RestoreV2",
        "RestoreV2",
        ["file_prefix", "RestoreV2/tensor_names:output:0", "RestoreV2/shape_and_slices:output:0"],
        { dtypes: types("DT_FLOAT", "DT_FLOAT", "DT_FLOAT") },
      ),
      ...vars.flatMap((v, i) => [
        node(`Identity_${i}`, "Identity", [`RestoreV2:tensors:${i}`], { T: float }),
        node(
          `AssignVariableOp_${i}`,
          "AssignVariableOp",
          [`assignvariableop_${v}`, `Identity_${i}:output:0`],
          { dtype: float },
        ),
      ]),
      node(
        "Identity_3",
        "Identity",
        ["file_prefix", "^AssignVariableOp_0", "^AssignVariableOp_1", "^AssignVariableOp_2"],
        { T: str },
      ),
    ],
    ret: { identity_1: "Identity_3:output:0" },
  };
}

/** TF 2 style: VarHandleOps, signature wrappers calling tf.functions, a traced restore function. */
export function tf2HalfPlusTwo(): { metaGraph: MetaGraphDef; variables: Map<string, HostTensor> } {
  const handle = (name: string) =>
    node(name, "VarHandleOp", [], {
      dtype: float,
      shape: { shape: {} },
      shared_name: { s: new TextEncoder().encode(name) },
    });
  const nodes: NodeDef[] = [
    handle("a"),
    handle("b"),
    handle("c"),
    constNode("serving_default_x/input", {
      dtype: "DT_FLOAT",
      shape: [1],
      data: Float32Array.of(0),
    }),
    node("serving_default_x", "PlaceholderWithDefault", ["serving_default_x/input"], {
      dtype: float,
      shape: { shape: shapeProto([1]) },
    }),
    call(
      "StatefulPartitionedCall",
      "__inference_signature_wrapper_predict_40",
      ["serving_default_x", "a", "b"],
      ["DT_FLOAT", "DT_RESOURCE", "DT_RESOURCE"],
      ["DT_FLOAT"],
    ),
    node("regress_x2_inputs", "Placeholder", [], {
      dtype: str,
      shape: { shape: shapeProto([-1]) },
    }),
    call(
      "StatefulPartitionedCall_1",
      "__inference_signature_wrapper_regress_x2_30",
      ["regress_x2_inputs", "a", "c"],
      ["DT_STRING", "DT_RESOURCE", "DT_RESOURCE"],
      ["DT_FLOAT"],
    ),
    node("saver_filename", "Placeholder", [], { dtype: str, shape: { shape: {} } }),
    call(
      "StatefulPartitionedCall_2",
      "__inference__traced_restore_90",
      ["saver_filename", "a", "b", "c"],
      ["DT_STRING", "DT_RESOURCE", "DT_RESOURCE", "DT_RESOURCE"],
      ["DT_STRING"],
    ),
  ];
  const functions = [
    affineFunction("__inference_predict_10", "x"),
    wrapperFunction(
      "__inference_signature_wrapper_predict_40",
      "__inference_predict_10",
      "x",
      "DT_FLOAT",
    ),
    regressX2Function(),
    wrapperFunction(
      "__inference_signature_wrapper_regress_x2_30",
      "__inference_regress_x2_20",
      "inputs",
      "DT_STRING",
    ),
    restoreFunction(),
  ];
  const signature_def: Record<string, SignatureDefProto> = {
    serving_default: {
      inputs: { x: info("serving_default_x:0", "DT_FLOAT", [1]) },
      outputs: { y: info("StatefulPartitionedCall:0", "DT_FLOAT", [1]) },
      method_name: "tensorflow/serving/predict",
    },
    regress_x2_to_y2: {
      inputs: { inputs: info("regress_x2_inputs:0", "DT_STRING", [-1]) },
      outputs: { outputs: info("StatefulPartitionedCall_1:0", "DT_FLOAT", [-1, 1]) },
      method_name: "tensorflow/serving/predict",
    },
    __saved_model_init_op: {
      outputs: { __saved_model_init_op: { name: "NoOp", tensor_shape: { unknown_rank: true } } },
    },
  };
  return {
    metaGraph: {
      meta_info_def: {
        tags: ["serve"],
        tensorflow_version: "2.14.0",
        stripped_default_attrs: true,
        stripped_op_list: { op: OP_DEFS },
      },
      graph_def: {
        node: nodes,
        versions: { producer: 1569, min_consumer: 12 },
        library: { function: functions },
      },
      saver_def: {
        filename_tensor_name: "saver_filename:0",
        restore_op_name: "StatefulPartitionedCall_2",
        version: "V2",
      },
      signature_def,
    },
    variables: new Map([
      ["a/.ATTRIBUTES/VARIABLE_VALUE", scalar(0.5)],
      ["b/.ATTRIBUTES/VARIABLE_VALUE", scalar(2)],
      ["c/.ATTRIBUTES/VARIABLE_VALUE", scalar(3)],
    ]),
  };
}
