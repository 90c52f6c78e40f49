#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FlagError, helpText, parseFlags } from "./config/flags";
import { startServer } from "./server";

/** `servable-server`: flags to a running server; SIGINT/SIGTERM stop it cleanly. */
async function main(argv: readonly string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`servable-server ${version()}\n`);
    return 0;
  }
  let server;
  try {
    server = await startServer(flags);
  } catch (error) {
    process.stderr.write(`servable-server: ${(error as Error).message}\n`);
    return 1;
  }
  const running = server;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      running.logger.info({ signal }, "Shutting down");
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await running.close();
  return 0;
}

function version(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`servable-server: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
