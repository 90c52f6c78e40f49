import {
  badModel,
  CLASSIFY_METHOD,
  REGRESS_METHOD,
  tensorShape,
  type SignatureDef,
  type SignatureDefMap,
  type TensorInfo,
  type SignatureFile,
} from "@servable/protocol";
import {
  classLabelsOf,
  deriveOnnxSignatures,
  inputInfo,
  producerOf,
  servableOutputs,
  type GraphInterface,
  type UnzippedOutput,
} from "@servable/convert";

/**
 * A model's signatures bound to its graph: for each signature, which graph input each
 * input key feeds, which tensor each output key fetches, and how classify and regress
 * outputs are reshaped into TF Serving's (see classify-outputs.ts).
 */
export type OutputRole = "tensor" | "classes" | "scores" | "regress";

export interface OutputBinding {
  /** The tensor the runtime fetches (a ZipMap output's probability matrix in its place). */
  readonly fetch: string;
  readonly role: OutputRole;
}

export interface SignatureBinding {
  readonly inputs: ReadonlyMap<string, string>;
  readonly outputs: ReadonlyMap<string, OutputBinding>;
  /** The labels of the scores' columns, when classes come as one label per example. */
  readonly classLabels: readonly string[] | undefined;
}

export interface BoundSignatures {
  /** As the metadata endpoint prints them: classify and regress outputs in TF Serving's dtypes. */
  readonly signatures: SignatureDefMap;
  readonly bindings: ReadonlyMap<string, SignatureBinding>;
  /** Labels of classify signatures that score classes without naming them. */
  readonly classLabels: Record<string, string[]>;
}

export function bindSignatures(
  file: SignatureFile | undefined,
  graph: GraphInterface,
  unzipped: readonly UnzippedOutput[],
): BoundSignatures {
  const signatures = file
    ? { signature_def: file.signature_def }
    : deriveOnnxSignatures(graph, unzipped);
  const inputs = new Map(graph.inputs.map((v) => [v.name, inputInfo(v)]));
  const outputs = new Map(servableOutputs(graph, unzipped));
  const bindings = new Map<string, SignatureBinding>();
  const classLabels: Record<string, string[]> = {};
  const normalized: SignatureDefMap = { signature_def: {} };
  for (const [name, def] of Object.entries(signatures.signature_def)) {
    const fail = (why: string): never => {
      throw badModel(`Signature ${name}: ${why}`);
    };
    checkInputs(def, inputs, fail);
    const labels = file?.class_labels?.[name] ?? labelsFromGraph(def, graph, unzipped);
    const binding = bindOutputs(def, outputs, unzipped, labels, fail);
    bindings.set(name, binding);
    normalized.signature_def[name] = normalize(def, binding, outputs);
    if (def.method_name === CLASSIFY_METHOD && !def.outputs.classes && labels) {
      classLabels[name] = [...labels];
    }
  }
  return { signatures: normalized, bindings, classLabels };
}

function checkInputs(
  def: SignatureDef,
  inputs: ReadonlyMap<string, TensorInfo>,
  fail: (why: string) => never,
): void {
  const fed = new Set<string>();
  for (const [key, info] of Object.entries(def.inputs)) {
    const model = inputs.get(info.name);
    if (!model) {
      fail(
        `input ${key} names '${info.name}', which is not an input of the model (it has ${[...inputs.keys()].join(", ")})`,
      );
    }
    if (model.dtype !== info.dtype) {
      fail(`input ${key} is ${info.dtype} but the model's input '${info.name}' is ${model.dtype}`);
    }
    fed.add(info.name);
  }
  const unfed = [...inputs.keys()].filter((n) => !fed.has(n));
  if (unfed.length > 0) fail(`the model's inputs ${unfed.join(", ")} are not fed by any input key`);
}

function bindOutputs(
  def: SignatureDef,
  outputs: ReadonlyMap<string, TensorInfo>,
  unzipped: readonly UnzippedOutput[],
  labels: readonly string[] | undefined,
  fail: (why: string) => never,
): SignatureBinding {
  const bound = new Map<string, OutputBinding>();
  for (const [key, info] of Object.entries(def.outputs)) {
    const model = outputs.get(info.name);
    if (!model) {
      fail(
        `output ${key} names '${info.name}', which is not an output of the model (it has ${[...outputs.keys()].join(", ")})`,
      );
    }
    const role = roleOf(def.method_name, key);
    if (role === "tensor" && model.dtype !== info.dtype) {
      fail(
        `output ${key} is ${info.dtype} but the model's output '${info.name}' is ${model.dtype}`,
      );
    }
    const fetch = unzipped.find((u) => u.output === info.name)?.tensor ?? info.name;
    bound.set(key, { fetch, role });
  }
  const classes = def.outputs.classes && outputs.get(def.outputs.classes.name);
  const perExample = classes !== undefined && dimsOf(classes)?.length === 1;
  if (def.method_name === CLASSIFY_METHOD && perExample && def.outputs.scores && !labels) {
    fail(
      "classes holds one label per example and scores one column per class; name the classes in class_labels",
    );
  }
  return { inputs: inputMap(def), outputs: bound, classLabels: labels };
}

function inputMap(def: SignatureDef): Map<string, string> {
  return new Map(Object.entries(def.inputs).map(([key, info]) => [key, info.name]));
}

function roleOf(method: string, key: string): OutputRole {
  if (method === CLASSIFY_METHOD && (key === "classes" || key === "scores")) return key;
  if (method === REGRESS_METHOD && key === "outputs") return "regress";
  return "tensor";
}

/** The class labels the model itself declares for a classify signature's outputs. */
function labelsFromGraph(
  def: SignatureDef,
  graph: GraphInterface,
  unzipped: readonly UnzippedOutput[],
): readonly string[] | undefined {
  if (def.method_name !== CLASSIFY_METHOD) return undefined;
  for (const info of [def.outputs.scores, def.outputs.classes]) {
    if (!info) continue;
    const zip = unzipped.find((u) => u.output === info.name);
    if (zip) return zip.labels;
    const node = producerOf(graph, info.name);
    const labels = node && classLabelsOf(node);
    if (labels) return labels;
  }
  return undefined;
}

/** The signature as served: classes DT_STRING and scores, regress outputs DT_FLOAT. */
function normalize(
  def: SignatureDef,
  binding: SignatureBinding,
  outputs: ReadonlyMap<string, TensorInfo>,
): SignatureDef {
  const scores = def.outputs.scores && outputs.get(def.outputs.scores.name);
  const numClasses = binding.classLabels?.length ?? (scores && dimsOf(scores)?.[1]) ?? -1;
  const served: Record<string, TensorInfo> = {};
  for (const [key, info] of Object.entries(def.outputs)) {
    const role = binding.outputs.get(key)!.role;
    if (role === "classes") {
      const model = outputs.get(info.name)!;
      const columns = dimsOf(model)?.length === 1 && !def.outputs.scores ? 1 : numClasses;
      served[key] = { ...info, dtype: "DT_STRING", tensor_shape: tensorShape([-1, columns]) };
    } else if (role === "scores") {
      served[key] = { ...info, dtype: "DT_FLOAT", tensor_shape: tensorShape([-1, numClasses]) };
    } else if (role === "regress") {
      served[key] = { ...info, dtype: "DT_FLOAT" };
    } else {
      served[key] = info;
    }
  }
  return { ...def, outputs: served };
}

function dimsOf(info: TensorInfo): number[] | undefined {
  if (info.tensor_shape.unknown_rank) return undefined;
  return info.tensor_shape.dim.map((d) => Number(d.size));
}
