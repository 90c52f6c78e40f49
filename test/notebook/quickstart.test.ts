import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../support";
import { jupyterMissing, type CellRun } from "./execute-notebook";
import { executeNotebookAgainstServer, type ServedNotebookResult } from "./notebook-against-server";

/**
 * examples/quickstart.ipynb, run cell by cell in a real tslab kernel on Debian's Jupyter
 * server, against a real servable-server: the cells' outputs say what a user would see.
 * No token is given to the kernel: it finds the server's generated token in the runtime
 * folder they share, as on a user's machine.
 */
const missing = jupyterMissing();
let result: ServedNotebookResult | undefined;

before(async () => {
  if (missing) return;
  result = await executeNotebookAgainstServer(join(ROOT, "examples", "quickstart.ipynb"), {
    onCell: (cell) =>
      process.stdout.write(`# cell ${cell.index}: ${cell.status} in ${cell.ms} ms\n`),
  });
});

after(() => result?.cleanup());

const cellWith = (text: string): CellRun => result!.cellWith(text);

test("every cell of the quickstart runs without an error", { skip: missing }, () => {
  assert.deepEqual(result!.failedCells(), []);
  assert.ok(result!.cells.length >= 10);
});

test("the model learns the synthetic flowers", { skip: missing }, () => {
  const match = /training accuracy: ([\d.]+)/.exec(
    cellWith("model.fit(xs, ys, { epochs: 30").stdout,
  );
  assert.ok(match, "the training cell prints its accuracy");
  assert.ok(Number(match[1]) >= 0.8, `accuracy ${match[1]}`);
});

test("exportModel writes a version folder into the workspace", { skip: missing }, async () => {
  const out = cellWith("exportModel(").stdout;
  assert.match(out, /version 1: group1-shard1of1\.bin, model\.json, signatures\.json/);
  assert.deepEqual((await readdir(join(result!.workspace, "models", "iris", "1"))).sort(), [
    "group1-shard1of1.bin",
    "model.json",
    "signatures.json",
  ]);
});

test("deploy shows a card with the AVAILABLE version and a curl line", { skip: missing }, () => {
  const [card] = cellWith('label: "stable" })').html;
  assert.ok(card, "the deploy cell displays HTML");
  assert.match(card, /Deployed iris, version 1/);
  assert.match(card, /AVAILABLE/);
  assert.match(card, new RegExp(`${result!.server.url}/v1/models/iris/versions/1:predict`));
  assert.match(card, /curl -d &#39;\{&quot;instances&quot;:\[\[0\.0,0\.0,0\.0,0\.0\]\]\}&#39;/);
});

test("the server's predictions equal model.predict to 1e-5", { skip: missing }, () => {
  const first = /largest difference between the server and model.predict: (\S+)/.exec(
    cellWith('predict("iris", samples, { version: first.version })').stdout,
  );
  assert.ok(first);
  assert.ok(Number(first[1]) <= 1e-5, `difference ${first[1]}`);
  const moved = /stable now serves version 2; largest difference from model.predict: (\S+)/.exec(
    cellWith('setLabel("iris", "stable"').stdout,
  );
  assert.ok(moved, "after the label moves, stable serves the second version");
  assert.ok(Number(moved[1]) <= 1e-5, `difference ${moved[1]}`);
});

test("predict and classify show tables; classify names the species", { skip: missing }, () => {
  assert.match(cellWith('predict("iris", samples, { version').html.join(""), /<table/);
  const classify = cellWith('await classify("iris"');
  assert.match(classify.html.join(""), /<table/);
  const [classified, labelled] = classify.stdout.trim().split("\n");
  assert.match(
    classified!,
    /classified as: (setosa|versicolor|virginica)(, (setosa|versicolor|virginica)){4}$/,
  );
  // Five flowers of a well-trained model: at most one wrong.
  const a = classified!.split(": ")[1]!.split(", ");
  const b = labelled!.split(": ")[1]!.trim().split(", ");
  assert.ok(a.filter((s, i) => s === b[i]).length >= 4, `${a} vs ${b}`);
});

test("stable keeps the first version until the label moves", { skip: missing }, () => {
  const out = cellWith('label: "canary" })').html.join("");
  assert.match(out, /Deployed iris, version 2/);
  const compare = /stable \(version 1\) and canary \(version 2\) differ by up to (\S+)/.exec(
    cellWith('label: "stable", display: false').stdout,
  );
  assert.ok(compare, "both labels answer");
  assert.ok(Number(compare[1]) > 1e-4, "the two versions are different models");
});

test("models() shows both versions, the labels on the second", { skip: missing }, () => {
  const table = cellWith("await models()").html.join("");
  assert.match(
    table,
    /<td[^>]*>iris<\/td><td[^>]*>2<\/td><td[^>]*><span[^>]*>AVAILABLE<\/span><\/td><td[^>]*>canary, stable<\/td>/,
  );
  // Unlabelled now, the first version is on its way out (or gone by the next poll).
  assert.match(
    table,
    /<td[^>]*>iris<\/td><td[^>]*>1<\/td><td[^>]*><span[^>]*>[A-Z]+<\/span><\/td><td[^>]*><\/td>/,
  );
});
