import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type ServerProcess } from "./server-process";

/** What the kernel library (in a Node program or a notebook's kernel) reads to find a server. */
export type KernelLibEnv = {
  readonly SERVABLE_URL: string;
  /** The runtime folder the server writes its generated token to. */
  readonly SERVABLE_RUNTIME_DIR: string;
  /** Empty: no token is given, the library must find the server's own. */
  readonly SERVABLE_TOKEN: "";
};

export interface KernelLibServer {
  readonly server: ServerProcess;
  /** The scratch folder: the server's repository/ and runtime/, and room for the test's files. */
  readonly work: string;
  readonly clientEnv: KernelLibEnv;
  /** Stops the server, then removes the scratch folder. */
  stop(): Promise<void>;
}

/**
 * servable-server on an empty repository in a new scratch folder (named from `prefix`),
 * started as on a user's machine: no token given, so it generates one and writes it to the
 * runtime folder that `clientEnv` points the kernel library at.
 */
export async function startServerForKernelLib(prefix: string): Promise<KernelLibServer> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  try {
    const repository = join(work, "repository");
    await mkdir(repository);
    const env = { SERVABLE_RUNTIME_DIR: join(work, "runtime"), SERVABLE_TOKEN: "" } as const;
    const server = await startServer([`--model_repository=${repository}`], { env });
    return {
      server,
      work,
      clientEnv: { ...env, SERVABLE_URL: server.url },
      async stop() {
        await server.stop();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}
