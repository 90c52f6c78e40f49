import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { FLAGS } from "../../server/src/config/flags";
import { freePort, getJson, postJson, ROOT, startCommand } from "../support";

/**
 * The container, Kubernetes and KServe files name only what servable-server has: its
 * flags, its ports, its health endpoints; and the image's entrypoint runs as a plain
 * process with the image's arguments and environment.
 */
const FLAG_NAMES = new Set<string>(FLAGS.map((f) => f.name));
const ENTRYPOINT = join(ROOT, "docker", "servable-entrypoint.sh");

interface Container {
  file: string;
  command?: string[];
  args?: string[];
  ports?: { containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  livenessProbe?: { httpGet?: { path: string; port: number | string } };
}

function manifests(): { file: string; doc: Record<string, unknown> }[] {
  const dir = join(ROOT, "deploy");
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => {
        assert.deepEqual(d.errors, [], `${file} parses`);
        return { file, doc: d.toJS() as Record<string, unknown> };
      }),
    );
}

function containers(): Container[] {
  const found: Container[] = [];
  const walk = (value: unknown, file: string): void => {
    if (Array.isArray(value)) value.forEach((v) => walk(v, file));
    else if (value && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        if (key === "containers") for (const c of v as Container[]) found.push({ ...c, file });
        else walk(v, file);
      }
    }
  };
  for (const { file, doc } of manifests()) walk(doc, file);
  return found;
}

/** The flags a container passes: its args, after the image entrypoint's own when it keeps it. */
function flagsOf(container: Container): Map<string, string> {
  const entrypoint = container.command ? [] : entrypointFlags();
  const flags = new Map<string, string>();
  for (const arg of [...entrypoint, ...(container.args ?? [])]) {
    const match = /^--([A-Za-z0-9_]+)(?:=(.*))?$/.exec(arg);
    assert.ok(match, `${container.file}: ${arg} is a --flag`);
    flags.set(match[1]!, match[2] ?? "true");
  }
  return flags;
}

/** The flags the entrypoint script passes, as written in it (`--port=8500`). */
function entrypointFlags(): string[] {
  return [...readFileSync(ENTRYPOINT, "utf8").matchAll(/(--[a-z_]+=\S+)/g)].map((m) => m[1]!);
}

test("every manifest parses, and there are the ones the docs name", () => {
  const kinds = manifests().map((m) => m.doc.kind);
  for (const kind of [
    "Deployment",
    "Service",
    "HorizontalPodAutoscaler",
    "PersistentVolumeClaim",
    "ServingRuntime",
    "InferenceService",
  ]) {
    assert.ok(kinds.includes(kind), `a ${kind} manifest`);
  }
});

test("containers name only servable-server's flags, and expose the ports those flags open", () => {
  const all = containers();
  assert.ok(all.length >= 2);
  for (const container of all) {
    const flags = flagsOf(container);
    for (const name of flags.keys())
      assert.ok(FLAG_NAMES.has(name), `${container.file}: --${name} is a servable-server flag`);
    const rest = Number(flags.get("rest_api_port"));
    const grpc = Number(flags.get("port"));
    const exposed = (container.ports ?? []).map((p) => p.containerPort);
    assert.ok(exposed.includes(rest), `${container.file}: exposes the REST port ${rest}`);
    assert.ok(
      exposed.every((p) => p === rest || p === grpc),
      `${container.file}: exposes only ${rest} and ${grpc}`,
    );
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      if (!probe?.httpGet) continue;
      assert.match(
        probe.httpGet.path,
        /^\/v2\/health\/(live|ready)$/,
        `${container.file}: probes a health endpoint`,
      );
    }
  }
  for (const command of all.flatMap((c) => c.command ?? []))
    assert.equal(command, "servable-server");
});

test("the image's entrypoint runs with TF Serving's environment and answers the probes", async () => {
  const rest = await freePort();
  const grpc = await freePort();
  const server = await startCommand(
    ["sh", ENTRYPOINT],
    [`--port=${grpc}`, `--rest_api_port=${rest}`, "--rest_api_host=127.0.0.1"],
    rest,
    {
      env: {
        MODEL_NAME: "half_plus_two",
        MODEL_BASE_PATH: join(ROOT, "server", "demo", "models"),
        PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`,
      },
    },
  );
  try {
    assert.equal((await getJson(`${server.url}/v2/health/live`)).status, 200);
    assert.equal((await getJson(`${server.url}/v2/health/ready`)).status, 200);
    const answer = await postJson(
      `${server.url}/v1/models/half_plus_two:predict`,
      '{"instances": [1.0, 2.0, 5.0]}',
    );
    assert.equal(answer.text.replace(/\s/g, ""), '{"predictions":[2.5,3.0,4.5]}');
    await server.waitForLog(
      (l) => typeof l.msg === "string" && l.msg.startsWith("Running gRPC ModelServer"),
    );
  } finally {
    await server.stop();
  }
});
