import { invalidArgument, type HostTensor, type TensorMap } from "@servable/protocol";
import { formatFloat32, formatFloat64 } from "../json/float-format";
import { PrettyWriter, quote } from "../json/pretty-writer";
import type { RequestFormat } from "./predict-request";

/**
 * Output tensors to the body of a predict response, laid out byte for byte as TF
 * Serving writes it (`MakeJsonFromTensors`): the row format answers "predictions" (one
 * entry per batch element; objects keyed by output when there are several), the
 * columnar format answers "outputs".
 */
export function writePredictResponse(outputs: TensorMap, format: RequestFormat): string {
  const names = Object.keys(outputs).sort();
  if (names.length === 0) throw invalidArgument("Cannot convert empty tensor map to JSON");
  return format === "row" ? writeRows(outputs, names) : writeColumns(outputs, names);
}

function writeRows(outputs: TensorMap, names: readonly string[]): string {
  let batchSize = -1;
  for (const name of names) {
    const shape = outputs[name]!.shape;
    if (shape.length === 0) throw invalidArgument(`Tensor name: ${name} has no shape information `);
    if (batchSize >= 0 && batchSize !== shape[0]) {
      throw invalidArgument(
        `Tensor name: ${name} has inconsistent batch size: ${shape[0]} expecting: ${batchSize}`,
      );
    }
    batchSize = shape[0]!;
  }
  const writers = names.map((name) => new TensorValueWriter(name, outputs[name]!));
  const w = new PrettyWriter();
  w.startObject().key("predictions").startArray();
  const asObjects = names.length > 1;
  for (let item = 0; item < batchSize; item++) {
    if (asObjects) w.startObject();
    w.singleLineArrays = true;
    for (const writer of writers) {
      if (asObjects) w.key(writer.name);
      writer.write(w, 1);
    }
    w.singleLineArrays = false;
    if (asObjects) w.endObject();
  }
  return w.endArray().endObject().toString();
}

function writeColumns(outputs: TensorMap, names: readonly string[]): string {
  const w = new PrettyWriter();
  w.startObject().key("outputs");
  const asObject = names.length > 1;
  if (asObject) w.startObject();
  for (const name of names) {
    if (asObject) w.key(name);
    new TensorValueWriter(name, outputs[name]!).write(w, 0);
  }
  if (asObject) w.endObject();
  return w.endObject().toString();
}

const utf8 = new TextDecoder();

/** Writes a tensor's values from dimension `dim` on, advancing through its elements. */
class TensorValueWriter {
  #offset = 0;
  readonly #format: (i: number) => string;

  constructor(
    readonly name: string,
    private readonly tensor: HostTensor,
  ) {
    this.#format = valueFormatter(tensor, name.endsWith("_bytes"));
  }

  write(w: PrettyWriter, dim: number): void {
    const shape = this.tensor.shape;
    if (dim > shape.length - 1) {
      w.raw(this.#format(this.#offset++));
      return;
    }
    w.startArray();
    for (let i = 0; i < shape[dim]!; i++) {
      if (dim === shape.length - 1) w.raw(this.#format(this.#offset++));
      else this.write(w, dim + 1);
    }
    w.endArray();
  }
}

/** How one element of a tensor prints, by dtype. */
export function valueFormatter(tensor: HostTensor, stringsAsBytes: boolean): (i: number) => string {
  const data = tensor.data;
  switch (tensor.dtype) {
    case "DT_FLOAT":
    case "DT_HALF":
      return (i) => formatFloat32((data as Float32Array)[i]!);
    case "DT_DOUBLE":
      return (i) => formatFloat64((data as Float64Array)[i]!);
    case "DT_BOOL":
      return (i) => ((data as Uint8Array)[i] ? "true" : "false");
    case "DT_STRING": {
      const strings = data as Uint8Array[];
      return stringsAsBytes
        ? (i) => `{"b64": ${quote(Buffer.from(strings[i]!).toString("base64"))}}`
        : (i) => quote(utf8.decode(strings[i]!));
    }
    default:
      return (i) => String((data as Int32Array | BigInt64Array)[i]);
  }
}
