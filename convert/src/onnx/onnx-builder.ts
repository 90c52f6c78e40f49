import {
  AttributeType,
  ElementType,
  type Attribute,
  type NodeProto,
  type OnnxTensorProto,
  type ValueInfo,
} from "@servable/protocol";

/** Small constructors for the ONNX messages a converter writes (onnx.helper's, in TypeScript). */
export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Record<string, Attribute> = {},
  domain = "",
): NodeProto {
  return {
    opType,
    input: [...inputs],
    output: [...outputs],
    name: `${opType}_${outputs[0]}`,
    domain,
    attribute: Object.entries(attributes).map(([name, a]) => ({ ...a, name })),
  };
}

export const ints = (values: readonly number[]): Attribute => ({
  type: AttributeType.INTS,
  ints: [...values],
});
export const floats = (values: readonly number[]): Attribute => ({
  type: AttributeType.FLOATS,
  floats: [...values],
});
export const strings = (values: readonly string[]): Attribute => ({
  type: AttributeType.STRINGS,
  strings: values.map((s) => new TextEncoder().encode(s)),
});
export const int = (value: number): Attribute => ({ type: AttributeType.INT, i: value });
export const string = (value: string): Attribute => ({
  type: AttributeType.STRING,
  s: new TextEncoder().encode(value),
});

/** A tensor value; string dimensions are symbolic ("N"). */
export function tensorValue(
  name: string,
  elemType: number,
  dims: readonly (number | string)[],
): ValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

export function floatConstant(name: string, values: readonly number[]): OnnxTensorProto {
  return { name, dataType: ElementType.FLOAT, dims: [values.length], floatData: [...values] };
}

export function int64Constant(name: string, values: readonly number[]): OnnxTensorProto {
  return { name, dataType: ElementType.INT64, dims: [values.length], int64Data: [...values] };
}

export const float = (value: number): Attribute => ({ type: AttributeType.FLOAT, f: value });
