import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";

/**
 * A temporary folder for the tests of one file: made before the first test, removed
 * with all it holds after the last. The answer gives a path inside it, so each test
 * takes a folder of its own by name.
 */
export function scratchFolder(prefix: string): (name: string) => string {
  let root: string | undefined;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
  });
  after(() => (root === undefined ? undefined : rm(root, { recursive: true, force: true })));
  return (name) => {
    if (root === undefined) throw new Error("the scratch folder exists only while tests run");
    return join(root, name);
  };
}
