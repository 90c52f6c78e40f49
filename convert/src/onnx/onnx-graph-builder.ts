import {
  ElementType,
  type Attribute,
  type NodeProto,
  type OnnxTensorProto,
} from "@servable/protocol";
import { node } from "./onnx-builder";

/**
 * An ONNX graph under construction: nodes in the order they are added (a converter
 * adds a node only after the nodes that make its inputs, so the list is topologically
 * sorted as ONNX requires) and initializers, each value given a fresh name.
 */
export class OnnxGraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: OnnxTensorProto[] = [];
  readonly #used = new Set<string>();

  /** A name no value of this graph has yet, from `base`. */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, "_") || "v";
    let name = clean;
    for (let i = 1; this.#used.has(name); i++) name = `${clean}_${i}`;
    this.#used.add(name);
    return name;
  }

  /** Reserves a name chosen by the caller (a graph input's or output's). */
  reserve(name: string): string {
    this.#used.add(name);
    return name;
  }

  /** Adds one node with one output, named from `base`; returns the output's name. */
  add(
    opType: string,
    inputs: readonly string[],
    base: string,
    attributes: Record<string, Attribute> = {},
  ): string {
    return this.addNamed(opType, inputs, this.fresh(base), attributes);
  }

  /** Adds a node whose output has a name chosen by the caller. */
  addNamed(
    opType: string,
    inputs: readonly string[],
    output: string,
    attributes: Record<string, Attribute> = {},
  ): string {
    this.nodes.push(node(opType, inputs, [output], attributes));
    return output;
  }

  /** A float32 initializer, its values stored as raw little-endian bytes. */
  floats(base: string, dims: readonly number[], values: ArrayLike<number>): string {
    const name = this.fresh(base);
    const data = Float32Array.from(values as ArrayLike<number>);
    this.initializers.push({
      name,
      dataType: ElementType.FLOAT,
      dims: [...dims],
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** A float32 scalar initializer. */
  scalar(base: string, value: number): string {
    return this.floats(base, [], [value]);
  }

  /** An int64 initializer (shapes, axes). */
  int64s(base: string, values: readonly number[]): string {
    const name = this.fresh(base);
    this.initializers.push({
      name,
      dataType: ElementType.INT64,
      dims: [values.length],
      int64Data: [...values],
    });
    return name;
  }
}
