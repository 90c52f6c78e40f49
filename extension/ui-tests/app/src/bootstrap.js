/* global window, document, console, __webpack_init_sharing__, __webpack_share_scopes__ */
/**
 * The page's first script: sets where chunks load from, loads every prebuilt (federated)
 * extension the server lists and lets it join the shared scope, then runs main().
 * It reads the page config itself: nothing shared may load before the extensions join.
 */

const pageConfig = JSON.parse(document.getElementById("jupyter-config-data")?.textContent || "{}");

// Where rspack loads the chunks from (a module variable only the bundler knows).
// eslint-disable-next-line no-undef
__webpack_public_path__ = `${pageConfig.fullStaticUrl}/`;

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.onerror = () => reject(new Error(`Cannot load ${url}`));
    script.onload = resolve;
    script.async = true;
    script.src = url;
    document.head.appendChild(script);
  });
}

async function joinSharedScope(extension) {
  await loadScript(`${pageConfig.fullLabextensionsUrl}/${extension.name}/${extension.load}`);
  await __webpack_init_sharing__("default");
  await window._JUPYTERLAB[extension.name].init(__webpack_share_scopes__.default);
}

void (async () => {
  await __webpack_init_sharing__("default");
  const results = await Promise.allSettled(
    (pageConfig.federated_extensions || []).map(joinSharedScope),
  );
  for (const result of results) {
    if (result.status === "rejected") console.error(result.reason);
  }
  const { main } = await import("./index.js");
  await main();
})();
