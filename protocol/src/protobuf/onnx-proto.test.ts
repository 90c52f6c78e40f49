import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import * as protobuf from "protobufjs";
import {
  AttributeType,
  decodeModel,
  ElementType,
  elementTypeName,
  encodeModel,
  int64ToNumber,
} from "./onnx-proto";
import { PROTO_DIR } from "./tensorflow-protos";

test("a model written with encodeModel reads back: graph, opsets, dimensions, attributes", () => {
  const bytes = encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "g",
      node: [
        {
          opType: "Softmax",
          input: ["x"],
          output: ["y"],
          attribute: [{ name: "axis", type: AttributeType.INT, i: -1 }],
        },
      ],
      input: [
        {
          name: "x",
          type: {
            tensorType: {
              elemType: ElementType.FLOAT,
              shape: { dim: [{ dimParam: "batch" }, { dimValue: 3 }] },
            },
          },
        },
      ],
      output: [{ name: "y", type: { tensorType: { elemType: ElementType.FLOAT } } }],
    },
  });
  const model = decodeModel(bytes);
  assert.equal(int64ToNumber(model.irVersion), 8);
  assert.equal(int64ToNumber(model.opsetImport![0]!.version), 17);
  const [batch, three] = model.graph!.input![0]!.type!.tensorType!.shape!.dim!;
  assert.equal(batch!.value, "dimParam");
  assert.equal(batch!.dimParam, "batch");
  assert.equal(three!.value, "dimValue");
  assert.equal(int64ToNumber(three!.dimValue), 3);
  const axis = model.graph!.node![0]!.attribute![0]!;
  assert.equal(axis.type, AttributeType.INT);
  assert.equal(int64ToNumber(axis.i), -1);
});

test("the whole of ONNX's schema is read: fields Servable does not type are kept", () => {
  // Model-local functions (ModelProto field 25) and graph value_info (GraphProto field 13).
  const modelType = new protobuf.Root()
    .loadSync(join(PROTO_DIR, "onnx.proto"))
    .lookupType("onnx.ModelProto");
  const bytes = modelType
    .encode(
      modelType.fromObject({
        irVersion: 10,
        graph: { valueInfo: [{ name: "hidden" }] },
        functions: [{ name: "gelu", domain: "custom", node: [{ opType: "Erf" }] }],
      }),
    )
    .finish();
  const model = decodeModel(bytes) as unknown as {
    functions: { name: string; node: { opType: string }[] }[];
    graph: { valueInfo: { name: string }[] };
  };
  assert.equal(model.functions[0]!.name, "gelu");
  assert.equal(model.functions[0]!.node[0]!.opType, "Erf");
  assert.equal(model.graph.valueInfo[0]!.name, "hidden");
  // Written back, nothing is lost.
  assert.deepEqual(encodeModel(decodeModel(bytes)), bytes);
});

test("element types by their onnx.proto names and numbers", () => {
  assert.equal(ElementType.FLOAT, 1);
  assert.equal(ElementType.INT64, 7);
  assert.equal(ElementType.FLOAT16, 10);
  assert.equal(elementTypeName(ElementType.BFLOAT16), "bfloat16");
  // A type only newer schemas have (ONNX 1.18+), named from the schema.
  assert.equal(elementTypeName(24), "float8e8m0");
  assert.equal(elementTypeName(999), "element type 999");
});

test("int64 fields read as numbers, Long or not", () => {
  assert.equal(int64ToNumber(undefined), 0);
  assert.equal(int64ToNumber(5), 5);
  assert.equal(int64ToNumber(new protobuf.util.Long(0, 256, false)), 2 ** 40);
});
