import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import pino from "pino";
import {
  type ServingError,
  type HostTensor,
  type TensorMap,
  serializeExample,
  decodeMessage,
} from "@servable/protocol";
import { initTfjsBackend } from "../../execution/tfjs/tfjs-backend";
import type { Servable } from "../../core/servable";
import { loadInThread } from "../../execution/version-loader";
import type { VersionRunner } from "../../execution/version-runner";
import { savedModelFormat } from "./savedmodel-format";
import {
  constNode,
  node,
  tf1HalfPlusTwo,
  tf2HalfPlusTwo,
  writeSavedModel,
} from "./testing/saved-model-fixtures";
import { printTextMessage } from "./testing/text-format-printer";

const SHARED = resolve(__dirname, "..", "..", "..", "..", "..", "shared", "testdata", "tf-serving");
const SHARED_ABSENT = existsSync(SHARED)
  ? false
  : `${SHARED} is absent: TF Serving's test SavedModels live in ../shared, outside the repository`;

const context = { logger: pino({ level: "silent" }), options: { savedModelTags: ["serve"] } };
const load = (dir: string, tags = ["serve"]): Promise<VersionRunner> =>
  loadInThread(dir, savedModelFormat, { ...context, options: { savedModelTags: tags } });

const floats = (...values: number[]): HostTensor => ({
  dtype: "DT_FLOAT",
  shape: [values.length],
  data: Float32Array.from(values),
});
const examples = (...xs: Record<string, number>[]): HostTensor => ({
  dtype: "DT_STRING",
  shape: [xs.length],
  data: xs.map((x) =>
    serializeExample(
      new Map(Object.entries(x).map(([k, v]) => [k, { kind: "float" as const, values: [v] }])),
    ),
  ),
});
const values = (outputs: TensorMap, key: string) => [...(outputs[key]!.data as Float32Array)];

let work: string;
before(async () => {
  await initTfjsBackend("cpu");
  work = await mkdtemp(join(tmpdir(), "servable-savedmodel-"));
});
after(() => rm(work, { recursive: true, force: true }));

async function loadFixture(
  name: string,
  fixture: ReturnType<typeof tf1HalfPlusTwo>,
  snappy = false,
) {
  const dir = join(work, name);
  await writeSavedModel(dir, fixture.metaGraph, fixture.variables, { snappy });
  return load(dir);
}

async function withModel(loaded: Promise<VersionRunner>, check: (s: Servable) => Promise<void>) {
  const runner = await loaded;
  try {
    await check(runner);
  } finally {
    await runner.close();
  }
}

describe("SavedModels the project writes (TF 1 and TF 2 layouts)", () => {
  for (const snappy of [false, true]) {
    test(`TF 1: variables restored through save/restore_all (${snappy ? "Snappy" : "raw"} checkpoint), ParseExample`, () =>
      withModel(loadFixture(`tf1-${snappy}`, tf1HalfPlusTwo(), snappy), async (s) => {
        assert.equal(s.parsesExamples, true);
        assert.deepEqual(
          values(await s.run("serving_default", { x: floats(1, 2, 5) }), "y"),
          [2.5, 3, 4.5],
        );
        const classified = await s.run("classify_x_to_y", { inputs: examples({ x: 1 }, { x: 2 }) });
        assert.deepEqual(classified.scores!.shape, [2, 1]);
        assert.deepEqual(values(classified, "scores"), [2.5, 3]);
        // x2 is missing from the second example: its default (0) applies.
        const regressed = await s.run("regress_x2_to_y2", {
          inputs: examples({ x: 1, x2: 4 }, { x: 1 }),
        });
        assert.deepEqual(values(regressed, "outputs"), [5, 3]);
      }));
  }

  test("TF 2: nested function calls over resource variables, ParseExampleV2 inside a function", () =>
    withModel(loadFixture("tf2", tf2HalfPlusTwo(), true), async (s) => {
      assert.deepEqual(
        values(await s.run("serving_default", { x: floats(1, 2, 5) }), "y"),
        [2.5, 3, 4.5],
      );
      assert.deepEqual(
        values(await s.run("regress_x2_to_y2", { inputs: examples({ x: 0, x2: 2 }) }), "outputs"),
        [4],
      );
      await assert.rejects(s.run("__saved_model_init_op", {}), /initialization/);
    }));

  test("a required feature that is missing fails as TensorFlow fails it", () =>
    withModel(loadFixture("tf1-required", tf1HalfPlusTwo()), async (s) => {
      await assert.rejects(
        s.run("classify_x_to_y", { inputs: examples({ x2: 1 }) }),
        (e: ServingError) =>
          e.code === "INVALID_ARGUMENT" &&
          e.message ===
            "Name: <unknown>, Key: x, Index: 0.  Feature: x (data type: float) is required but could not be found.",
      );
    }));

  test("a feed whose dtype differs from the graph's is refused as a TensorFlow session refuses it", () =>
    withModel(loadFixture("tf1-dtype", tf1HalfPlusTwo()), async (s) => {
      await assert.rejects(
        s.run("classify_x_to_y", { inputs: floats(1) }),
        /Expects arg\[0\] to be string but float is provided/,
      );
    }));

  test("metadata: SignatureDefs in TF Serving's JSON shape", () =>
    withModel(loadFixture("tf2-meta", tf2HalfPlusTwo()), async (s) => {
      const def = s.signatures.signature_def;
      assert.deepEqual(def.serving_default!.inputs.x, {
        dtype: "DT_FLOAT",
        tensor_shape: { dim: [{ size: "1", name: "" }], unknown_rank: false },
        name: "serving_default_x:0",
      });
      assert.equal(def.regress_x2_to_y2!.method_name, "tensorflow/serving/predict");
      assert.deepEqual(def.__saved_model_init_op!.outputs.__saved_model_init_op!.tensor_shape, {
        dim: [],
        unknown_rank: true,
      });
    }));

  test("saved_model.pbtxt (text format) loads like saved_model.pb", async () => {
    const dir = join(work, "tf2-text");
    const fixture = tf2HalfPlusTwo();
    await writeSavedModel(dir, fixture.metaGraph, fixture.variables);
    const binary = decodeMessage("SavedModel", await readFile(join(dir, "saved_model.pb")));
    await writeFile(join(dir, "saved_model.pbtxt"), printTextMessage("SavedModel", binary));
    await unlink(join(dir, "saved_model.pb"));
    await withModel(load(dir), async (s) => {
      assert.deepEqual(values(await s.run("serving_default", { x: floats(4) }), "y"), [4]);
    });
  });

  test("an op TF.js cannot execute fails the load, naming the op and the node", async () => {
    const fixture = tf1HalfPlusTwo();
    fixture.metaGraph.graph_def!.node!.push(
      node("buckets", "Bucketize", ["x"], {
        T: { type: "DT_FLOAT" },
        boundaries: { list: { f: [0, 1] } },
      }),
    );
    fixture.metaGraph.signature_def!.buckets = {
      inputs: { x: { name: "x:0", dtype: "DT_FLOAT" } },
      outputs: { b: { name: "buckets:0", dtype: "DT_INT32" } },
    };
    await assert.rejects(loadFixture("unsupported", fixture), (e: ServingError) => {
      assert.equal(e.code, "INVALID_ARGUMENT");
      assert.equal(e.retryable, false);
      assert.match(e.message, /cannot execute op Bucketize \(node buckets\)/);
      return true;
    });
  });

  test("TF 2 control flow and lookup tables are refused when the model loads", async () => {
    const flow = tf1HalfPlusTwo();
    flow.metaGraph.graph_def!.node!.push(
      node("cond", "StatelessIf", ["x", "x"], {
        then_branch: { func: { name: "then" } },
        else_branch: { func: { name: "else" } },
      }),
    );
    flow.metaGraph.signature_def!.serving_default!.outputs = {
      y: { name: "cond:0", dtype: "DT_FLOAT" },
    };
    await assert.rejects(
      loadFixture("control-flow", flow),
      /node cond \(op StatelessIf\) calls functions/,
    );
    const table = tf1HalfPlusTwo();
    table.metaGraph.graph_def!.node!.push(
      node("table", "HashTableV2", [], {
        key_dtype: { type: "DT_STRING" },
        value_dtype: { type: "DT_INT64" },
      }),
      node("lookup", "LookupTableFindV2", ["table", "tf_example", "x"], {}),
    );
    table.metaGraph.signature_def!.serving_default!.outputs = {
      y: { name: "lookup:0", dtype: "DT_INT64" },
    };
    await assert.rejects(
      loadFixture("table", table),
      /node table \(op HashTableV2\) is a lookup table/,
    );
  });

  test("a variable the checkpoint does not hold fails the load", async () => {
    const fixture = tf1HalfPlusTwo();
    fixture.variables.delete("b");
    await assert.rejects(loadFixture("missing-variable", fixture), /no tensor "b"/);
  });

  test("tags select the MetaGraph; none matching fails with the tags named", async () => {
    const dir = join(work, "tags");
    const fixture = tf1HalfPlusTwo();
    await writeSavedModel(dir, fixture.metaGraph, fixture.variables);
    await assert.rejects(
      load(dir, ["serve", "gpu"]),
      /Could not find meta graph def matching supplied tags: \{ serve gpu \}/,
    );
  });

  test("a corrupt saved_model.pb fails with a clear error", async () => {
    const dir = join(work, "corrupt");
    const fixture = tf1HalfPlusTwo();
    await writeSavedModel(dir, fixture.metaGraph, fixture.variables);
    await writeFile(
      join(dir, "saved_model.pb"),
      Buffer.from("not a protobuf at all, \xff\xff\xff"),
    );
    await assert.rejects(load(dir), /saved_model\.pb does not parse/);
  });

  test("a frozen SavedModel (constants, no variables/ checkpoint) loads", async () => {
    const dir = join(work, "frozen");
    await writeSavedModel(dir, {
      meta_info_def: { tags: ["serve"] },
      graph_def: {
        node: [
          node("x", "Placeholder", [], { dtype: { type: "DT_FLOAT" } }),
          constNode("two", { dtype: "DT_FLOAT", shape: [], data: Float32Array.of(2) }),
          node("y", "Mul", ["x", "two"], { T: { type: "DT_FLOAT" } }),
        ],
        versions: { producer: 1394 },
      },
      signature_def: {
        serving_default: {
          inputs: { x: { name: "x:0", dtype: "DT_FLOAT" } },
          outputs: { y: { name: "y:0", dtype: "DT_FLOAT" } },
          method_name: "tensorflow/serving/predict",
        },
      },
    });
    await withModel(load(dir), async (s) => {
      assert.deepEqual(values(await s.run("serving_default", { x: floats(1, 3) }), "y"), [2, 6]);
    });
  });
});

describe(
  "TF Serving's test SavedModels (../shared/testdata/tf-serving)",
  { skip: SHARED_ABSENT },
  () => {
    const model = (name: string, version = "00000123") => join(SHARED, name, version);

    test("half_plus_two (TF 1.14): every signature", () =>
      withModel(load(model("saved_model_half_plus_two_cpu")), async (s) => {
        assert.deepEqual(
          values(await s.run("serving_default", { x: floats(1, 2, 5) }), "y"),
          [2.5, 3, 4.5],
        );
        assert.deepEqual(
          values(
            await s.run("classify_x_to_y", { inputs: examples({ x: 1 }, { x: 2 }) }),
            "scores",
          ),
          [2.5, 3],
        );
        assert.deepEqual(
          values(await s.run("regress_x_to_y", { inputs: examples({ x: 1 }) }), "outputs"),
          [2.5],
        );
        assert.deepEqual(
          values(await s.run("regress_x_to_y2", { inputs: examples({ x: 1 }) }), "outputs"),
          [3.5],
        );
        assert.deepEqual(
          values(await s.run("regress_x2_to_y3", { inputs: floats(1, 2, 3) }), "outputs"),
          [3.5, 4, 4.5],
        );
      }));

    test("half_plus_three (TF 1.0): shapes that old graphs leave unknown", () =>
      withModel(load(model("saved_model_half_plus_three")), async (s) => {
        assert.deepEqual(s.signatures.signature_def.serving_default!.inputs.x!.tensor_shape, {
          dim: [],
          unknown_rank: true,
        });
        assert.deepEqual(
          values(await s.run("serving_default", { x: floats(1, 2, 3) }), "y"),
          [3.5, 4, 4.5],
        );
        // The regress signature records DT_FLOAT; the graph's placeholder takes strings.
        assert.deepEqual(
          values(
            await s.run("tensorflow/serving/regress", { inputs: examples({ x: 1 }, { x: 3 }) }),
            "outputs",
          ),
          [3.5, 4.5],
        );
      }));

    for (const version of ["00000123", "00000124"]) {
      test(`half_plus_two_2_versions/${version} (TF 1.1)`, () =>
        withModel(load(model("saved_model_half_plus_two_2_versions", version)), async (s) => {
          assert.deepEqual(values(await s.run("serving_default", { x: floats(3) }), "y"), [3.5]);
          assert.deepEqual(
            values(await s.run("classify_x2_to_y3", { inputs: floats(1) }), "scores"),
            [3.5],
          );
        }));
    }

    test("half_plus_two_tf2 (TF 2.14): nested functions, ParseExampleV2, signature defaults", () =>
      withModel(load(model("saved_model_half_plus_two_tf2_cpu")), async (s) => {
        assert.deepEqual(
          values(await s.run("serving_default", { x: floats(1, 2, 5) }), "y"),
          [2.5, 3, 4.5],
        );
        assert.deepEqual(
          values(await s.run("classify_x_to_y", { inputs: examples({ x: 2 }) }), "scores"),
          [3],
        );
        assert.deepEqual(
          values(await s.run("regress_x_to_y", { inputs: examples({ x: 2 }) }), "outputs"),
          [3],
        );
        assert.deepEqual(
          values(await s.run("regress_x_to_y2", { inputs: examples({ x: 2 }) }), "outputs"),
          [4],
        );
        assert.deepEqual(
          values(await s.run("classify_x2_to_y3", { inputs: floats(2) }), "scores"),
          [4],
        );
        assert.deepEqual(
          values(await s.run("regress_x2_to_y3", { inputs: floats(2) }), "outputs"),
          [4],
        );
        const defaults = s.signatures.signature_def.serving_default!.defaults as Record<
          string,
          { float_val: number[] }
        >;
        assert.deepEqual(defaults.x!.float_val, [0]);
      }));
  },
);
