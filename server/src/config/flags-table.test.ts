import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { flagsTable } from "./flags-table";

/** Table rows with the padding a formatter adds taken out. */
const rows = (markdown: string): string[] =>
  markdown
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .split("|")
        .map((cell) => cell.trim())
        .join("|"),
    );

test("the README's flags table is the one --help describes", () => {
  const readme = readFileSync(join(__dirname, "..", "..", "..", "README.md"), "utf8");
  const start = readme.indexOf("<!-- flags:start -->");
  const end = readme.indexOf("<!-- flags:end -->");
  assert.ok(start >= 0 && end > start, "README.md has the flags markers");
  assert.deepEqual(
    rows(readme.slice(start, end)),
    rows(flagsTable()),
    "README.md is out of date: run node --import tsx server/scripts/write-flags-table.ts && npx prettier --write README.md",
  );
});
