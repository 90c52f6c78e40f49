import {
  EXAMPLES_INPUT,
  takesSerializedExamples,
  invalidArgument,
  allocate,
  shortTypeName,
  type DataType,
  dims,
  type SignatureDef,
  type TensorInfo,
  type HostTensor,
  type TensorMap,
  serializeExample,
  withContext,
  type Example,
  type ExampleList,
  type Feature,
  own,
} from "@servable/protocol";
import type { ModelView } from "./inference-lifecycle";
import { signatureDebugString } from "./signature-debug-string";
import { newTensorMap } from "./tensor-map";

/**
 * Classify and regress (TF Serving's classifier.cc and regressor.cc) on tf.Examples,
 * whichever API they came from (REST JSON or gRPC protos).
 *
 * A signature in TF Serving's own form has one DT_STRING input, "inputs": it gets the
 * examples serialized as tf.Example protos (a SavedModel parses them in its graph). Any
 * other signature (a TF.js or ONNX model has no tf.Example parser) gets one tensor per
 * input key, built from the feature of that name in every example, shaped
 * [examples, ...the input's dimensions after the first].
 */
export type ExampleMethod = "classify" | "regress";

export interface ExampleRequest {
  signatureName: string;
  signature: SignatureDef;
  numExamples: number;
  inputs: TensorMap;
}

/**
 * The request for a list of examples (with their context) against one signature.
 * @throws ServingError INVALID_ARGUMENT with TF Serving's texts.
 */
export function exampleRequest(
  list: ExampleList,
  signatureName: string,
  servable: ModelView,
  method: ExampleMethod,
): ExampleRequest {
  const signature = own(servable.signatures.signature_def, signatureName);
  if (!signature) throw invalidArgument(`No signature was found with the name: ${signatureName}`);
  checkSignature(signature, servable, method);
  const examples = withContext(list);
  let inputs: TensorMap;
  if (feedsSerializedExamples(signature, servable)) {
    inputs = newTensorMap();
    inputs[EXAMPLES_INPUT] = serializedExamples(examples);
  } else {
    inputs = featureTensors(examples, signature.inputs);
  }
  return { signatureName, signature, numExamples: examples.length, inputs };
}

function feedsSerializedExamples(signature: SignatureDef, servable: ModelView): boolean {
  // A model that parses tf.Examples in its graph takes them serialized on its one input.
  return servable.parsesExamples || takesSerializedExamples(signature);
}

/**
 * TF Serving's PreProcessClassification / PreProcessRegression checks. A model that parses
 * tf.Examples itself needs TF Serving's form (one input, "inputs"); any other may feed
 * features by name to several inputs, so long as its outputs are a classification's or a
 * regression's. A signature that fits neither fails with the first of TF Serving's checks
 * it fails, in TF Serving's order, quoting it as TF Serving does.
 */
export function checkSignature(
  signature: SignatureDef,
  servable: ModelView,
  method: ExampleMethod,
): void {
  const inputs = Object.keys(signature.inputs).length;
  const outputs = Object.keys(signature.outputs).length;
  const hasOutput = (key: string) => own(signature.outputs, key) !== undefined;
  const takesExamples = inputs === 1 && own(signature.inputs, EXAMPLES_INPUT) !== undefined;
  const outputsFit =
    method === "classify"
      ? (outputs === 1 || outputs === 2) && (hasOutput("classes") || hasOutput("scores"))
      : outputs === 1 && hasOutput("outputs");
  if (outputsFit && (takesExamples || !servable.parsesExamples)) return;

  if (inputs !== 1) throw invalidArgument("Expected one input Tensor.");
  if (method === "classify" && outputs !== 1 && outputs !== 2) {
    throw invalidArgument(`Expected one or two output Tensors, found ${outputs}`);
  }
  if (method === "regress" && outputs !== 1) throw invalidArgument("Expected one output Tensor.");
  const kind = method === "classify" ? "classification" : "regression";
  if (!takesExamples) {
    throw invalidArgument(
      `No ${kind} inputs found in SignatureDef: ${signatureDebugString(signature)}`,
    );
  }
  if (method === "classify") {
    throw invalidArgument(
      `Expected classification signature outputs to contain at least one of "classes" or "scores". Signature was: ${signatureDebugString(signature)}`,
    );
  }
  throw invalidArgument(
    `No regression outputs found in SignatureDef: ${signatureDebugString(signature)}`,
  );
}

function serializedExamples(examples: readonly Example[]): HostTensor {
  return { dtype: "DT_STRING", shape: [examples.length], data: examples.map(serializeExample) };
}

/** One tensor per signature input from the same-named feature of every example. */
function featureTensors(
  examples: readonly Example[],
  infos: Record<string, TensorInfo>,
): TensorMap {
  const tensors = newTensorMap();
  for (const [key, info] of Object.entries(infos)) {
    tensors[key] = featureTensor(examples, key, info);
  }
  return tensors;
}

function featureTensor(examples: readonly Example[], key: string, info: TensorInfo): HostTensor {
  const features = examples.map((example, index) => {
    const feature = example.get(key);
    if (!feature) {
      throw invalidArgument(
        `Name: <unknown>, Key: ${key}, Index: ${index}.  Feature: ${key} (data type: ${shortTypeName(info.dtype)}) is required but could not be found.`,
      );
    }
    return feature;
  });
  const elementShape = exampleShape(info, features[0]!.values.length);
  const perExample = elementShape.reduce((a, b) => a * b, 1);
  const data = allocate(info.dtype, perExample * examples.length);
  features.forEach((feature, index) => {
    const where = `Name: <unknown>, Key: ${key}, Index: ${index}.`;
    if (feature.kind !== featureKindFor(info.dtype)) {
      throw invalidArgument(
        `${where}  Data types don't match. Data type: ${feature.kind} but expected type: ${shortTypeName(info.dtype)}`,
      );
    }
    if (feature.values.length !== perExample) {
      throw invalidArgument(
        `${where}  Number of ${feature.kind} values != expected.  Values size: ${feature.values.length} but output shape: [${elementShape.join(",")}]`,
      );
    }
    copyFeature(feature, data, index * perExample);
  });
  return { dtype: info.dtype, shape: [examples.length, ...elementShape], data };
}

/** The shape of one example's values for an input: its dimensions after the batch one. */
function exampleShape(info: TensorInfo, firstCount: number): number[] {
  const d = dims(info);
  if (d === undefined || d.length === 0) return [firstCount];
  const rest = d.slice(1);
  const unknown = rest.filter((x) => x < 0).length;
  if (unknown === 0) return rest;
  const known = rest.filter((x) => x >= 0).reduce((a, b) => a * b, 1);
  return rest.map((x) =>
    x < 0 ? (unknown === 1 && known > 0 ? firstCount / known : firstCount) : x,
  );
}

function featureKindFor(dtype: DataType): Feature["kind"] {
  if (dtype === "DT_STRING") return "bytes";
  if (dtype === "DT_FLOAT" || dtype === "DT_DOUBLE" || dtype === "DT_HALF") return "float";
  return "int64";
}

function copyFeature(feature: Feature, data: HostTensor["data"], offset: number): void {
  const values = feature.values;
  if (Array.isArray(data)) {
    for (let i = 0; i < values.length; i++) data[offset + i] = values[i] as Uint8Array;
  } else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) data[offset + i] = values[i] as bigint;
  } else {
    for (let i = 0; i < values.length; i++) data[offset + i] = Number(values[i]);
  }
}

export interface ClassResult {
  label: string;
  score: number;
}

/** Each example's classes with scores (TF Serving's ClassificationResult), checked as TF Serving checks. */
export function classificationResults(
  outputs: TensorMap,
  request: ExampleRequest,
  classLabels: readonly string[] | undefined,
): ClassResult[][] {
  const n = request.numExamples;
  const classes = own(outputs, "classes");
  const scores = own(outputs, "scores");
  if (classes) checkMatrix(classes, "classes", "DT_STRING", n);
  if (scores) checkMatrix(scores, "scores", "DT_FLOAT", n);
  if (classes && scores && classes.shape[1] !== scores.shape[1]) {
    throw invalidArgument(
      `Tensors class and score should match in dim_size(1). Got ${classes.shape[1]} vs. ${scores.shape[1]}`,
    );
  }
  const numClasses = (classes ?? scores)?.shape[1] ?? 0;
  if (!classes && classLabels && classLabels.length !== numClasses) {
    throw invalidArgument(
      `Signature ${request.signatureName} names ${classLabels.length} class labels but the model scores ${numClasses} classes`,
    );
  }
  const decoder = new TextDecoder();
  const results: ClassResult[][] = [];
  for (let i = 0; i < n; i++) {
    const row: ClassResult[] = [];
    for (let c = 0; c < numClasses; c++) {
      const at = i * numClasses + c;
      row.push({
        label: classes
          ? decoder.decode((classes.data as Uint8Array[])[at])
          : (classLabels?.[c] ?? ""),
        score: scores ? (scores.data as Float32Array)[at]! : 0,
      });
    }
    results.push(row);
  }
  return results;
}

function checkMatrix(tensor: HostTensor, name: string, dtype: DataType, n: number): void {
  if (tensor.shape.length !== 2) {
    throw invalidArgument(
      `Expected Tensor shape: [batch_size num_classes] but got [${tensor.shape.join(",")}]`,
    );
  }
  if (tensor.dtype !== dtype) {
    throw invalidArgument(`Expected ${name} Tensor of ${dtype}. Got: ${tensor.dtype}`);
  }
  if (tensor.shape[0] !== n) {
    throw invalidArgument(`Expected ${name} output batch size of ${n}. Got: ${tensor.shape[0]}`);
  }
}

/** Each example's regression value (TF Serving's RegressionResult), checked as TF Serving checks. */
export function regressionResults(outputs: TensorMap, request: ExampleRequest): Float32Array {
  const n = request.numExamples;
  const output = own(outputs, "outputs");
  if (!output) throw invalidArgument("Could not find output tensor 'outputs'");
  const shape = output.shape;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw invalidArgument(
      `Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got [${shape.join(",")}]`,
    );
  }
  if (shape[0] !== n) {
    throw invalidArgument(`Input batch size did not match output batch size: ${n} vs. ${shape[0]}`);
  }
  if (output.dtype !== "DT_FLOAT") {
    throw invalidArgument(`Expected output Tensor of DT_FLOAT.  Got: ${output.dtype}`);
  }
  return output.data as Float32Array;
}
