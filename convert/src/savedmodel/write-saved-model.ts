import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type SignatureFile,
  type MetaGraphDef,
  type SignatureDefProto,
  type TensorInfoProto,
  encodeMessage,
  own,
  CLASSIFY_METHOD,
  DEFAULT_SIGNATURE,
  PREDICT_METHOD,
  REGRESS_METHOD,
  takesSerializedExamples,
  type SignatureDef,
  type TensorInfo,
} from "@servable/protocol";
import {
  asLayersModel,
  UnexportableLayerError,
  type LayersModelLike,
  type SymbolicTensorLike,
  type TfjsModel,
} from "../tfjs/tfjs-model";
import { tfjsToDataType } from "../tfjs/tfjs-dtypes";
import { GraphBuilder } from "./graph-builder";
import { LayerGraphWriter } from "./layer-graph";

/**
 * Writes a TF.js LayersModel as a frozen TensorFlow SavedModel: `saved_model.pb` with one
 * MetaGraph tagged `serve` (weights as Consts, no variables) and an empty `variables/`,
 * the layout TF Serving and Servable load. Each signature becomes a SignatureDef: predict
 * signatures feed the model's inputs; classify and regress signatures are written as TF
 * Serving wants them, one DT_STRING input "inputs" of serialized tf.Examples parsed in the
 * graph (ParseExample, each feature named by its input key), and for classify a "classes"
 * output when class labels are given. The whole graph is built before anything is
 * written: a layer that cannot be exported fails with nothing on disk.
 */
export interface WrittenSavedModel {
  /** The files written, relative to the directory. */
  readonly files: string[];
  /** The SignatureDefs written, as the metadata endpoint prints them. */
  readonly signatures: Record<string, SignatureDef>;
}

/** GraphDef version of TensorFlow 2.12 (TF_GRAPH_DEF_VERSION): a producer every TF 2 reads. */
export const GRAPH_DEF_PRODUCER = 1394;

export async function writeSavedModel(
  model: TfjsModel,
  dir: string,
  signatures?: SignatureFile,
): Promise<WrittenSavedModel> {
  const metaGraph = buildMetaGraph(model, signatures);
  await writeMetaGraph(dir, metaGraph);
  return { files: ["saved_model.pb", "variables/"], signatures: printedSignatures(metaGraph) };
}

/** `saved_model.pb` holding this one MetaGraph, and the `variables/` folder beside it. */
export async function writeMetaGraph(dir: string, metaGraph: MetaGraphDef): Promise<void> {
  const bytes = encodeMessage("SavedModel", {
    saved_model_schema_version: "1",
    meta_graphs: [metaGraph],
  });
  await mkdir(join(dir, "variables"), { recursive: true });
  await writeFile(join(dir, "saved_model.pb"), bytes);
}

/** The MetaGraph for a model and its signatures (all built in memory). */
export function buildMetaGraph(model: TfjsModel, given?: SignatureFile): MetaGraphDef {
  const layers = asLayersModel(model, "SavedModel");
  const graph = new GraphBuilder();
  const writer = new LayerGraphWriter(graph);
  const file = given ?? defaultSignatures(layers);

  const placeholders = new Map<number, string>();
  const placeholder = (index: number): string => {
    let name = placeholders.get(index);
    if (name === undefined) {
      const input = layers.inputs[index]!;
      name = graph.add(layers.inputNames[index] ?? input.name, "Placeholder", [], {
        dtype: { type: tfjsToDataType(input.dtype) },
        shape: { shape: { dim: input.shape.map((d) => ({ size: String(d ?? -1) })) } },
      });
      placeholders.set(index, name);
    }
    return name;
  };
  let predictOutputs: string[] | undefined;
  const modelOutputs = (): string[] => {
    predictOutputs ??= writer.emit(
      layers.outputs,
      new Map(layers.inputs.map((t, i) => [t.id, placeholder(i)])),
      "",
    );
    return predictOutputs;
  };

  const signatureDefs = mapEntries(file.signature_def, (name, def): SignatureDefProto => {
    const parsesExamples =
      (def.method_name === CLASSIFY_METHOD || def.method_name === REGRESS_METHOD) &&
      !takesSerializedExamples(def);
    return parsesExamples
      ? exampleSignature(name, def, own(file.class_labels, name), layers, graph, writer)
      : {
          inputs: mapEntries(def.inputs, (key, info) =>
            tensorInfo(placeholder(inputIndex(layers, key, info, name)), info),
          ),
          outputs: mapEntries(def.outputs, (key, info) =>
            tensorInfo(modelOutputs()[outputIndex(layers, key, info, name)]!, info),
          ),
          method_name: def.method_name,
        };
  });
  return {
    meta_info_def: {
      tags: ["serve"],
      stripped_op_list: { op: graph.opList },
      stripped_default_attrs: true,
      tensorflow_git_version: "servable",
    },
    graph_def: { node: graph.nodes, versions: { producer: GRAPH_DEF_PRODUCER } },
    signature_def: signatureDefs,
  };
}

/**
 * A classify or regress signature in TF Serving's form: serialized tf.Examples in, each
 * model input parsed from the feature named by its key (required, of its fixed shape).
 */
function exampleSignature(
  name: string,
  def: SignatureDef,
  classLabels: readonly string[] | undefined,
  layers: LayersModelLike,
  graph: GraphBuilder,
  writer: LayerGraphWriter,
): SignatureDefProto {
  const prefix = `${name}/`;
  const serialized = graph.add(`${name}_inputs`, "Placeholder", [], {
    dtype: { type: "DT_STRING" },
    shape: { shape: { dim: [{ size: "-1" }] } },
  });
  const features = Object.entries(def.inputs).map(([key, info]) => {
    const index = inputIndex(layers, key, info, name);
    const input = layers.inputs[index]!;
    const dims = input.shape.slice(1);
    if (dims.some((d) => d === null || d < 0)) {
      throw new UnexportableLayerError(
        `signature ${name}: input ${key} needs a fully known shape (after the batch dimension) to be parsed from tf.Examples`,
      );
    }
    const type = tfjsToDataType(input.dtype);
    const parsedType =
      type === "DT_FLOAT" ? "DT_FLOAT" : type === "DT_STRING" ? "DT_STRING" : "DT_INT64";
    return { key, index, type, parsedType, dims: dims as number[] };
  });
  const missing = layers.inputs.findIndex((_, i) => !features.some((f) => f.index === i));
  if (missing >= 0) {
    throw new UnexportableLayerError(
      `signature ${name} does not name model input ${layers.inputNames[missing]}`,
    );
  }
  const str = (s: string) => new TextEncoder().encode(s);
  const names = graph.constant(`${prefix}ParseExample/names`, {
    dtype: "DT_STRING",
    shape: [0],
    data: [],
  });
  const keys = features.map((f, i) =>
    graph.constant(`${prefix}ParseExample/dense_keys_${i}`, {
      dtype: "DT_STRING",
      shape: [],
      data: [str(f.key)],
    }),
  );
  const defaults = features.map((f, i) =>
    graph.constant(`${prefix}ParseExample/Const_${i}`, emptyTensor(f.parsedType)),
  );
  const parse = graph.add(
    `${prefix}ParseExample/ParseExample`,
    "ParseExample",
    [serialized, names, ...keys, ...defaults],
    {
      Nsparse: { i: "0" },
      Ndense: { i: String(features.length) },
      sparse_types: { list: {} },
      Tdense: { list: { type: features.map((f) => f.parsedType) } },
      dense_shapes: {
        list: { shape: features.map((f) => ({ dim: f.dims.map((d) => ({ size: String(d) })) })) },
      },
    },
  );
  const feeds = new Map<number, string>();
  features.forEach((f, i) => {
    const parsed = i === 0 ? parse : `${parse}:${i}`;
    const value =
      f.parsedType === f.type
        ? parsed
        : graph.add(`${prefix}ParseExample/Cast_${i}`, "Cast", [parsed], {
            SrcT: { type: f.parsedType },
            DstT: { type: f.type },
          });
    feeds.set(layers.inputs[f.index]!.id, value);
  });
  const outputKey = def.method_name === CLASSIFY_METHOD ? "scores" : "outputs";
  const outputInfo = def.outputs[outputKey];
  if (!outputInfo || Object.keys(def.outputs).length !== 1) {
    throw new UnexportableLayerError(
      `signature ${name} (${def.method_name}) needs exactly one output, "${outputKey}"`,
    );
  }
  const [result] = writer.emit(
    [layers.outputs[outputIndex(layers, outputKey, outputInfo, name)]!],
    feeds,
    prefix,
  );
  const outputs: Record<string, TensorInfoProto> = { [outputKey]: tensorInfo(result!, outputInfo) };
  if (def.method_name === CLASSIFY_METHOD && classLabels && classLabels.length > 0) {
    const labels = graph.constant(`${prefix}classes/labels`, {
      dtype: "DT_STRING",
      shape: [1, classLabels.length],
      data: classLabels.map(str),
    });
    const shape = graph.add(`${prefix}classes/Shape`, "Shape", [result!], {
      T: { type: "DT_FLOAT" },
    });
    const classes = graph.add(`${prefix}classes`, "BroadcastTo", [labels, shape], {
      T: { type: "DT_STRING" },
    });
    outputs.classes = {
      name: `${classes}:0`,
      dtype: "DT_STRING",
      tensor_shape: { dim: [{ size: "-1" }, { size: String(classLabels.length) }] },
    };
  }
  return {
    inputs: {
      inputs: {
        name: `${serialized}:0`,
        dtype: "DT_STRING",
        tensor_shape: { dim: [{ size: "-1" }] },
      },
    },
    outputs,
    method_name: def.method_name,
  };
}

function emptyTensor(type: string) {
  if (type === "DT_STRING") return { dtype: "DT_STRING" as const, shape: [0], data: [] };
  if (type === "DT_INT64")
    return { dtype: "DT_INT64" as const, shape: [0], data: new BigInt64Array(0) };
  return { dtype: "DT_FLOAT" as const, shape: [0], data: new Float32Array(0) };
}

function defaultSignatures(layers: LayersModelLike): SignatureFile {
  const describe = (t: SymbolicTensorLike): TensorInfo => ({
    dtype: tfjsToDataType(t.dtype) as TensorInfo["dtype"],
    tensor_shape: {
      dim: t.shape.map((d) => ({ size: String(d ?? -1), name: "" })),
      unknown_rank: false,
    },
    name: t.name,
  });
  return {
    signature_def: {
      [DEFAULT_SIGNATURE]: {
        inputs: Object.fromEntries(
          layers.inputs.map((t, i) => [layers.inputNames[i]!, describe(t)]),
        ),
        outputs: Object.fromEntries(
          layers.outputs.map((t, i) => [layers.outputNames[i]!, describe(t)]),
        ),
        method_name: PREDICT_METHOD,
      },
    },
  };
}

/** A signature's tensor as one of the model's inputs: by tensor name, else by key (layer name). */
const inputIndex = (layers: LayersModelLike, key: string, info: TensorInfo, signature: string) =>
  tensorIndex(layers.inputs, layers.inputNames, "input", key, info, signature);

const outputIndex = (layers: LayersModelLike, key: string, info: TensorInfo, signature: string) =>
  tensorIndex(layers.outputs, layers.outputNames, "output", key, info, signature);

function tensorIndex(
  tensors: readonly SymbolicTensorLike[],
  names: readonly string[],
  side: "input" | "output",
  key: string,
  info: TensorInfo,
  signature: string,
): number {
  const index = findTensor(tensors, names, key, info);
  if (index < 0) {
    throw new UnexportableLayerError(
      `signature ${signature}: ${side} ${key} (${info.name}) is not an ${side} of the model (${names.join(", ")})`,
    );
  }
  return index;
}

function findTensor(
  tensors: readonly SymbolicTensorLike[],
  names: readonly string[],
  key: string,
  info: TensorInfo,
): number {
  const byName = tensors.findIndex((t) => t.name === info.name || `${t.name}:0` === info.name);
  if (byName >= 0) return byName;
  const byLayer = names.indexOf(info.name.replace(/:\d+$/, ""));
  return byLayer >= 0 ? byLayer : names.indexOf(key);
}

function tensorInfo(ref: string, info: TensorInfo): TensorInfoProto {
  return {
    name: ref.includes(":") ? ref : `${ref}:0`,
    dtype: info.dtype,
    tensor_shape: info.tensor_shape.unknown_rank
      ? { unknown_rank: true }
      : { dim: info.tensor_shape.dim.map((d) => ({ size: d.size })) },
  };
}

function printedSignatures(metaGraph: MetaGraphDef): Record<string, SignatureDef> {
  const info = (_key: string, t: TensorInfoProto): TensorInfo => ({
    dtype: t.dtype as TensorInfo["dtype"],
    tensor_shape: t.tensor_shape?.unknown_rank
      ? { dim: [], unknown_rank: true }
      : {
          dim: (t.tensor_shape?.dim ?? []).map((d) => ({ size: String(d.size ?? 0), name: "" })),
          unknown_rank: false,
        },
    name: t.name ?? "",
  });
  return mapEntries(metaGraph.signature_def ?? {}, (_name, def) => ({
    inputs: mapEntries(def.inputs ?? {}, info),
    outputs: mapEntries(def.outputs ?? {}, info),
    method_name: def.method_name ?? "",
  }));
}

/** The same keys (own properties, whatever the name), each value mapped. */
function mapEntries<T, U>(
  record: Record<string, T>,
  f: (key: string, value: T) => U,
): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(k, v)]));
}
