import { after, before } from "node:test";
import type { ServerProcess } from "../../support/server-process";
import { buildFixtures, removeFixtures, type FixtureScript } from "./fixtures";

/** The fixtures folder of one test file and the server started on it. */
export interface ServedFixtures {
  readonly fixtures: string;
  readonly server: ServerProcess;
}

/**
 * Before the file's tests, these fixture scripts' outputs in a fresh folder and the server
 * `start` lays out and starts on it; after them, the server stopped and the folder removed,
 * also when the set-up failed half-way. Its fields are set once the before() hook has run.
 */
export function serveFixtures(
  scripts: FixtureScript[],
  start: (fixtures: string) => Promise<ServerProcess>,
): ServedFixtures {
  const served: { fixtures?: string; server?: ServerProcess } = {};
  before(async () => {
    served.fixtures = await buildFixtures(scripts);
    served.server = await start(served.fixtures);
  });
  after(async () => {
    await served.server?.stop();
    if (served.fixtures) await removeFixtures(served.fixtures);
  });
  return served as ServedFixtures;
}
