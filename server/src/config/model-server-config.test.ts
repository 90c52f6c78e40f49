import assert from "node:assert/strict";
import { test } from "node:test";
import { parseModelServerConfig } from "./model-server-config";
import { prometheusPath } from "./monitoring-config";
import { parseTextFormat, TextFields, TextFormatError } from "./text-format";

test("text format: scalars, nested messages, repeated fields, comments, lists", () => {
  const message = parseTextFormat(`
    # a comment
    name: "m" base_path: '/models/m'  # trailing comment
    count: 3 ratio: 1.5f negative: -2 hex: 0x1F flag: true off: False
    nested { inner: "a" } nested < inner: "b" >
    list: [1, 2, 3]
    joined: "ab" "cd"
    enum_value: LATEST
  `);
  const fields = new TextFields(message, "Test");
  assert.equal(fields.string("name"), "m");
  assert.equal(fields.string("base_path"), "/models/m");
  assert.equal(fields.number("count"), 3);
  assert.equal(fields.number("ratio"), 1.5);
  assert.equal(fields.number("negative"), -2);
  assert.equal(fields.number("hex"), 31);
  assert.equal(fields.boolean("flag"), true);
  assert.equal(fields.boolean("off"), false);
  assert.deepEqual(
    fields.messages("nested").map((n) => n.string("inner")),
    ["a", "b"],
  );
  assert.deepEqual(fields.numbers("list"), [1, 2, 3]);
  assert.equal(fields.string("joined"), "abcd");
  assert.equal(fields.string("enum_value"), "LATEST");
});

test("text format errors say where", () => {
  const where = (text: string) => {
    try {
      parseTextFormat(text);
    } catch (error) {
      assert.ok(error instanceof TextFormatError);
      return error.message;
    }
    assert.fail("parsed");
  };
  assert.equal(where('config {\n  name: "m"\n'), '2:9: Expected "}".');
  assert.equal(where("name 5"), '1:6: Expected ":" or "{" after name.');
  assert.equal(where('name: "abc'), "1:7: Unterminated string literal.");
  assert.equal(where("a: 1 $"), '1:6: Unexpected character "$".');
});

test("ModelServerConfig: names, base paths, version policies, labels", () => {
  const configs = parseModelServerConfig(`
    model_config_list {
      config {
        name: "half_plus_two"
        base_path: "/models/half_plus_two"
        model_platform: "tensorflow"
        model_version_policy { latest { num_versions: 2 } }
        version_labels { key: "stable" value: 1 }
        version_labels { key: "canary" value: 2 }
      }
      config { name: "all" base_path: "/models/all" model_version_policy { all {} } }
      config {
        name: "pinned"
        base_path: "/models/pinned"
        model_version_policy { specific { versions: 42 versions: 43 } }
      }
      config { name: "plain" base_path: "/models/plain" }
    }
  `);
  assert.deepEqual(configs, [
    {
      name: "half_plus_two",
      basePath: "/models/half_plus_two",
      modelPlatform: "tensorflow",
      versionPolicy: { kind: "latest", numVersions: 2 },
      versionLabels: { stable: 1, canary: 2 },
    },
    {
      name: "all",
      basePath: "/models/all",
      modelPlatform: "tensorflow",
      versionPolicy: { kind: "all" },
      versionLabels: {},
    },
    {
      name: "pinned",
      basePath: "/models/pinned",
      modelPlatform: "tensorflow",
      versionPolicy: { kind: "specific", versions: [42, 43] },
      versionLabels: {},
    },
    {
      name: "plain",
      basePath: "/models/plain",
      modelPlatform: "tensorflow",
      versionPolicy: { kind: "latest", numVersions: 1 },
      versionLabels: {},
    },
  ]);
  assert.deepEqual(parseModelServerConfig(""), []);
});

test("bad configs are refused with a message that says why", () => {
  assert.throws(
    () => parseModelServerConfig("improperly formatted file"),
    /^Error: Error parsing text-format tensorflow\.serving\.ModelServerConfig: /,
  );
  assert.throws(
    () => parseModelServerConfig('model_config_list { config { base_path: "/m" } }'),
    /ModelConfig: name is required/,
  );
  assert.throws(
    () => parseModelServerConfig('model_config_list { config { name: "m" } }'),
    /ModelConfig m: base_path is required/,
  );
  assert.throws(
    () =>
      parseModelServerConfig(
        'model_config_list { config { name: "m" base_path: "/a" } config { name: "m" base_path: "/b" } }',
      ),
    /Illegal to list model m multiple times in config list/,
  );
  assert.throws(
    () =>
      parseModelServerConfig('model_config_list { config { name: "m" base_path: "/a" typo: 1 } }'),
    /unknown field "typo"/,
  );
  assert.throws(
    () =>
      parseModelServerConfig(
        'model_config_list { config { name: "m" base_path: "/a" model_version_policy { specific { } } } }',
      ),
    /specific version policy lists no versions/,
  );
});

test("monitoring config: Prometheus path, default path, or off", () => {
  assert.equal(prometheusPath(undefined), "/monitoring/prometheus/metrics");
  assert.equal(prometheusPath('prometheus_config { enable: true, path: "/metrics" }'), "/metrics");
  assert.equal(
    prometheusPath("prometheus_config { enable: true }"),
    "/monitoring/prometheus/metrics",
  );
  assert.equal(prometheusPath("prometheus_config { enable: false }"), undefined);
});
