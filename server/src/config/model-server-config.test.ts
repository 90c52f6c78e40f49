import assert from "node:assert/strict";
import { test } from "node:test";
import { parseModelServerConfig } from "./model-server-config";
import { prometheusPath } from "./monitoring-config";

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
  assert.equal(parseModelServerConfig(""), undefined);
  assert.equal(parseModelServerConfig("# no models\n"), undefined);
  assert.deepEqual(parseModelServerConfig("model_config_list {}"), []);
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
    /ModelConfig has no field typo/,
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

test("ModelServerConfig: logging_config names the log's prefix and sampling rate", () => {
  const [config] = parseModelServerConfig(`
    model_config_list {
      config {
        name: "iris"
        base_path: "/models/iris"
        logging_config {
          log_collector_config { type: "" filename_prefix: "/var/log/servable/iris" }
          sampling_config { sampling_rate: 0.25 }
        }
      }
    }
  `)!;
  assert.deepEqual(config?.logging, {
    filenamePrefix: "/var/log/servable/iris",
    samplingRate: 0.25,
  });
  const parse = (logging: string) => () =>
    parseModelServerConfig(
      `model_config_list { config { name: "m" base_path: "/m" logging_config { ${logging} } } }`,
    );
  assert.throws(
    parse(`log_collector_config { type: "kafka" filename_prefix: "/l" }`),
    /ModelConfig m: Cannot find LogCollector::Factory for type: kafka/,
  );
  assert.throws(
    parse(`sampling_config { sampling_rate: 1 }`),
    /logging_config needs log_collector_config \{ filename_prefix/,
  );
  assert.throws(
    parse(`log_collector_config { filename_prefix: "/l" } sampling_config { sampling_rate: 1.5 }`),
    /sampling_rate must be in \[0, 1\], got 1.5/,
  );
});
