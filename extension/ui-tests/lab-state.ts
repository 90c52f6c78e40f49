import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { installTslabKernelSpec, TSLAB } from "../../test/support/jupyter-process";

/**
 * The folder `npm run lab` keeps between starts (default `.servable/lab/` at the
 * repository's root), made ready for a start:
 *   repository/   the serving server's model repository, seeded with the demo models
 *   workspace/    the Jupyter root: the example notebooks (and their data files), and
 *                 models/ where exportModel writes and the sidebar finds exported versions
 *   node_modules  a link to the repository's, one level above the workspace: a notebook's
 *                 `import ... from "servable"` resolves through it (Node looks in every
 *                 parent folder), and the file browser does not show it
 *   prefix/       a Jupyter data folder (JUPYTER_PATH): the tslab kernel spec, started by
 *                 the workspace's own tslab by its full path, and the built sidebar
 *   jupyter/      JupyterLab's settings and workspaces
 *   tokens.json   the Jupyter and management tokens, kept so the address stays the same
 */

export const ROOT = join(__dirname, "..", "..");
const EXAMPLES = join(ROOT, "examples");
const DEMO_MODELS = join(ROOT, "server", "demo", "models");
const LABEXTENSION = join(ROOT, "extension", "servable_jupyterlab", "labextension");

/** The notebooks a user opens, with the files they read beside them. */
const NOTEBOOKS = ["quickstart.ipynb", "bring-your-model.ipynb", "rollout.ipynb"];
const NOTEBOOK_FILES = ["churn-xgboost.json", "churn-xgboost.expected.json"];

export interface LabState {
  readonly dir: string;
  readonly repository: string;
  readonly workspace: string;
  /** JUPYTER_PATH for the Jupyter server: kernels and labextensions. */
  readonly jupyterPath: string;
  readonly jupyterState: string;
  readonly tokens: { readonly jupyter: string; readonly server: string };
  /** What changed on the way, for the console ("kept your edited quickstart.ipynb"). */
  readonly notes: readonly string[];
}

export function prepareState(dir: string): LabState {
  const notes: string[] = [];
  const repository = join(dir, "repository");
  const workspace = join(dir, "workspace");
  mkdirSync(workspace, { recursive: true });

  if (!existsSync(repository)) cpSync(DEMO_MODELS, repository, { recursive: true });
  if (!existsSync(join(workspace, "models"))) {
    // A second version of the demo model, exported but not served: one to Deploy.
    cpSync(
      join(DEMO_MODELS, "half_plus_two", "1"),
      join(workspace, "models", "half_plus_two", "2"),
      {
        recursive: true,
      },
    );
  }
  notes.push(...copyExamples(dir, workspace));
  link(join(ROOT, "node_modules"), join(dir, "node_modules"));

  const prefix = join(dir, "prefix");
  const jupyterPath = join(prefix, "share", "jupyter");
  link(LABEXTENSION, join(jupyterPath, "labextensions", "@servable", "jupyterlab"));
  installKernelSpec(prefix, jupyterPath);

  return {
    dir,
    repository,
    workspace,
    jupyterPath,
    jupyterState: join(dir, "jupyter"),
    tokens: tokens(join(dir, "tokens.json")),
    notes,
  };
}

/**
 * The examples into the workspace: a missing one is copied; one the user has not changed
 * since it was copied follows the repository's; one the user changed is kept.
 */
function copyExamples(dir: string, workspace: string): string[] {
  const notes: string[] = [];
  const recordFile = join(dir, "examples.json");
  const record = existsSync(recordFile)
    ? (JSON.parse(readFileSync(recordFile, "utf8")) as Record<string, string>)
    : {};
  const copied = new Map(Object.entries(record));
  for (const file of [...NOTEBOOKS, ...NOTEBOOK_FILES]) {
    const source = join(EXAMPLES, file);
    const target = join(workspace, file);
    const current = hashOf(source);
    const ours = existsSync(target) ? hashOf(target) : undefined;
    if (ours === current) {
      copied.set(file, current);
    } else if (ours === undefined || ours === copied.get(file)) {
      copyFileSync(source, target);
      copied.set(file, current);
    } else if (copied.get(file) !== current) {
      notes.push(
        `examples/${file} changed; your edited copy ${relative(process.cwd(), target)} is kept (delete it to get the new one)`,
      );
    }
  }
  writeFileSync(recordFile, `${JSON.stringify(Object.fromEntries(copied), null, 1)}\n`);
  return notes;
}

function hashOf(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** A symbolic link at `path` to `target`, replacing whatever was there. */
function link(target: string, path: string): void {
  try {
    lstatSync(path);
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Nothing there yet.
  }
  mkdirSync(join(path, ".."), { recursive: true });
  symlinkSync(target, path, "dir");
}

/** tslab's kernel spec under the prefix, as binder/install.sh installs it (once). */
function installKernelSpec(prefix: string, jupyterPath: string): void {
  const spec = join(jupyterPath, "kernels", "tslab", "kernel.json");
  if (existsSync(spec)) {
    const { argv } = JSON.parse(readFileSync(spec, "utf8")) as { argv?: string[] };
    if (argv?.[0] === TSLAB) return;
  }
  installTslabKernelSpec(prefix);
}

function tokens(file: string): { jupyter: string; server: string } {
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as { jupyter?: unknown; server?: unknown };
    if (typeof saved.jupyter === "string" && typeof saved.server === "string") {
      return { jupyter: saved.jupyter, server: saved.server };
    }
  }
  const made = {
    jupyter: randomBytes(16).toString("hex"),
    server: randomBytes(16).toString("hex"),
  };
  writeFileSync(file, `${JSON.stringify(made)}\n`, { mode: 0o600 });
  return made;
}
