import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { jupyterMissing, type CellRun } from "../notebook/execute-notebook";
import {
  executeNotebookAgainstServer,
  type ServedNotebookResult,
} from "../notebook/notebook-against-server";
import { ROOT } from "../support";

/**
 * examples/bring-your-model.ipynb, cell by cell in a real tslab kernel against a real
 * server: an ONNX file and an XGBoost JSON model deployed from cells and called.
 */
const missing = jupyterMissing();
const EXAMPLES = join(ROOT, "examples");
let result: ServedNotebookResult | undefined;

before(async () => {
  if (missing) return;
  result = await executeNotebookAgainstServer(join(EXAMPLES, "bring-your-model.ipynb"), {
    files: [join(EXAMPLES, "churn-xgboost.json"), join(EXAMPLES, "churn-xgboost.expected.json")],
  });
});

after(() => result?.cleanup());

const cellWith = (text: string): CellRun => result!.cellWith(text);

test("every cell runs without an error", { skip: missing }, () => {
  assert.deepEqual(result!.failedCells(), []);
});

test(
  "the ONNX file deploys and its derived signature shows the free dimensions",
  { skip: missing },
  () => {
    const [card] = cellWith('deploy(directionModel, { name: "text_direction" })').html;
    assert.match(card ?? "", /Deployed text_direction, version 1/);
    assert.match(card ?? "", /AVAILABLE/);
    const signature = cellWith('showSignature("text_direction")').stdout;
    assert.match(signature, /x: DT_FLOAT \[-1, 3, -1, -1\]/);
    assert.match(signature, /softmax_0\.tmp_0: DT_FLOAT \[-1, 2\]/);
    const answers = cellWith('predict("text_direction"').stdout;
    const probabilities = [...answers.matchAll(/p\(0°\) = ([\d.]+), p\(180°\) = ([\d.]+)/g)];
    assert.equal(probabilities.length, 2);
    for (const [, up, down] of probabilities) {
      assert.ok(
        Math.abs(Number(up) + Number(down) - 1) < 1e-3,
        "a softmax over the two directions",
      );
    }
    // The synthetic line reads as upright, and as upside down once turned.
    assert.ok(Number(probabilities[0]![1]) > 0.5, answers);
    assert.ok(Number(probabilities[1]![2]) > 0.5, answers);
  },
);

test("the XGBoost model answers as XGBoost does, and classifies", { skip: missing }, () => {
  const [card] = cellWith('deploy("churn-xgboost.json"').html;
  assert.match(card ?? "", /Deployed churn, version 1/);
  const compared = /largest difference from XGBoost's predictions: (\S+)/.exec(
    cellWith("largest difference").stdout,
  );
  assert.ok(compared, "the comparison cell prints its largest difference");
  assert.ok(Number(compared[1]) < 1e-5, `difference ${compared[1]}`);
  const [table] = cellWith('classify("churn"').html;
  assert.match(table ?? "", /0/);
  assert.match(table ?? "", /1/);
});
