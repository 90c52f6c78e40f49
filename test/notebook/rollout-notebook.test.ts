import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { getJson, ROOT } from "../support";
import { jupyterMissing } from "./execute-notebook";
import { executeNotebookAgainstServer, type ServedNotebookResult } from "./notebook-against-server";
import type { DisplayMessage } from "./notebook-runner";

/**
 * examples/rollout.ipynb in a real tslab kernel on Debian's Jupyter server, against a real
 * server: a canary, shadow traffic, promote, and a rollback that deletes its candidate,
 * from notebook cells. Every display the kernel sends is recorded, whenever it comes: a
 * rollout card must go on being replaced in place (update_display_data, its display id)
 * after its cell has finished, with fresh numbers, until a newer card, a promote or a
 * rollback ends it.
 */
const missing = jupyterMissing();
let result: ServedNotebookResult | undefined;
const displays: DisplayMessage[] = [];
const finished = new Map<number, number>();
let liveWait = "";

/** Card display ids in the order the cards first appeared. */
const cards = () => [
  ...new Set(
    displays
      .filter((d) => d.type === "display_data" && d.html.includes("servable-rollout-card"))
      .map((d) => d.displayId!),
  ),
];
const shownAs = (id: string) => displays.filter((d) => d.displayId === id);
const requests = (html: string) =>
  /requests<\/span><span>(\d+)<\/span><span>(\d+)<\/span>/.exec(html)?.slice(1).map(Number);

/** Waits until `check` holds on the displays so far; fails after `timeoutMs`. */
async function displaysUntil(what: string, check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Not seen within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  if (missing) return;
  result = await executeNotebookAgainstServer(join(ROOT, "examples", "rollout.ipynb"), {
    onDisplay: (d) => displays.push(d),
    onCell: (cell) => {
      finished.set(cell.index, Date.now());
      process.stdout.write(`# cell ${cell.index}: ${cell.status} in ${cell.ms} ms\n`);
    },
    beforeCell: async ({ source }) => {
      if (!source.includes("await promote(")) return;
      // The card the cell before showed (rolloutStatus), while nothing runs: it must keep
      // being replaced with fresh numbers from the server, as the clients call.
      const started = Date.now();
      const card = cards().at(-1)!;
      const statusCell = Math.max(...finished.keys());
      await displaysUntil(
        "the rolloutStatus card refreshed twice after its cell, its counts moving, a shadow comparison",
        () => {
          const later = shownAs(card).filter(
            (d) => d.type === "update_display_data" && d.at > finished.get(statusCell)!,
          );
          const counts = later.map((d) => requests(d.html)?.join("/"));
          return (
            later.length >= 2 &&
            new Set(counts).size >= 2 &&
            /of [1-9]\d* compared/.test(later.at(-1)!.html)
          );
        },
        60_000,
      );
      liveWait = `${Date.now() - started} ms`;
    },
  });
});

after(() => result?.cleanup());

test("every cell of the rollout notebook runs without an error", { skip: missing }, () => {
  assert.deepEqual(result!.failedCells(), []);
});

test(
  "rollout shows a card: both versions side by side, the candidate's share",
  { skip: missing },
  () => {
    const [card] = result!.cellWith("await rollout(").html;
    assert.ok(card, "the rollout cell displays HTML");
    const versions = /stable v(\d+)<\/strong><strong>candidate v(\d+)<\/strong>/.exec(card);
    assert.ok(versions, card);
    assert.ok(Number(versions[2]) > Number(versions[1]));
    assert.match(card, /data-state="running"/);
    for (const row of ["share", "requests / s", "error rate", "p50", "p99"]) {
      assert.match(card, new RegExp(`>${row.replace("/", "\\/")}</span>`), row);
    }
  },
);

test(
  "the card stays live after its cell: replaced in place with fresh numbers",
  { skip: missing },
  (t) => {
    t.diagnostic(`the refreshes were seen within ${liveWait}`);
    const [first, second, status] = cards();
    assert.ok(first && second && status, `cards: ${cards().join(", ")}`);
    // Each update names the card's display id: Jupyter front ends replace that output.
    assert.ok(shownAs(status).filter((d) => d.type === "update_display_data").length >= 2);
    // A newer card of the same model stopped the older ones, saying so.
    for (const old of [first, second]) {
      assert.match(shownAs(old).at(-1)!.html, /a newer card for it was shown below/);
    }
  },
);

test("shadow: the card gives the agreement of the compared answers", { skip: missing }, () => {
  const last = shownAs(cards()[2]!)
    .map((d) => d.html)
    .filter((html) => /of [1-9]\d* compared/.test(html))
    .at(-1);
  assert.ok(last, "a card with shadow comparisons");
  const agreement = /agreement (\d+(?:\.\d+)?) %/.exec(last)!;
  assert.ok(Number(agreement[1]) >= 0 && Number(agreement[1]) <= 100);
});

test(
  "promote: the candidate is stable; the live card in the cell above says so",
  { skip: missing },
  async () => {
    const candidate = /candidate v(\d+)/.exec(result!.cellWith("await rollout(").html[0]!)![1]!;
    const promoted = result!.cellWith("await promote(");
    assert.match(promoted.html.join(""), new RegExp(`promoted: version ${candidate} is stable`));
    assert.match(promoted.stdout, new RegExp(`iris: version ${candidate} is stable`));
    assert.match(
      shownAs(cards()[2]!).at(-1)!.html,
      new RegExp(`promoted: version ${candidate} is stable`),
    );
    const labels = (await getJson(`${result!.server.url}/v1/models/iris/labels`)).json as {
      labels: { label: string; version: number }[];
    };
    assert.equal(labels.labels.find((l) => l.label === "stable")?.version, Number(candidate));
  },
);

test("roll back: the bad candidate is deleted; its card says so", { skip: missing }, async () => {
  const cell = result!.cellWith('await rollback("iris", { deleteCandidate: true })');
  const deleted = /rolled back; version (\d+) deleted/.exec(cell.html.join(""));
  assert.ok(deleted, cell.html.join(""));
  assert.match(shownAs(cards()[3]!).at(-1)!.html, /rolled back; version \d+ deleted/);
  const status = (await getJson(`${result!.server.url}/v1/models/iris`)).json as {
    model_version_status: { version: string; state: string }[];
  };
  assert.ok(
    !status.model_version_status.some((v) => v.version === deleted[1] && v.state === "AVAILABLE"),
  );
  assert.equal((await getJson(`${result!.server.url}/v1/models/iris/rollout`)).status, 404);
});
