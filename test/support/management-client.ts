import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { getJson, postJson, ROOT } from "./server-process";

/**
 * What the management tests send a server: uploads of the demo model (with other weights,
 * so versions answer differently), label and delete calls, status reads, and the files a
 * repository holds. Each takes the server's URL, so one test can talk to several servers.
 */
const DEMO = join(ROOT, "server", "demo", "models", "half_plus_two", "1");

export type Files = [path: string, data: Blob][];

export interface Answer {
  status: number;
  json: Record<string, unknown>;
}

/** The demo model's files. */
export async function demoFiles(): Promise<Files> {
  return Promise.all(
    ["model.json", "group1-shard1of1.bin", "signatures.json"].map(
      async (f): Promise<[string, Blob]> => [f, new Blob([await readFile(join(DEMO, f))])],
    ),
  );
}

/** The demo model answering y = 0.5x + b. */
export async function linearFiles(b: number): Promise<Files> {
  const files = await demoFiles();
  files[1] = [files[1]![0], new Blob([Float32Array.of(0.5, b, 3, 0.5, 3)])];
  return files;
}

export async function upload(
  url: string,
  name: string,
  files: Files,
  options: { token?: string; query?: string } = {},
): Promise<Answer> {
  const form = new FormData();
  for (const [path, data] of files) form.append(path, data, path);
  const res = await fetch(`${url}/v1/models/${name}/versions${options.query ?? ""}`, {
    method: "POST",
    body: form,
    headers: options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` },
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export async function call(
  url: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token !== undefined && { Authorization: `Bearer ${token}` }),
      ...(body !== undefined && { "Content-Type": "application/json" }),
    },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export interface VersionStatus {
  version: string;
  state: string;
  status: { error_code: string; error_message: string };
}

/** A model's version states, or undefined when the server knows no version of it. */
export async function versionStates(url: string, name: string): Promise<VersionStatus[]> {
  const answer = await getJson(`${url}/v1/models/${name}`);
  if (answer.status !== 200) return [];
  return (answer.json as { model_version_status: VersionStatus[] }).model_version_status;
}

/**
 * The status of the version `name` lists first once it is in `state`, else undefined: what
 * `waitFor` polls for while a model loads or fails.
 */
export async function versionInState(
  url: string,
  name: string,
  state: string,
): Promise<VersionStatus | undefined> {
  const [first] = await versionStates(url, name);
  return first?.state === state ? first : undefined;
}

/** One version's state, or `HTTP <status>` when the server does not know it. */
export async function stateOf(url: string, name: string, version: number): Promise<string> {
  const answer = await getJson(`${url}/v1/models/${name}/versions/${version}`);
  if (answer.status !== 200) return `HTTP ${answer.status}`;
  return (answer.json as { model_version_status: { state: string }[] }).model_version_status[0]!
    .state;
}

/** y for x on serving_default, or the error status and text. */
export async function predict(
  url: string,
  path: string,
  x: number,
): Promise<{ status: number; y?: number; error?: string }> {
  const answer = await postJson(`${url}/v1/models/${path}:predict`, { instances: [[x]] });
  if (answer.status !== 200) {
    return { status: answer.status, error: (answer.json as { error?: string })?.error };
  }
  return { status: 200, y: (answer.json as { predictions: number[][] }).predictions[0]![0]! };
}

export interface ListedModel {
  name: string;
  labels: Record<string, string>;
  model_version_status: VersionStatus[];
}

/** GET /v1/models. */
export async function listing(url: string): Promise<ListedModel[]> {
  return ((await getJson(`${url}/v1/models`)).json as { models: ListedModel[] }).models;
}

/** Every file and folder under `dir`, relative, sorted. */
export async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map(String).sort();
}

/** Threads and resident memory of a process, from /proc (Linux). */
export async function processUsage(pid: number): Promise<{ threads: number; rssMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)![1]);
  return { threads: field("Threads"), rssMb: Math.round(field("VmRSS") / 1024) };
}
