import assert from "node:assert/strict";
import { test } from "node:test";
import { FLAGS, FlagError, helpText, parseFlags } from "./flags";

test("defaults are TF Serving's where TF Serving has the flag", () => {
  const flags = parseFlags([]);
  assert.equal(flags.port, 8500);
  assert.equal(flags.rest_api_port, 8501);
  assert.equal(flags.rest_api_timeout_in_ms, 30000);
  assert.equal(flags.model_name, "default");
  assert.equal(flags.file_system_poll_wait_seconds, 1);
  assert.equal(flags.max_num_load_retries, 5);
  assert.equal(flags.load_retry_interval_micros, 60_000_000);
  assert.equal(flags.model_config_file_poll_wait_seconds, 0);
  assert.equal(flags.rest_api_enable_cors_support, false);
  assert.equal(flags.enable_batching, false);
  assert.equal(flags.saved_model_tags, "serve");
});

test("--name=value, --name value, -name, and bare booleans", () => {
  const flags = parseFlags([
    "--rest_api_port=9000",
    "--model_name",
    "iris",
    "-model_base_path=/models/iris",
    "--rest_api_enable_cors_support",
    "--enable_batching",
    "false",
    "--file_system_poll_wait_seconds=-1",
  ]);
  assert.equal(flags.rest_api_port, 9000);
  assert.equal(flags.model_name, "iris");
  assert.equal(flags.model_base_path, "/models/iris");
  assert.equal(flags.rest_api_enable_cors_support, true);
  assert.equal(flags.enable_batching, false);
  assert.equal(flags.file_system_poll_wait_seconds, -1);
});

test("bad flags are FlagErrors that name the flag", () => {
  const cases: [string[], RegExp][] = [
    [["--no_such_flag=1"], /Unknown flag: --no_such_flag/],
    [["--rest_api_port=abc"], /--rest_api_port takes an integer, got "abc"/],
    [["--rest_api_enable_cors_support=maybe"], /takes true or false/],
    [["--backend=gpu"], /--backend takes one of auto, wasm, cpu, tensorflow/],
    [["--model_name"], /--model_name needs a value/],
    [["positional"], /Unexpected argument: positional/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseFlags(argv),
      (e: unknown) => e instanceof FlagError && message.test(e.message),
      argv.join(" "),
    );
  }
});

test("--help lists every flag with its default", () => {
  const help = helpText();
  for (const flag of FLAGS) assert.ok(help.includes(`--${flag.name}=`), flag.name);
  assert.ok(help.includes("--rest_api_port=8501"));
});
