import assert from "node:assert/strict";
import { test } from "node:test";
import { DATA_TYPES, ElementType } from "@servable/protocol";
import { dataTypeOfElement, elementOfDataType } from "./element-types";

test("every dtype Servable carries has one ONNX element type, and back", () => {
  for (const dtype of DATA_TYPES) {
    const element = elementOfDataType(dtype);
    assert.equal(typeof element, "number", dtype);
    assert.equal(dataTypeOfElement(element), dtype);
  }
  assert.equal(elementOfDataType("DT_HALF"), ElementType.FLOAT16);
  assert.equal(elementOfDataType("DT_FLOAT"), 1);
  assert.equal(elementOfDataType("DT_STRING"), 8);
});

test("element types Servable cannot carry have no dtype", () => {
  for (const element of [ElementType.UNDEFINED, ElementType.BFLOAT16, 14, 17, 23]) {
    assert.equal(dataTypeOfElement(element), undefined, String(element));
  }
});
