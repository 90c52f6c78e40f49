#!/usr/bin/env node
import { parseArgs } from "node:util";
import { parseVersion } from "@servable/protocol";
import { importModel } from "./import/import-model";

/**
 * `servable`, the kernel library's command line:
 *
 *   servable import FILE --name N [--model_repository DIR] [--version V]
 *   servable deploy FILE|DIR --name N [--server URL] [--token T] [--version V] [--label L]
 *
 * `import` writes FILE (an .onnx file, or an XGBoost model saved as JSON) into a model
 * repository on this machine as a new version of model N, which a server watching that
 * repository (`servable-server --model_repository DIR`) then loads. `deploy` uploads it
 * (or an exported version folder) to a running server, as the kernel library's `deploy`
 * does, and waits until it is AVAILABLE.
 */
const USAGE = `usage:
  servable import FILE --name NAME [--model_repository DIR] [--version N]
      Writes FILE (an .onnx file, or an XGBoost model saved with
      Booster.save_model("model.json")) into DIR/NAME/<version> as a model the
      server serves. DIR defaults to ./models; the version to one more than the
      highest present.

  servable deploy FILE|DIR --name NAME [--server URL] [--token T] [--version N] [--label L]
      Uploads FILE (as above) or an exported version folder DIR to a running
      server as a new version of NAME and waits until it is AVAILABLE. URL defaults
      to $SERVABLE_URL, else http://localhost:8501; the token to $SERVABLE_TOKEN,
      else the one a server on this machine wrote to its runtime file.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "import") return importCommand(rest);
  if (command === "deploy") return deployCommand(rest);
  console.error(`Unknown command: ${command}\n${USAGE}`);
  return 2;
}

async function importCommand(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      model_repository: { type: "string", default: "models" },
      version: { type: "string" },
    },
  });
  if (positionals.length !== 1 || !values.name) {
    console.error(`servable import needs one FILE and --name\n${USAGE}`);
    return 2;
  }
  const version = versionOption(values.version);
  const imported = await importModel(positionals[0]!, values.model_repository!, {
    name: values.name,
    ...(version !== undefined && { version }),
  });
  const signatures = Object.entries(imported.signatures.signature_def)
    .map(([name, def]) => `${name} (${def.method_name.split("/").pop()})`)
    .join(", ");
  console.log(`${imported.name} version ${imported.version} written to ${imported.path}`);
  console.log(`  from: ${imported.source}; signatures: ${signatures}`);
  return 0;
}

async function deployCommand(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      server: { type: "string" },
      token: { type: "string" },
      version: { type: "string" },
      label: { type: "string" },
    },
  });
  if (positionals.length !== 1 || !values.name) {
    console.error(`servable deploy needs one FILE or DIR and --name\n${USAGE}`);
    return 2;
  }
  // Loaded here only: the rest of the library brings TensorFlow.js along.
  const { deploy } = await import("./index.js");
  const deployment = await deploy(positionals[0]!, {
    name: values.name,
    display: false,
    ...(values.server !== undefined && { server: values.server }),
    ...(values.token !== undefined && { token: values.token }),
    ...(values.version !== undefined && { version: versionOption(values.version) }),
    ...(values.label !== undefined && { label: values.label }),
  });
  console.log(`${deployment.name} version ${deployment.version}: ${deployment.state}`);
  console.log(`  ${deployment.url}`);
  console.log(`  ${deployment.curl}`);
  return 0;
}

/** --version as the server names versions: digits only. */
function versionOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const version = parseVersion(text);
  if (version === undefined) throw new Error(`--version ${text} is not a version number`);
  return version;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`servable: ${(error as Error).message}`);
    process.exitCode = 1;
  },
);
