import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { flagsTable, replaceFlagsTable } from "./flags-table";

test("the README's flags table is the one --help describes", () => {
  const readme = readFileSync(join(__dirname, "..", "..", "..", "README.md"), "utf8");
  assert.equal(
    replaceFlagsTable(readme, flagsTable()),
    readme,
    "README.md is out of date: run node --import tsx server/scripts/write-flags-table.ts",
  );
});
