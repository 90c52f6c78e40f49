import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { versionFolders } from "./version-folders";

test("version folders: digit-named folders by their number; files, other names and a missing model are none", async () => {
  const dir = await mkdtemp(join(tmpdir(), "version-folders-"));
  try {
    for (const name of ["1", "00000123", "2x", ".upload-1", "9".repeat(19)]) {
      await mkdir(join(dir, name));
    }
    await writeFile(join(dir, "7"), "a file, not a version");
    assert.deepEqual(
      await versionFolders(dir),
      new Map([
        [1, "1"],
        [123, "00000123"],
      ]),
    );
    assert.deepEqual(await versionFolders(join(dir, "absent")), new Map());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
