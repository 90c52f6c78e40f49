import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  executeNotebook,
  jupyterMissing,
  type CellRun,
  type NotebookResult,
} from "../notebook/execute-notebook";
import { ROOT, startServer, type ServerProcess } from "../support";

/**
 * examples/bring-your-model.ipynb, cell by cell in a real tslab kernel against a real
 * server: an ONNX file and an XGBoost JSON model deployed from cells and called.
 */
const missing = jupyterMissing();
const EXAMPLES = join(ROOT, "examples");
let server: ServerProcess;
let work: string;
let result: NotebookResult | undefined;

before(async () => {
  if (missing) return;
  work = await mkdtemp(join(tmpdir(), "servable-bring-your-model-"));
  const env = { SERVABLE_RUNTIME_DIR: join(work, "runtime"), SERVABLE_TOKEN: "" };
  await mkdir(join(work, "repository"));
  server = await startServer([`--model_repository=${join(work, "repository")}`], { env });
  result = await executeNotebook(join(EXAMPLES, "bring-your-model.ipynb"), {
    env: { ...env, SERVABLE_URL: server.url },
    files: [join(EXAMPLES, "churn-xgboost.json"), join(EXAMPLES, "churn-xgboost.expected.json")],
  });
});

after(async () => {
  await server?.stop();
  await result?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

const cellWith = (text: string): CellRun => result!.cellWith(text);

test("every cell runs without an error", { skip: missing }, () => {
  const failed = result!.cells.filter((c) => c.status !== "ok");
  assert.deepEqual(
    failed.map((c) => ({ index: c.index, error: c.error, stderr: c.stderr })),
    [],
  );
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
