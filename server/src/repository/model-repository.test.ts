import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import pino from "pino";
import { ServingError } from "@servable/protocol";
import { scratchFolder } from "../testing/scratch-folder";
import { ModelRepository } from "./model-repository";
import { StagingArea } from "./staging-area";
import { StateLayout } from "./state-layout";

const scratch = scratchFolder("servable-repository-");

const logger = pino({ level: "silent" });

/** The repository as one server (with its own staging folder) changes it. */
async function server(root: string): Promise<ModelRepository> {
  const layout = new StateLayout(root);
  const staging = await StagingArea.open(layout.stagingDir, { logger });
  return new ModelRepository({
    layout,
    staging,
    basePathOf: () => undefined,
    servesRepository: true,
    logger,
  });
}

/** Receives an upload of one file holding `content`, and puts it in place. */
async function uploadTo(
  repository: ModelRepository,
  name: string,
  content: string,
  requested?: number,
): Promise<number> {
  const upload = await repository.startUpload(name);
  try {
    await writeFile(join(upload.filesDir, "value.txt"), content);
    return await repository.commitUpload(upload, requested);
  } finally {
    await repository.discardUpload(upload);
  }
}

const alreadyExists = (e: unknown) => e instanceof ServingError && e.code === "ALREADY_EXISTS";

/** Top-level entries of a folder but the state folder. */
const entries = async (dir: string) =>
  (await readdir(dir)).filter((n) => n !== ".servable").sort((a, b) => Number(a) - Number(b));

test("uploads through several servers at once get distinct versions, none lost", async () => {
  const root = scratch("parallel");
  await mkdir(root);
  const servers = await Promise.all([1, 2, 3].map(() => server(root)));
  const versions = await Promise.all(
    Array.from({ length: 30 }, (_, i) => uploadTo(servers[i % 3]!, "iris", `upload ${i}`)),
  );
  assert.deepEqual(
    [...versions].sort((a, b) => a - b),
    Array.from({ length: 30 }, (_, i) => i + 1),
  );
  assert.deepEqual(await entries(root), ["iris"]);
  for (const [i, version] of versions.entries()) {
    const content = await readFile(join(root, "iris", String(version), "value.txt"), "utf8");
    assert.equal(content, `upload ${i}`, `version ${version} holds its own upload`);
  }
  // Every staging folder is empty but for its owner file.
  for (const name of await readdir(join(root, ".servable", "staging"))) {
    assert.deepEqual(await readdir(join(root, ".servable", "staging", name)), ["owner.json"]);
  }
});

test("a new model made by two servers at once holds both versions", async () => {
  const root = scratch("new-model");
  await mkdir(root);
  const [a, b] = [await server(root), await server(root)];
  const versions = await Promise.all([uploadTo(a!, "fresh", "a"), uploadTo(b!, "fresh", "b")]);
  assert.deepEqual([...versions].sort(), [1, 2]);
  assert.deepEqual(await entries(root), ["fresh"]);
  assert.deepEqual(await entries(join(root, "fresh")), ["1", "2"]);
});

test("?version=N: 409 when any server has it; a deleted version's number is never reused", async () => {
  const root = scratch("explicit");
  await mkdir(root);
  const [a, b] = [await server(root), await server(root)];
  assert.equal(await uploadTo(a!, "iris", "one", 5), 5);
  await assert.rejects(uploadTo(b!, "iris", "again", 5), (e: unknown) => {
    assert.ok(alreadyExists(e));
    assert.equal((e as Error).message, "Version 5 of model iris already exists");
    return true;
  });
  // Both asking for the same new number: one gets it.
  const raced = await Promise.allSettled([
    uploadTo(a!, "iris", "x", 7),
    uploadTo(b!, "iris", "y", 7),
  ]);
  assert.deepEqual(raced.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
  assert.ok(
    alreadyExists((raced.find((r) => r.status === "rejected") as PromiseRejectedResult).reason),
  );

  const hidden = await b!.hideVersion("iris", 7);
  await b!.removeHidden(hidden);
  assert.deepEqual(await entries(join(root, "iris")), ["5"]);
  assert.equal(await uploadTo(a!, "iris", "next"), 8, "7 was given out before");
  await assert.rejects(uploadTo(a!, "iris", "seven", 7), (e: unknown) => {
    assert.ok(alreadyExists(e));
    assert.match((e as Error).message, /Version 7 of model iris is taken.*never reused/);
    return true;
  });
  await assert.rejects(b!.hideVersion("iris", 7), /Could not find version 7 of model iris/);
});

test("a version folder put in by hand is a version: numbers go on after it", async () => {
  const root = scratch("by-hand");
  await mkdir(join(root, "iris", "00000012"), { recursive: true });
  const a = await server(root);
  assert.equal(await uploadTo(a, "iris", "next"), 13);
  const hidden = await a.hideVersion("iris", 12);
  assert.deepEqual(await entries(join(root, "iris")), ["13"]);
  await a.removeHidden(hidden);
  assert.equal(await uploadTo(a, "iris", "after"), 14);
});

test("names are checked once, by the protocol's rule; a config's model outside is not managed", async () => {
  const root = scratch("names");
  await mkdir(root);
  const layout = new StateLayout(root);
  const staging = await StagingArea.open(layout.stagingDir, { logger });
  const repository = new ModelRepository({
    layout,
    staging,
    basePathOf: (name) => (name === "elsewhere" ? "/opt/models/elsewhere" : undefined),
    servesRepository: true,
    logger,
  });
  for (const bad of [".servable", "..", "a/b", "-x", ""]) {
    assert.throws(() => repository.modelDir(bad), /Invalid model name/, bad);
  }
  assert.throws(() => repository.modelDir("elsewhere"), /not in the model repository/);
  assert.equal(repository.modelDir("__proto__"), join(root, "__proto__"));
});
