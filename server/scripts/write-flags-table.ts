/**
 * Rewrites the flags table of the README (between its flags:start/flags:end markers) from
 * the flag definitions, so the README never drifts from `servable-server --help`.
 * Usage: node --import tsx server/scripts/write-flags-table.ts [README.md]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { flagsTable, replaceFlagsTable } from "../src/config/flags-table";

const path = process.argv[2] ?? "README.md";
writeFileSync(path, replaceFlagsTable(readFileSync(path, "utf8"), flagsTable()));
