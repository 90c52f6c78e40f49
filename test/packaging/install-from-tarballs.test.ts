import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jupyterMissing, startJupyterServer } from "../notebook/jupyter-server";
import { runNotebook, type CellRun } from "../notebook/notebook-runner";
import {
  freePort,
  getJson,
  halfPlusTwoOnnx,
  postJson,
  ROOT,
  startCommand,
  waitFor,
  type ServerProcess,
} from "../support";
import {
  dependencyClosure,
  installedPackages,
  nativeParts,
  newProject,
  npm,
  packageBytes,
  scriptsRun,
  type InstalledPackage,
  type NpmRun,
} from "./npm-install";

/**
 * The packages as users get them: every workspace package packed with `npm pack`, then
 * installed from the tarballs into fresh folders outside the workspace with npm's defaults
 * (no `.npmrc`), from the npm registry:
 *
 * - `servable` (with `@servable/protocol` and `@servable/convert`) into a notebook folder:
 *   nothing native, no server parts, and small without TF.js;
 * - `@servable/server` (with the same two) into a serving folder, started from there: it
 *   serves the seed request, and ONNX works, or says how to make it work;
 * - then a real tslab kernel in the notebook folder deploys a model to that server and
 *   predicts with it.
 */
const MAX_SERVABLE_BYTES = 30 * 1024 * 1024;
const missing = jupyterMissing();

let work: string;
let userconfig: string;
let tarballs: Map<string, { file: string; files: string[] }>;
let kernelDir: string;
let kernelInstall: NpmRun;
let kernelPackages: InstalledPackage[];
let serverDir: string;
let serverInstall: NpmRun;
let repository: string;
let runtimeDir: string;
let server: ServerProcess | undefined;

const tarball = (name: string) => tarballs.get(name)!.file;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-packaging-"));
  userconfig = join(work, "empty-npmrc");
  await writeFile(userconfig, "");
  tarballs = await packWorkspace(join(work, "tarballs"));

  const shared = ["@servable/protocol", "@servable/convert"];
  kernelDir = join(work, "notebooks");
  kernelInstall = await installInto(kernelDir, ["servable", ...shared]);
  kernelPackages = await installedPackages(kernelDir);
  serverDir = join(work, "serving");
  serverInstall = await installInto(serverDir, ["@servable/server", ...shared]);
  repository = join(work, "models");
  runtimeDir = join(work, "runtime");
  await mkdir(repository);
  // The demo model as the installed package carries it, and the same function in ONNX.
  await cp(
    join(serverDir, "node_modules", "@servable", "server", "demo", "models", "half_plus_two"),
    join(repository, "half_plus_two"),
    { recursive: true },
  );
  await mkdir(join(repository, "half_plus_two_onnx", "1"), { recursive: true });
  await writeFile(join(repository, "half_plus_two_onnx", "1", "model.onnx"), halfPlusTwoOnnx());
  if (serverInstall.code === 0) server = await startInstalledServer();
});

after(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** `npm pack` of every workspace package, after building them. */
async function packWorkspace(
  destination: string,
): Promise<Map<string, { file: string; files: string[] }>> {
  await mkdir(destination);
  await run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-b"], ROOT);
  const lib = await npm(["run", "build:lib", "-w", "@servable/jupyterlab"], ROOT, userconfig);
  assert.equal(lib.code, 0, lib.output);
  const packed = await npm(
    [
      "pack",
      ...["protocol", "convert", "server", "kernel-lib", "extension"].flatMap((w) => ["-w", w]),
      `--pack-destination=${destination}`,
      "--json",
    ],
    ROOT,
    userconfig,
  );
  assert.equal(packed.code, 0, packed.output);
  const list = JSON.parse(packed.stdout) as {
    name: string;
    filename: string;
    files: { path: string }[];
  }[];
  return new Map(
    list.map((p) => [
      p.name,
      { file: join(destination, p.filename), files: p.files.map((f) => f.path) },
    ]),
  );
}

function run(command: string, args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${output}`)),
    );
  });
}

/**
 * A new project folder with the packages installed from their tarballs, with npm's
 * defaults; verbose, so that the log names the install scripts npm ran.
 */
async function installInto(dir: string, packages: readonly string[]): Promise<NpmRun> {
  await mkdir(dir);
  await newProject(dir, basename(dir));
  return npm(["install", ...packages.map(tarball), "--loglevel=verbose"], dir, userconfig);
}

/** servable-server as installed in the serving folder, started from there. */
async function startInstalledServer(): Promise<ServerProcess> {
  const bin = join(serverDir, "node_modules", "@servable", "server", "bin", "servable-server.js");
  const port = await freePort();
  return startCommand(
    [process.execPath, bin],
    [
      "--rest_api_host=127.0.0.1",
      `--rest_api_port=${port}`,
      "--port=0",
      `--model_repository=${repository}`,
      "--file_system_poll_wait_seconds=1",
    ],
    port,
    { cwd: serverDir, env: { SERVABLE_RUNTIME_DIR: runtimeDir, SERVABLE_TOKEN: "" } },
  );
}

interface VersionStatus {
  version: string;
  state: string;
  status: { error_code: string; error_message: string };
}

/** The version's status once it has settled (AVAILABLE or END). */
async function settled(name: string, version: string): Promise<VersionStatus> {
  return waitFor(async () => {
    const answer = await getJson(`${server!.url}/v1/models/${name}/versions/${version}`);
    const status = (answer.json as { model_version_status?: VersionStatus[] } | undefined)
      ?.model_version_status?.[0];
    return status?.state === "AVAILABLE" || status?.state === "END" ? status : undefined;
  }, 120_000);
}

const compact = (text: string) => text.replace(/\s+/g, "");

describe("npm pack", () => {
  test("every package packs with the entry points its package.json names", () => {
    const entries: [string, string[]][] = [
      [
        "@servable/protocol",
        ["dist/index.js", "dist/index.d.ts", "dist/wire.js", "protos/onnx.proto"],
      ],
      ["@servable/convert", ["dist/index.js", "dist/index.d.ts"]],
      ["@servable/server", ["dist/index.js", "dist/cli.js", "bin/servable-server.js"]],
      ["servable", ["dist/index.js", "dist/index.d.ts", "bin/servable.js"]],
      ["@servable/jupyterlab", ["lib/index.js", "schema/plugin.json"]],
    ];
    for (const [name, files] of entries) {
      const packed = tarballs.get(name);
      assert.ok(packed, `${name} was packed`);
      for (const file of files) assert.ok(packed.files.includes(file), `${name} holds ${file}`);
    }
  });
});

describe("servable, installed from its tarball with npm's defaults", () => {
  test("installs, with no server parts and nothing native", async (t) => {
    // npm there sees none of the workspace's configuration (its .npmrc skips ONNX Runtime's download).
    const leaked = await npm(["config", "get", "onnxruntime-node-install"], kernelDir, userconfig);
    assert.equal(leaked.stdout.trim(), "undefined");
    assert.equal(kernelInstall.code, 0, kernelInstall.output);
    const names = new Set(kernelPackages.map((p) => p.name));
    for (const present of ["servable", "@servable/protocol", "@servable/convert"]) {
      assert.ok(names.has(present), `${present} is installed`);
    }
    for (const absent of ["@servable/server", "onnxruntime-node", "@grpc/grpc-js", "express"]) {
      assert.ok(!names.has(absent), `${absent} is not installed`);
    }
    // No package that builds, ships or fetches native code: no native download can happen.
    const native: string[] = [];
    for (const pkg of kernelPackages) {
      const why = await nativeParts(pkg);
      if (why) native.push(`${pkg.name}: ${why}`);
    }
    assert.deepEqual(native, []);
    const scripts = scriptsRun(kernelInstall.output);
    t.diagnostic(
      `install scripts npm ran: ${scripts.map((s) => `${s.pkg} ${s.event}`).join(", ") || "none"}`,
    );
  });

  test("servable and its dependencies, without TF.js, take less than 30 MB", async (t) => {
    const root = kernelPackages.find((p) => p.dir === join(kernelDir, "node_modules", "servable"));
    assert.ok(root, "servable is installed at the top of node_modules");
    const closure = dependencyClosure(kernelPackages, root);
    assert.ok(
      closure.every((p) => !p.name.startsWith("@tensorflow/")),
      "TF.js is a peer dependency, not one of servable's own",
    );
    const sizes = await Promise.all(
      closure.map(async (p) => [p.name, await packageBytes(p.dir)] as const),
    );
    const total = sizes.reduce((sum, [, bytes]) => sum + bytes, 0);
    const all = (await Promise.all(kernelPackages.map((p) => packageBytes(p.dir)))).reduce(
      (a, b) => a + b,
      0,
    );
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    t.diagnostic(
      `servable and its ${closure.length - 1} dependencies: ${mb(total)} (largest: ${sizes
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([name, bytes]) => `${name} ${mb(bytes)}`)
        .join(", ")}); the whole folder with TF.js: ${mb(all)}`,
    );
    assert.ok(total < MAX_SERVABLE_BYTES, `${mb(total)} < 30 MB`);
  });
});

describe("@servable/server, installed from its tarball with npm's defaults", () => {
  test("installs and serves the seed request from the installed folder", async () => {
    assert.equal(serverInstall.code, 0, serverInstall.output);
    assert.ok(server, "the installed server started");
    assert.equal((await settled("half_plus_two", "1")).state, "AVAILABLE");
    const answer = await postJson(
      `${server.url}/v1/models/half_plus_two:predict`,
      '{"instances": [1.0, 2.0, 5.0]}',
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(compact(answer.text), '{"predictions":[2.5,3.0,4.5]}');
  });

  test("ONNX runs on onnxruntime-node, or says how to install it, and then runs", async (t) => {
    assert.ok(server, "the installed server started");
    const installed = (await readdir(join(serverDir, "node_modules"))).includes("onnxruntime-node");
    const first = await settled("half_plus_two_onnx", "1");
    if (!installed) {
      // npm dropped the optional dependency (its install step could not download the GPU
      // files): this version fails alone, saying what to run.
      t.diagnostic("onnxruntime-node was left out by npm; installing it as the error says");
      assert.equal(first.state, "END");
      assert.equal(first.status.error_code, "FAILED_PRECONDITION");
      const command = /npm install (onnxruntime-node\S*) (--onnxruntime-node-install=skip)/.exec(
        first.status.error_message,
      );
      assert.ok(command, first.status.error_message);
      assert.equal((await settled("half_plus_two", "1")).state, "AVAILABLE");
      const added = await npm(["install", command[1]!, command[2]!], serverDir, userconfig);
      assert.equal(added.code, 0, added.output);
      // The next ONNX version loads it, without a restart.
      await cp(
        join(repository, "half_plus_two_onnx", "1"),
        join(repository, "half_plus_two_onnx", "2"),
        { recursive: true },
      );
      const second = await settled("half_plus_two_onnx", "2");
      assert.equal(second.state, "AVAILABLE", second.status.error_message);
    } else {
      t.diagnostic("onnxruntime-node was installed by npm");
      assert.equal(first.state, "AVAILABLE", first.status.error_message);
    }
    const answer = await postJson(
      `${server.url}/v1/models/half_plus_two_onnx:predict`,
      '{"instances": [1.0, 2.0, 5.0]}',
    );
    assert.equal(compact(answer.text), '{"predictions":[2.5,3.0,4.5]}');
  });
});

describe("a tslab kernel in the notebook folder, against the installed server", () => {
  let cells: CellRun[] = [];

  before(async () => {
    if (missing || !server) return;
    const state = join(work, "jupyter");
    await writeFile(join(kernelDir, "deploy.ipynb"), JSON.stringify(notebook()));
    const jupyter = await startJupyterServer({
      rootDir: kernelDir,
      stateDir: state,
      env: { SERVABLE_URL: server.url, SERVABLE_RUNTIME_DIR: runtimeDir, SERVABLE_TOKEN: "" },
    });
    try {
      cells = await runNotebook(jupyter, "deploy.ipynb", { cellTimeoutMs: 180_000 });
    } finally {
      await jupyter.stop();
    }
  });

  const cell = (text: string): CellRun => {
    const found = cells.find((c) => c.source.includes(text));
    assert.ok(found, `a cell contains ${text}`);
    assert.equal(found.status, "ok", `${found.error ?? ""}\n${found.stderr}`);
    return found;
  };

  test(
    "deploy uploads a model built in the notebook and waits until it is AVAILABLE",
    { skip: missing },
    async () => {
      const deployed = cell("await deploy(");
      assert.match(deployed.stdout, /deployed hpt version 1: AVAILABLE/);
      assert.equal((await settled("hpt", "1")).state, "AVAILABLE");
      assert.ok((await readdir(join(repository, "hpt"))).includes("1"));
    },
  );

  test("predict answers what the model computes, through the server", { skip: missing }, () => {
    assert.equal(cell('await predict("hpt"').stdout.trim(), "[[2.5],[3],[4.5]]");
    assert.equal(cell('await predict("half_plus_two"').stdout.trim(), "[2.5,3,4.5]");
  });
});

/** The notebook the kernel runs: servable and TF.js as installed beside it. */
function notebook(): object {
  const code = (source: string) => ({
    cell_type: "code",
    metadata: {},
    execution_count: null,
    outputs: [],
    source,
  });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: [
      code('import * as tf from "@tensorflow/tfjs";\nimport { deploy, predict } from "servable";'),
      code(
        [
          "const model = tf.sequential();",
          'model.add(tf.layers.dense({ units: 1, inputShape: [1], name: "y" }));',
          "model.setWeights([tf.tensor2d([[0.5]]), tf.tensor1d([2])]);",
          'const deployment = await deploy(model, { name: "hpt", display: false });',
          "console.log(`deployed ${deployment.name} version ${deployment.version}: ${deployment.state}`);",
        ].join("\n"),
      ),
      code(
        'console.log(JSON.stringify(await predict("hpt", [[1.0], [2.0], [5.0]], { display: false })));',
      ),
      code(
        'console.log(JSON.stringify(await predict("half_plus_two", [1.0, 2.0, 5.0], { display: false })));',
      ),
    ],
  };
}
