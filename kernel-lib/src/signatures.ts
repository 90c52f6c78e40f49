import {
  type SignatureFile,
  validateSignatureFile,
  type DataType,
  CLASSIFY_METHOD,
  PREDICT_METHOD,
  REGRESS_METHOD,
  tensorInfo,
  type SignatureDef,
  type TensorInfo,
} from "@servable/protocol";
import {
  modelInputs,
  modelOutputs,
  type Model,
  type ModelTensor,
  type TensorDescription,
} from "./model";

/**
 * Signatures for a TF.js model, in the JSON shape TF Serving's metadata endpoint prints:
 * logical input and output keys mapped to the model's tensors, with dtypes and shapes.
 *
 *     const sigs = {
 *       serving_default: signatures.predict(model),
 *       classify: signatures.classify(model, { classes: ["setosa", "versicolor", "virginica"] }),
 *     };
 *     await deploy(model, { name: "iris", signatures: sigs });
 *
 * A tensor is named by its key (layer name), its tensor name, or the tensor itself
 * (`model.outputs[0]`).
 */
export type TensorRef = string | TensorDescription;

/** One signature: its SignatureDef, and the class labels of a classify signature. */
export interface SignatureSpec {
  readonly def: SignatureDef;
  readonly classLabels?: readonly string[];
}

/** Signatures by name (built here), or a whole signature file as the server reads it. */
export type Signatures = Readonly<Record<string, SignatureSpec>> | SignatureFile;

export interface PredictSignatureOptions {
  /** Input key -> tensor (default: every input, keyed by layer name). */
  readonly inputs?: Readonly<Record<string, TensorRef>>;
  /** Output key -> tensor (default: every output, keyed by layer name). */
  readonly outputs?: Readonly<Record<string, TensorRef>>;
}

export interface ClassifySignatureOptions {
  /** The class labels, in the order of the scores' last dimension. */
  readonly classes: readonly string[];
  /** Feature name -> input tensor (default: every input, keyed by layer name). */
  readonly inputs?: Readonly<Record<string, TensorRef>>;
  /** The tensor of class scores (default: the model's only output). */
  readonly scores?: TensorRef;
}

export interface RegressSignatureOptions {
  /** Feature name -> input tensor (default: every input, keyed by layer name). */
  readonly inputs?: Readonly<Record<string, TensorRef>>;
  /** The tensor of one value per example (default: the model's only output). */
  readonly output?: TensorRef;
}

function predict(model: Model, options: PredictSignatureOptions = {}): SignatureSpec {
  return {
    def: {
      inputs: infos(model, "input", options.inputs),
      outputs: infos(model, "output", options.outputs),
      method_name: PREDICT_METHOD,
    },
  };
}

function classify(model: Model, options: ClassifySignatureOptions): SignatureSpec {
  const classes = options.classes;
  if (
    !Array.isArray(classes) ||
    classes.length === 0 ||
    !classes.every((c) => typeof c === "string")
  ) {
    throw new Error("signatures.classify needs {classes: [...]}, the class labels in score order");
  }
  const scores = onlyOutput(model, options.scores, "scores");
  const width = scores.tensor_shape.unknown_rank ? undefined : scores.tensor_shape.dim.at(-1)?.size;
  if (width !== undefined && Number(width) > 0 && Number(width) !== classes.length) {
    throw new Error(
      `signatures.classify: ${classes.length} classes given, but ${scores.name} scores ${width}`,
    );
  }
  return {
    def: {
      inputs: infos(model, "input", options.inputs),
      outputs: { scores },
      method_name: CLASSIFY_METHOD,
    },
    classLabels: [...classes],
  };
}

function regress(model: Model, options: RegressSignatureOptions = {}): SignatureSpec {
  return {
    def: {
      inputs: infos(model, "input", options.inputs),
      outputs: { outputs: onlyOutput(model, options.output, "output") },
      method_name: REGRESS_METHOD,
    },
  };
}

/** Builders of predict, classify and regress signatures. */
export const signatures = { predict, classify, regress } as const;

/** The signature file (`signatures.json`) for a set of signatures, checked as the server checks it. */
export function signatureFile(given: Signatures): SignatureFile {
  if (isSignatureFile(given)) return validateSignatureFile(structuredClone(given));
  const file: SignatureFile = { signature_def: {} };
  for (const [name, spec] of Object.entries(given)) {
    if (!spec || typeof spec !== "object" || !("def" in spec)) {
      throw new Error(
        `Signature ${name} is not a signature: build it with signatures.predict/classify/regress`,
      );
    }
    file.signature_def[name] = spec.def;
    if (spec.classLabels) (file.class_labels ??= {})[name] = [...spec.classLabels];
  }
  if (Object.keys(file.signature_def).length === 0) throw new Error("No signatures given");
  return validateSignatureFile(file);
}

function isSignatureFile(value: Signatures): value is SignatureFile {
  return typeof (value as SignatureFile).signature_def === "object";
}

function infos(
  model: Model,
  side: "input" | "output",
  chosen: Readonly<Record<string, TensorRef>> | undefined,
): Record<string, TensorInfo> {
  const tensors = side === "input" ? modelInputs(model) : modelOutputs(model);
  const entries: [string, ModelTensor][] = chosen
    ? Object.entries(chosen).map(([key, ref]) => [key, resolve(tensors, ref, side)])
    : tensors.map((t) => [t.key, t]);
  return Object.fromEntries(entries.map(([key, t]) => [key, toTensorInfo(t)]));
}

function onlyOutput(model: Model, ref: TensorRef | undefined, what: string): TensorInfo {
  const outputs = modelOutputs(model);
  if (ref !== undefined) return toTensorInfo(resolve(outputs, ref, "output"));
  if (outputs.length !== 1) {
    throw new Error(
      `The model has ${outputs.length} outputs: say which one is the ${what} (${outputs.map((o) => o.key).join(", ")})`,
    );
  }
  return toTensorInfo(outputs[0]!);
}

function resolve(tensors: readonly ModelTensor[], ref: TensorRef, side: string): ModelTensor {
  const name = typeof ref === "string" ? ref : ref.name;
  const found = tensors.find((t) => t.key === name || t.name === name || t.tensorName === name);
  if (!found) {
    throw new Error(
      `${name} is not an ${side} of the model; its ${side}s are ${tensors.map((t) => `${t.key} (${t.name})`).join(", ")}`,
    );
  }
  return found;
}

function toTensorInfo(tensor: ModelTensor): TensorInfo {
  return tensorInfo(
    tensor.name,
    dataType(tensor.dtype),
    tensor.shape?.map((d) => (d === null || d < 0 ? -1 : d)),
  );
}

const DATA_TYPES: Record<string, DataType> = {
  float32: "DT_FLOAT",
  int32: "DT_INT32",
  bool: "DT_BOOL",
  string: "DT_STRING",
};

function dataType(dtype: string): DataType {
  const found = DATA_TYPES[dtype];
  if (!found) throw new Error(`TF Serving has no dtype for a ${dtype} tensor`);
  return found;
}
