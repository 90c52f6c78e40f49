import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { getJson, postJson, ROOT, startServer, waitFor, type ServerProcess } from "../support";

/**
 * TF Serving's own test SavedModels (../shared/testdata/tf-serving), served by a real
 * servable-server process the way tensorflow_model_server serves them, with TF Serving's
 * answers: every signature each model declares, through :predict, :classify and
 * :regress, and its metadata.
 */
const SHARED = join(ROOT, "..", "shared", "testdata", "tf-serving");
const skip = existsSync(SHARED)
  ? false
  : `${SHARED} is absent: TF Serving's test SavedModels live in ../shared, outside the repository`;

const squash = (text: string) => text.replace(/\s+/g, "");
/** JSON.stringify would write 2.0 as 2, which TF Serving reads as an int64 feature: bodies are written as text. */
const body = (text: string) => text;

describe(
  "tensorflow_model_server's invocation: --model_name=default --model_base_path=…/saved_model_half_plus_two_cpu",
  { skip },
  () => {
    let server: ServerProcess;
    before(async () => {
      server = await startServer([
        "--model_name=default",
        `--model_base_path=${join(SHARED, "saved_model_half_plus_two_cpu")}`,
      ]);
      await waitFor(async () =>
        (await getJson(`${server.url}/v1/models/default`)).status === 200 ? true : undefined,
      );
    });
    after(() => server?.stop());

    const url = (suffix: string) => `${server.url}/v1/models/default${suffix}`;

    test("the documented request answers as TF Serving does, byte for byte once spaces go", async () => {
      const res = await postJson(url(":predict"), { instances: [1.0, 2.0, 5.0] });
      assert.equal(res.status, 200);
      assert.equal(squash(res.text), '{"predictions":[2.5,3.0,4.5]}');
    });

    test("version 123 is AVAILABLE", async () => {
      const res = await getJson(url(""));
      assert.deepEqual(res.json, {
        model_version_status: [
          { version: "123", state: "AVAILABLE", status: { error_code: "OK", error_message: "" } },
        ],
      });
    });

    test("classify and regress on tf.Example JSON, every classify/regress signature", async () => {
      const classify = await postJson(
        url(":classify"),
        body('{"signature_name": "classify_x_to_y", "examples": [{"x": 1.0}, {"x": 2.0}]}'),
      );
      assert.equal(squash(classify.text), '{"results":[[["",2.5]],[["",3.0]]]}');
      const regress = async (signature: string, rest: string) =>
        squash(
          (await postJson(url(":regress"), body(`{"signature_name": "${signature}", ${rest}}`)))
            .text,
        );
      assert.equal(
        await regress("regress_x_to_y", '"examples": [{"x": 2.0}]'),
        '{"results":[3.0]}',
      );
      assert.equal(
        await regress("regress_x_to_y2", '"examples": [{"x": 2.0}]'),
        '{"results":[4.0]}',
      );
      // The context's features go into every example that lacks them.
      assert.equal(
        await regress("regress_x_to_y2", '"context": {"x": 4.0}, "examples": [{}, {"x": 0.0}]'),
        '{"results":[5.0,3.0]}',
      );
    });

    test("regress_x2_to_y3 takes x2 directly: predict works, regress fails as TF Serving's session does", async () => {
      const predict = await postJson(url(":predict"), {
        signature_name: "regress_x2_to_y3",
        instances: [[1.0], [2.0]],
      });
      assert.equal(squash(predict.text), '{"predictions":[[3.5],[4.0]]}');
      const regress = await postJson(
        url(":regress"),
        body('{"signature_name": "regress_x2_to_y3", "examples": [{"x2": 1.0}]}'),
      );
      assert.equal(regress.status, 400);
      assert.deepEqual(regress.json, {
        error: "Expects arg[0] to be float but string is provided",
      });
    });

    test("feature errors carry TensorFlow's texts", async () => {
      const asInt = await postJson(
        url(":regress"),
        body('{"signature_name": "regress_x_to_y", "examples": [{"x": 2}]}'),
      );
      assert.equal(asInt.status, 400);
      assert.deepEqual(asInt.json, {
        error:
          "Name: <unknown>, Key: x, Index: 0.  Data types don't match. Data type: int64 but expected type: float",
      });
      const missing = await postJson(
        url(":classify"),
        body('{"signature_name": "classify_x_to_y", "examples": [{"y": 1.0}]}'),
      );
      assert.deepEqual(missing.json, {
        error:
          "Name: <unknown>, Key: x, Index: 0.  Feature: x (data type: float) is required but could not be found.",
      });
    });

    test("metadata prints the SavedModel's SignatureDefs in TF Serving's shape", async () => {
      const res = await getJson(url("/metadata"));
      const body = res.json as {
        model_spec: unknown;
        metadata: { signature_def: { signature_def: Record<string, Record<string, unknown>> } };
      };
      assert.deepEqual(body.model_spec, { name: "default", signature_name: "", version: "123" });
      const defs = body.metadata.signature_def.signature_def;
      assert.deepEqual(Object.keys(defs).sort(), [
        "classify_x_to_y",
        "regress_x2_to_y3",
        "regress_x_to_y",
        "regress_x_to_y2",
        "serving_default",
      ]);
      const column = {
        dim: [
          { size: "-1", name: "" },
          { size: "1", name: "" },
        ],
        unknown_rank: false,
      };
      assert.deepEqual(defs.serving_default, {
        inputs: { x: { dtype: "DT_FLOAT", tensor_shape: column, name: "x:0" } },
        outputs: { y: { dtype: "DT_FLOAT", tensor_shape: column, name: "y:0" } },
        method_name: "tensorflow/serving/predict",
        defaults: {},
      });
      assert.deepEqual(defs.classify_x_to_y, {
        inputs: {
          inputs: {
            dtype: "DT_STRING",
            tensor_shape: { dim: [], unknown_rank: true },
            name: "tf_example:0",
          },
        },
        outputs: { scores: { dtype: "DT_FLOAT", tensor_shape: column, name: "y:0" } },
        method_name: "tensorflow/serving/classify",
        defaults: {},
      });
    });
  },
);

describe("all four test models in one server (--model_config_file)", { skip }, () => {
  let server: ServerProcess;
  let work: string;
  const models = {
    half_plus_two: "saved_model_half_plus_two_cpu",
    half_plus_three: "saved_model_half_plus_three",
    two_versions: "saved_model_half_plus_two_2_versions",
    tf2: "saved_model_half_plus_two_tf2_cpu",
  };
  before(async () => {
    work = await mkdtemp(join(tmpdir(), "servable-tfs-models-"));
    const config = join(work, "models.config");
    const entries = Object.entries(models).map(
      ([name, dir]) =>
        `config { name: "${name}" base_path: "${join(SHARED, dir)}" model_platform: "tensorflow"${
          name === "two_versions" ? " model_version_policy { all {} }" : ""
        } }`,
    );
    await writeFile(config, `model_config_list { ${entries.join("\n")} }\n`);
    server = await startServer([`--model_config_file=${config}`]);
    for (const name of Object.keys(models)) {
      await waitFor(async () => {
        const status = (await getJson(`${server.url}/v1/models/${name}`)).json as {
          model_version_status?: { state: string }[];
        };
        const states = status.model_version_status?.map((s) => s.state) ?? [];
        return states.length > 0 && states.every((s) => s === "AVAILABLE") ? true : undefined;
      });
    }
  });
  after(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const post = async (path: string, request: unknown) =>
    squash((await postJson(`${server.url}/v1/models/${path}`, request)).text);

  test("half_plus_three (TF 1.0): shapeless TensorInfos; regress through a signature that records DT_FLOAT", async () => {
    assert.equal(
      await post("half_plus_three:predict", { instances: [1.0, 2.0, 3.0] }),
      '{"predictions":[3.5,4.0,4.5]}',
    );
    assert.equal(
      await post(
        "half_plus_three:regress",
        body(
          '{"signature_name": "tensorflow/serving/regress", "examples": [{"x": 1.0}, {"x": 3.0}]}',
        ),
      ),
      '{"results":[3.5,4.5]}',
    );
    const meta = (await getJson(`${server.url}/v1/models/half_plus_three/metadata`)).json as {
      metadata: {
        signature_def: { signature_def: Record<string, { inputs: Record<string, unknown> }> };
      };
    };
    assert.deepEqual(
      meta.metadata.signature_def.signature_def["tensorflow/serving/regress"]!.inputs,
      {
        inputs: {
          dtype: "DT_FLOAT",
          tensor_shape: { dim: [], unknown_rank: true },
          name: "tf_example:0",
        },
      },
    );
  });

  test("half_plus_two_2_versions (TF 1.1): both versions, classify_x2_to_y3 through predict", async () => {
    for (const version of [123, 124]) {
      assert.equal(
        await post(`two_versions/versions/${version}:predict`, { instances: [1.0] }),
        '{"predictions":[2.5]}',
      );
      assert.equal(
        await post(`two_versions/versions/${version}:predict`, {
          signature_name: "classify_x2_to_y3",
          instances: [[1.0]],
        }),
        '{"predictions":[[3.5]]}',
      );
    }
    assert.equal(
      await post(
        "two_versions:classify",
        body('{"signature_name": "classify_x_to_y", "examples": [{"x": 4.0}]}'),
      ),
      '{"results":[[["",4.0]]]}',
    );
  });

  test("half_plus_two_tf2 (TF 2.14): every signature, classify/regress on signatures whose method is predict", async () => {
    assert.equal(
      await post("tf2:predict", { instances: [1.0, 2.0, 5.0] }),
      '{"predictions":[2.5,3.0,4.5]}',
    );
    const examples = (signature: string) =>
      body(`{"signature_name": "${signature}", "examples": [{"x": 2.0}]}`);
    assert.equal(
      await post("tf2:classify", examples("classify_x_to_y")),
      '{"results":[[["",3.0]]]}',
    );
    assert.equal(await post("tf2:regress", examples("regress_x_to_y")), '{"results":[3.0]}');
    assert.equal(await post("tf2:regress", examples("regress_x_to_y2")), '{"results":[4.0]}');
    for (const signature_name of ["classify_x2_to_y3", "regress_x2_to_y3"]) {
      assert.equal(
        await post("tf2:predict", { signature_name, instances: [2.0] }),
        '{"predictions":[4.0]}',
      );
    }
    const meta = (await getJson(`${server.url}/v1/models/tf2/metadata`)).json as {
      metadata: {
        signature_def: {
          signature_def: Record<string, { inputs: Record<string, unknown>; method_name: string }>;
        };
      };
    };
    const defs = meta.metadata.signature_def.signature_def;
    assert.equal(defs.classify_x_to_y!.method_name, "tensorflow/serving/predict");
    assert.deepEqual(defs.serving_default!.inputs, {
      x: {
        dtype: "DT_FLOAT",
        tensor_shape: { dim: [{ size: "1", name: "" }], unknown_rank: false },
        name: "serving_default_x:0",
      },
    });
    assert.ok(
      defs.__saved_model_init_op,
      "the init op's signature is listed, as TF Serving lists it",
    );
  });

  test("half_plus_two (TF 1.14) beside them", async () => {
    assert.equal(
      await post("half_plus_two:predict", { inputs: { x: [[1.0], [2.0]] } }),
      '{"outputs":[[2.5],[3.0]]}',
    );
  });
});
