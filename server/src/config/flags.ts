import { GRAPH_OPTIMIZATION_LEVELS } from "../execution/onnxruntime/session-options";
import { TFJS_ENGINES } from "../execution/version-runner";
import { BACKENDS, type BackendChoice } from "../execution/tfjs/tfjs-backend";

/**
 * The command line of `servable-server`: TF Serving's flag names and defaults where TF
 * Serving has the flag, Servable's own after them. `--help` prints this table.
 */
type FlagType = "int" | "string" | "bool" | "float";

interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly default: string | number | boolean;
  readonly help: string;
  /** Allowed values of a string flag. */
  readonly choices?: readonly string[];
  /** Servable's own flag (TF Serving has none of that name). */
  readonly servable?: true;
}

export const FLAGS = [
  {
    name: "port",
    type: "int",
    default: 8500,
    help: "Port for TF Serving's gRPC API (PredictionService, ModelService; 0 = none).",
  },
  {
    name: "grpc_channel_arguments",
    type: "string",
    default: "",
    help: "Comma-separated key=value gRPC server arguments, integers as numbers (e.g. grpc.max_connection_age_ms=2000,grpc.max_concurrent_streams=100).",
  },
  {
    name: "grpc_max_threads",
    type: "int",
    default: 0,
    help: "Accepted for compatibility (TF Serving's default: 4 x CPUs); gRPC calls are answered on the event loop and run on the model replicas, so there are no gRPC threads to size.",
  },
  {
    name: "ssl_config_file",
    type: "string",
    default: "",
    help: "SSLConfig in text format (server_key, server_cert, custom_ca as PEM text; client_verify): the gRPC port speaks TLS, and the REST port too with --rest_api_ssl.",
  },
  {
    name: "rest_api_port",
    type: "int",
    default: 8501,
    help: "Port for the HTTP/REST API (0 = none).",
  },
  {
    name: "rest_api_host",
    type: "string",
    default: "0.0.0.0",
    help: "Address the REST and gRPC APIs listen on.",
    servable: true,
  },
  {
    name: "rest_api_ssl",
    type: "bool",
    default: false,
    help: "Serve the REST port over HTTPS with --ssl_config_file's key, certificate and client_verify (so the token never crosses a network in clear text).",
    servable: true,
  },
  {
    name: "rest_api_base_path",
    type: "string",
    default: "",
    help: "Path prefix every REST route sits under (e.g. behind jupyter-server-proxy).",
    servable: true,
  },
  {
    name: "rest_api_timeout_in_ms",
    type: "int",
    default: 30000,
    help: "Timeout of one REST inference request, from its arrival to the last byte of the answer: reading, parsing, running and writing (0 = none).",
  },
  {
    name: "rest_api_headers_timeout_in_ms",
    type: "int",
    default: 10000,
    help: "Time a client has to send a request's headers; slower connections are closed (0 = Node's 60 s).",
    servable: true,
  },
  {
    name: "rest_api_max_connections",
    type: "int",
    default: 1024,
    help: "Connections the REST port holds open at once; more are closed on arrival (0 = no cap).",
    servable: true,
  },
  {
    name: "rest_api_enable_cors_support",
    type: "bool",
    default: false,
    help: "Answer CORS preflights and add Access-Control-Allow-* headers.",
  },
  {
    name: "rest_api_max_body_bytes",
    type: "int",
    default: 64 * 1024 * 1024,
    help: "Largest inference request body accepted, after gunzip (413 above it, and the connection is closed without reading on).",
    servable: true,
  },
  {
    name: "model_name",
    type: "string",
    default: "default",
    help: "Name of the model served with --model_base_path.",
  },
  {
    name: "model_base_path",
    type: "string",
    default: "",
    help: "Folder of one model's numbered versions.",
  },
  {
    name: "model_repository",
    type: "string",
    default: "",
    help: "Folder whose subfolders are models (each with numbered versions); new ones are picked up while serving.",
    servable: true,
  },
  {
    name: "model_config_file",
    type: "string",
    default: "",
    help: "ModelServerConfig in text format; overrides --model_name/--model_base_path.",
  },
  {
    name: "model_config_file_poll_wait_seconds",
    type: "int",
    default: 0,
    help: "Seconds between re-reads of --model_config_file (0 = read once).",
  },
  {
    name: "file_system_poll_wait_seconds",
    type: "int",
    default: 1,
    help: "Seconds between polls of model base paths for new versions (0 = once, < 0 = never).",
  },
  {
    name: "max_num_load_retries",
    type: "int",
    default: 5,
    help: "Retries of a failed load that may pass.",
  },
  {
    name: "load_retry_interval_micros",
    type: "int",
    default: 60 * 1000 * 1000,
    help: "Microseconds between load retries.",
  },
  {
    name: "num_load_threads",
    type: "int",
    default: 0,
    help: "Loads that may run at once (0 = one at a time).",
  },
  {
    name: "num_unload_threads",
    type: "int",
    default: 0,
    help: "Accepted for compatibility; unloads never wait on each other.",
  },
  {
    name: "total_model_memory_limit_bytes",
    type: "int",
    default: 0,
    help: "Refuse loads whose estimates (files x 1.2) exceed this total (0 = no limit).",
    servable: true,
  },
  {
    name: "aspired_version_policy",
    type: "string",
    default: "availability_preserving",
    choices: ["availability_preserving", "resource_preserving"],
    help: "Swap versions keeping the old one serving until the new is AVAILABLE, or unload first.",
    servable: true,
  },
  {
    name: "allow_version_labels_for_unavailable_models",
    type: "bool",
    default: false,
    help: "Let a label point at a version that is not AVAILABLE yet.",
  },
  {
    name: "auth_token_file",
    type: "string",
    default: "",
    help: "File whose first line is the management API's bearer token (else $SERVABLE_TOKEN, else one is generated and written to the runtime file).",
    servable: true,
  },
  {
    name: "require_auth_for_reads",
    type: "bool",
    default: false,
    help: "Ask for the bearer token on reads and inference too (health and metrics stay open).",
    servable: true,
  },
  {
    name: "max_upload_bytes",
    type: "int",
    default: 2 * 1024 * 1024 * 1024,
    help: "Largest model version upload accepted (413 above it).",
    servable: true,
  },
  {
    name: "max_upload_files",
    type: "int",
    default: 1000,
    help: "Most files one version upload may hold.",
    servable: true,
  },
  {
    name: "rollout_guard",
    type: "string",
    default: "",
    help: 'Default rollout guard rails: "" (none), "default", or field=value,... of window_seconds=60,min_requests=20,max_error_rate_increase=0.05,max_p99_ratio=2 (the defaults).',
    servable: true,
  },
  {
    name: "saved_model_tags",
    type: "string",
    default: "serve",
    help: "Comma-separated MetaGraph tags to load.",
  },
  {
    name: "backend",
    type: "string",
    default: "auto",
    choices: BACKENDS,
    help: "TensorFlow.js backend: auto (tensorflow if @tensorflow/tfjs-node is installed, else wasm, else cpu).",
    servable: true,
  },
  {
    name: "tfjs_engine",
    type: "string",
    default: "auto",
    choices: TFJS_ENGINES,
    help: "Engine of TF.js layers models: auto (compiled to ONNX and run on ONNX Runtime when every layer maps, onnxruntime-node is installed and both engines agree on a sample input; else TF.js, and the version's status says why), tfjs, or onnxruntime (a model that does not compile fails its load).",
    servable: true,
  },
  {
    name: "onnx_intra_op_threads",
    type: "int",
    default: 0,
    help: "Threads one ONNX Runtime session computes a request on (0 = the cores divided among a version's replicas).",
    servable: true,
  },
  {
    name: "onnx_graph_optimization_level",
    type: "string",
    default: "all",
    choices: GRAPH_OPTIMIZATION_LEVELS,
    help: "ONNX Runtime's graph optimizations applied when a model loads.",
    servable: true,
  },
  {
    name: "enable_batching",
    type: "bool",
    default: false,
    help: "Merge concurrent requests into batches.",
  },
  {
    name: "model_replicas",
    type: "int",
    default: -1,
    help: "Worker threads per model version, each with its own runtime and copy of the model (0 = run it on the REST thread; -1 = 1, or num_batch_threads with --enable_batching but never more than the cores left after the REST thread: os.availableParallelism() - 1, at least 1). A number given here is used as it is.",
    servable: true,
  },
  {
    name: "batching_parameters_file",
    type: "string",
    default: "",
    help: "BatchingParameters in text format.",
  },
  {
    name: "enable_model_warmup",
    type: "bool",
    default: true,
    help: "Replay a version's assets.extra/tf_serving_warmup_requests (TFRecord of PredictionLog, at most 1000) before it becomes AVAILABLE, to reduce first request latency.",
  },
  {
    name: "num_request_iterations_for_warmup",
    type: "int",
    default: 0,
    help: "Times each warmup request runs during warmup replay (used only if > 0; otherwise once).",
  },
  {
    name: "request_log_max_file_bytes",
    type: "int",
    default: 64 * 1024 * 1024,
    help: "Size at which a request log file (logging_config in --model_config_file) is closed and the next one started.",
    servable: true,
  },
  {
    name: "request_log_max_files",
    type: "int",
    default: 10,
    help: "Request log files kept per filename_prefix; the oldest is deleted when a new one starts (0 = keep all).",
    servable: true,
  },
  {
    name: "monitoring_config_file",
    type: "string",
    default: "",
    help: "MonitoringConfig in text format (Prometheus).",
  },
  {
    name: "log_level",
    type: "string",
    default: "info",
    choices: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
    help: "Least severe log level written (logs are JSON lines on stdout).",
    servable: true,
  },
  { name: "version", type: "bool", default: false, help: "Print the version and exit." },
  { name: "help", type: "bool", default: false, help: "Print this help and exit." },
] as const satisfies readonly FlagSpec[];

type FlagName = (typeof FLAGS)[number]["name"];
type FlagValue<F> = F extends { type: "bool" }
  ? boolean
  : F extends { type: "string" }
    ? string
    : number;

/** Parsed flags, by flag name. */
export type Flags = { [F in (typeof FLAGS)[number] as F["name"]]: FlagValue<F> } & {
  backend: BackendChoice;
};

export class FlagError extends Error {}

/** Parses `--name=value`, `--name value` and bare `--name` for booleans. */
export function parseFlags(argv: readonly string[]): Flags {
  const specs = new Map<string, FlagSpec>(FLAGS.map((f) => [f.name, f]));
  const values: Record<string, string | number | boolean> = Object.fromEntries(
    FLAGS.map((f) => [f.name, f.default]),
  );
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--?([A-Za-z0-9_]+)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new FlagError(`Unexpected argument: ${arg}`);
    const [, name, inline] = match as unknown as [string, string, string | undefined];
    const spec = specs.get(name);
    if (!spec) throw new FlagError(`Unknown flag: --${name} (see --help)`);
    let raw = inline;
    if (raw === undefined) {
      if (
        spec.type === "bool" &&
        (argv[i + 1] === undefined || !/^(true|false)$/.test(argv[i + 1]!))
      ) {
        raw = "true";
      } else {
        raw = argv[++i];
        if (raw === undefined) throw new FlagError(`Flag --${name} needs a value`);
      }
    }
    values[name] = convert(spec, raw);
  }
  return values as Flags;
}

function convert(spec: FlagSpec, raw: string): string | number | boolean {
  switch (spec.type) {
    case "bool":
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      throw new FlagError(`Flag --${spec.name} takes true or false, got "${raw}"`);
    case "int": {
      if (!/^-?\d+$/.test(raw))
        throw new FlagError(`Flag --${spec.name} takes an integer, got "${raw}"`);
      return Number(raw);
    }
    case "float": {
      const value = Number(raw);
      if (raw.trim() === "" || Number.isNaN(value))
        throw new FlagError(`Flag --${spec.name} takes a number, got "${raw}"`);
      return value;
    }
    case "string":
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new FlagError(
          `Flag --${spec.name} takes one of ${spec.choices.join(", ")}, got "${raw}"`,
        );
      }
      return raw;
  }
}

export function helpText(): string {
  const lines = [
    "usage: servable-server [--flag=value ...]",
    "",
    "Serves TensorFlow.js, SavedModel and ONNX models over TensorFlow Serving's REST API.",
    "",
    "Flags (TF Serving's names and defaults; * marks Servable's own):",
  ];
  for (const flag of FLAGS as readonly FlagSpec[]) {
    const mark = flag.servable ? "*" : " ";
    const choices = flag.choices ? ` (${flag.choices.join("|")})` : "";
    lines.push(`  ${mark}--${flag.name}=${JSON.stringify(flag.default)}  ${flag.type}${choices}`);
    lines.push(`        ${flag.help}`);
  }
  return lines.join("\n");
}

export type { FlagName };
