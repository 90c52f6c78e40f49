import assert from "node:assert/strict";
import { test } from "node:test";
import { servingType } from "./serving-protos";
import { parseTextProto, TextFormatError } from "./text-format";

test("text format: comments, quotes, joined strings, nested messages both ways, maps, enums", () => {
  const config = parseTextProto(
    servingType("ModelServerConfig"),
    `
    # a comment
    model_config_list {
      config { name: "m" base_path: '/models/' "m"  # trailing comment
        model_type: TENSORFLOW
        version_labels { key: "stable" value: 3 }
        model_version_policy < specific { versions: 1 versions: 2 } >
      }
    }`,
  );
  assert.deepEqual(config, {
    model_config_list: {
      config: [
        {
          name: "m",
          base_path: "/models/m",
          model_type: "TENSORFLOW",
          version_labels: { stable: "3" },
          model_version_policy: { specific: { versions: ["1", "2"] } },
        },
      ],
    },
  });
});

test("text format: wrappers, lists, hex, negative numbers, booleans", () => {
  const params = parseTextProto(
    servingType("BatchingParameters"),
    "max_batch_size { value: 0x1F } batch_timeout_micros { value: -2 }\n" +
      "allowed_batch_sizes: [4, 8] allowed_batch_sizes: 31 pad_variable_length_inputs: False",
  );
  assert.deepEqual(params.max_batch_size, { value: "31" });
  assert.deepEqual(params.batch_timeout_micros, { value: "-2" });
  assert.deepEqual(params.allowed_batch_sizes, ["4", "8", "31"]);
  assert.equal(params.pad_variable_length_inputs, false);
});

test("text format errors say where", () => {
  const where = (text: string) => {
    try {
      parseTextProto(servingType("ModelServerConfig"), text);
    } catch (error) {
      assert.ok(error instanceof TextFormatError, String(error));
      return error.message;
    }
    assert.fail("parsed");
  };
  assert.match(where('model_config_list { config {\n  name: "m"\n'), /^line (2|end): expected "}"/);
  assert.match(where("model_config_list 5"), /^line 1: /);
  assert.match(where('model_config_list { config { name: "abc } }'), /^line 1: /);
  assert.match(where("typo: 1"), /^line 1: ModelServerConfig has no field typo/);
});
