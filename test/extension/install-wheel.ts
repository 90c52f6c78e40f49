import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../support";
import { SYSTEM_PYTHON } from "../support/jupyter-process";

const EXTENSION = join(ROOT, "extension");

/** Builds the wheel, installs it under a prefix, and returns that prefix's Jupyter data dir. */
export function installWheel(prefix: string): string {
  const wheel = execFileSync("bash", [join(EXTENSION, "scripts", "build-wheel.sh")], {
    encoding: "utf8",
  }).trim();
  execFileSync(
    SYSTEM_PYTHON,
    ["-m", "pip", "install", "--no-index", "--no-deps", "--prefix", prefix, wheel],
    {
      stdio: "pipe",
      env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" },
    },
  );
  // Debian's pip puts data under <prefix>/local/share; others under <prefix>/share.
  const candidates = [join(prefix, "local", "share", "jupyter"), join(prefix, "share", "jupyter")];
  const dataDir = candidates.find((dir) =>
    existsSync(join(dir, "labextensions", "@servable", "jupyterlab", "package.json")),
  );
  assert.ok(dataDir, `the wheel installed no labextension under ${prefix}`);
  return dataDir;
}
