/* global window, document, console */
/**
 * The application: JupyterLab's core plugins (the lists below are written by build.mts from
 * @jupyterlab/core-meta) and the federated extensions, started the way JupyterLab 4.6
 * starts itself: a plugin registry, the service manager resolved from it.
 */
import { JupyterPluginRegistry, PageConfig } from "@jupyterlab/coreutils";

const EXTENSIONS = [/* EXTENSIONS */];

const MIME_EXTENSIONS = [/* MIME_EXTENSIONS */];

/** Plugins that need a language server Debian's Jupyter does not have. */
const isLeftOut = (id) => id.includes(":language-server");

function pluginsOf(module) {
  const exported = Object.prototype.hasOwnProperty.call(module, "__esModule")
    ? module.default
    : module;
  const plugins = Array.isArray(exported) ? exported : [exported];
  return plugins.filter(
    (plugin) => !isLeftOut(plugin.id) && !PageConfig.Extension.isDisabled(plugin.id),
  );
}

async function federatedModules(kind) {
  const modules = [];
  for (const extension of JSON.parse(PageConfig.getOption("federated_extensions") || "[]")) {
    if (!extension[kind]) continue;
    try {
      const factory = await window._JUPYTERLAB[extension.name].get(extension[kind]);
      modules.push({ name: extension.name, module: factory() });
    } catch (error) {
      console.error(`Cannot load ${kind} of ${extension.name}`, error);
    }
  }
  return modules;
}

async function loadAll(list) {
  const modules = await Promise.all(
    list.map(async ([name, load]) => ({ name, module: await load() })),
  );
  return modules.flatMap(({ module }) => pluginsOf(module));
}

export async function main() {
  await import("./style.js");
  // Evaluating an extension's style module injects its CSS.
  await federatedModules("style");

  const plugins = [
    ...(await loadAll(EXTENSIONS)),
    ...(await federatedModules("extension")).flatMap(({ module }) => pluginsOf(module)),
  ];
  const mimeExtensions = [
    ...(await loadAll(MIME_EXTENSIONS)),
    ...(await federatedModules("mimeExtension")).flatMap(({ module }) => pluginsOf(module)),
  ];

  const { JupyterLab } = await import("@jupyterlab/application");
  const { IConnectionStatus, IServiceManager } = await import("@jupyterlab/services");
  const pluginRegistry = new JupyterPluginRegistry();
  pluginRegistry.registerPlugins(plugins);
  const connectionStatus = await pluginRegistry.resolveOptionalService(IConnectionStatus);
  const serviceManager = await pluginRegistry.resolveRequiredService(IServiceManager);

  const lab = new JupyterLab({ pluginRegistry, serviceManager, connectionStatus, mimeExtensions });
  window.jupyterapp = lab;
  await lab.start({ bubblingKeydown: true });
  await lab.restored;
  // What a test waits for: the shell and its layout are back.
  document.body.dataset.labRestored = "";
  console.debug("JupyterLab restored");
}
