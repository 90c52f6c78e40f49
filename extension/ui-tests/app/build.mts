/**
 * Builds the test JupyterLab: JupyterLab 4's core extensions from npm, bundled by rspack as
 * a module-federation host that loads prebuilt extensions at run time, as JupyterLab
 * itself does (its examples/federated shows the pattern). Output in dist/:
 * static/ (the page's scripts), schemas/ and themes/ (served by jupyterlab_server).
 *
 * Usage: node --import tsx build.mts   (from this folder, after `npm install` here)
 */
import { Build } from "@jupyter/builder";
import { rspack, type Configuration, type MultiStats } from "@rspack/core";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { merge } from "webpack-merge";

const APP_DIR = import.meta.dirname;
const DIST = join(APP_DIR, "dist");
const GENERATED = join(DIST, "entry");
const require_ = createRequire(join(APP_DIR, "package.json"));

interface CorePackage {
  resolutions: Record<string, string>;
  jupyterlab: {
    extensions: Record<string, string>;
    mimeExtensions: Record<string, string>;
    singletonPackages: string[];
  };
}

/**
 * Core extensions left out: three need Python parts Debian's Jupyter does not have; the
 * debugger has nothing to debug in tslab (it has no debugger), and its 4.6 release throws
 * "No active debugger session" into the page after every cell such a kernel runs.
 */
const LEFT_OUT = new Set([
  "@jupyterlab/lsp-extension",
  "@jupyterlab/extensionmanager-extension",
  "@jupyterlab/pluginmanager-extension",
  "@jupyterlab/debugger-extension",
]);

const core = JSON.parse(
  readFileSync(require_.resolve("@jupyterlab/core-meta/core.package.json"), "utf8"),
) as CorePackage;

const extensions = pick(core.jupyterlab.extensions);
const mimeExtensions = pick(core.jupyterlab.mimeExtensions);

function pick(entries: Record<string, string>): [string, string][] {
  return Object.entries(entries).filter(([name]) => !LEFT_OUT.has(name) && installed(name));
}

function installed(name: string): boolean {
  try {
    require_.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

rmSync(DIST, { recursive: true, force: true });
mkdirSync(GENERATED, { recursive: true });

// Settings schemas and themes into dist/, every extension's CSS import into entry/style.js.
const themeConfigs = Build.ensureAssets({
  packageNames: [...new Set([...extensions, ...mimeExtensions].map(([name]) => name))],
  output: GENERATED,
  schemaOutput: DIST,
  themeOutput: DIST,
});

writeFileSync(join(GENERATED, "index.js"), entrySource());
writeFileSync(
  join(GENERATED, "bootstrap.js"),
  readFileSync(join(APP_DIR, "src", "bootstrap.js"), "utf8"),
);

/** The shared scope: every core package, singletons as JupyterLab declares them. */
const shared: Record<string, { requiredVersion: string; singleton?: boolean }> = {};
for (const [name, range] of Object.entries(core.resolutions)) {
  if (installed(name)) shared[name] = { requiredVersion: range };
}
for (const name of core.jupyterlab.singletonPackages) {
  if (shared[name]) shared[name].singleton = true;
}

const baseConfig = require_("@jupyter/builder/lib/webpack.config.base") as Configuration;

const appConfig: Configuration = merge(baseConfig, {
  mode: "production",
  devtool: false,
  entry: { bundle: join(GENERATED, "bootstrap.js") },
  output: {
    path: join(DIST, "static"),
    filename: "[name].js",
    chunkFilename: "[name].[contenthash].js",
    // The page sets the real public path (PageConfig's fullStaticUrl) before any chunk loads.
    publicPath: "auto",
    library: { type: "var", name: ["_JUPYTERLAB", "CORE_OUTPUT"] },
  },
  resolve: { modules: [join(APP_DIR, "node_modules"), "node_modules"] },
  performance: { hints: false },
  plugins: [
    // The V1 plugin, as @jupyter/builder uses for extensions: webpack's sharing semantics.
    new rspack.container.ModuleFederationPluginV1({
      library: { type: "var", name: ["_JUPYTERLAB", "CORE_LIBRARY_FEDERATION"] },
      name: "CORE_FEDERATION",
      shared,
    }),
    new rspack.DefinePlugin({
      "process.env": JSON.stringify({}),
      "process.cwd": "(() => '/')",
    }),
  ],
});

/** index.js: the application's main(), every core plugin plus the federated ones. */
function entrySource(): string {
  const importList = (list: [string, string][]) =>
    list
      .map(
        ([name, path]) =>
          `  [${JSON.stringify(name)}, () => import(${JSON.stringify(path ? `${name}/${path}` : name)})],`,
      )
      .join("\n");
  return readFileSync(join(APP_DIR, "src", "index.template.js"), "utf8")
    .replace("/* EXTENSIONS */", importList(extensions))
    .replace("/* MIME_EXTENSIONS */", importList(mimeExtensions));
}

const started = Date.now();
const compiler = rspack([appConfig, ...themeConfigs]);
compiler.run((error: Error | null, stats?: MultiStats) => {
  // Close before the process ends: close() shuts the native compilers down. Left open,
  // they are torn down by the process's exit while their threads may still run, which
  // once aborted the process (exit 134) after a successful build.
  compiler.close((closeError) => {
    if (error || closeError) {
      console.error(error ?? closeError);
      process.exitCode = 1;
    } else if (stats?.hasErrors()) {
      console.error(stats.toString({ all: false, errors: true }));
      process.exitCode = 1;
    } else {
      console.log(
        `Built the test JupyterLab (${extensions.length} extensions, ${mimeExtensions.length} mime extensions) into ${DIST} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
  });
});
