import { readFile } from "node:fs/promises";
import { availableParallelism, hostname } from "node:os";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { grpcCredentials } from "./api/grpc/grpc-credentials";
import { GrpcApi } from "./api/grpc/grpc-server";
import { replayWarmupRecord } from "./api/grpc/warmup-replay";
import { createHttpServer } from "./api/http/http-server";
import { HttpInference } from "./api/http/http-inference";
import { JsonCodecs } from "./api/http/json-codecs";
import { InferenceLifecycle } from "./api/inference/inference-lifecycle";
import { CoreVersionResolver } from "./api/inference/version-resolver";
import {
  defaultBatchingParameters,
  parseBatchingParameters,
} from "./execution/batching/batching-parameters";
import { resolveToken } from "./api/management/auth-token";
import { createManagementApi, type ManagementApi } from "./api/management/management-api";
import { ServingMetrics } from "./api/metrics";
import { RequestLogger } from "./api/request-log/request-logger";
import { createRestApp } from "./api/http/rest-app";
import { ModelEvents } from "./api/http/model-events";
import { VersionDigests } from "./api/rest/version-digests";
import { FlagError, type Flags } from "./config/flags";
import { parseGrpcChannelArguments } from "./config/grpc-channel-arguments";
import { httpsOptions, readSslConfig } from "./config/ssl-config";
import { configFile, modelRepository, singleModel } from "./config/model-config-providers";
import { prometheusPath } from "./config/monitoring-config";
import { AvailabilityPreservingPolicy } from "./core/availability-preserving-policy";
import { ResourcePreservingPolicy } from "./core/resource-preserving-policy";
import { MODEL_FORMATS } from "./formats";
import { onnxSettings } from "./execution/onnxruntime/session-options";
import type { TfjsEngine } from "./execution/version-runner";
import { VersionDirectoryAdapter } from "./execution/version-directory-adapter";
import { createLogger } from "./logger";
import { replicaCount } from "./execution/replicas/replica-count";
import { WarmWorkers } from "./execution/replicas/warm-workers";
import { initTfjsBackend } from "./execution/tfjs/tfjs-backend";
import { ServerCore, type ModelConfigProvider } from "./core/server-core";
import { MemoryLabelState } from "./repository/label-state";
import { openRepositoryState } from "./repository/repository-state";
import { MemoryRolloutState } from "./repository/rollout-state";
import { parseGuardFlag } from "./api/rollout/rollout-guard";
import { Rollouts } from "./api/rollout/rollouts";

export interface RunningServer {
  readonly core: ServerCore;
  /** http://host:port of the REST API (with its base path), if it is on. */
  readonly restUrl: string | undefined;
  readonly logger: Logger;
  /** Stops accepting requests, lets running ones finish, unloads every model. */
  close(): Promise<void>;
}

/**
 * Starts a server from parsed flags (TF Serving's server.cc): the runtime, then the ports
 * — open at once, so liveness answers while models load — then the model lifecycle.
 * Readiness (/v2/health/ready) follows the first versions: see ServerCore.isReady().
 */
export async function startServer(
  flags: Flags,
  logger = createLogger(flags.log_level),
): Promise<RunningServer> {
  const configProvider = modelConfigProvider(flags);
  if (flags.batching_parameters_file && !flags.enable_batching) {
    throw new FlagError("--batching_parameters_file requires --enable_batching");
  }
  const metricsPath = prometheusPath(
    flags.monitoring_config_file ? await readFile(flags.monitoring_config_file, "utf8") : undefined,
  );
  const backend = await initTfjsBackend(flags.backend, logger);
  const batching = flags.enable_batching
    ? flags.batching_parameters_file
      ? parseBatchingParameters(await readFile(flags.batching_parameters_file, "utf8"))
      : defaultBatchingParameters()
    : undefined;
  // By default model math never runs on the thread that answers HTTP (health probes
  // included): one worker per version, or one per batch thread with batching, up to the
  // cores left after the REST thread.
  const replicas = replicaCount({
    requested: flags.model_replicas,
    numBatchThreads: batching?.numBatchThreads,
    cores: availableParallelism(),
  });
  // Replicas start from warm workers: a new version skips the runtime's start-up.
  const workers = replicas > 0 ? new WarmWorkers({ backend }) : undefined;
  const metrics = new ServingMetrics();
  // The repository's shared state (labels, staging): every server on it follows it.
  const repositoryState = flags.model_repository
    ? await openRepositoryState(flags.model_repository, { logger })
    : undefined;
  const labelState = repositoryState?.labels ?? new MemoryLabelState();
  // Rollouts are repository state too: every server splits a model's traffic alike.
  const rolloutState = repositoryState?.rollouts ?? new MemoryRolloutState();
  let defaultGuard;
  try {
    defaultGuard = parseGuardFlag(flags.rollout_guard);
  } catch (error) {
    throw new FlagError((error as Error).message);
  }

  const core = new ServerCore({
    configProvider,
    fileSystemPollWaitSeconds: flags.file_system_poll_wait_seconds,
    manager: {
      policy:
        flags.aspired_version_policy === "resource_preserving"
          ? new ResourcePreservingPolicy()
          : new AvailabilityPreservingPolicy(),
      maxNumLoadRetries: flags.max_num_load_retries,
      loadRetryIntervalMs: flags.load_retry_interval_micros / 1000,
      numLoadThreads: flags.num_load_threads,
      totalModelMemoryLimitBytes: flags.total_model_memory_limit_bytes || undefined,
    },
    adapter: new VersionDirectoryAdapter({
      formats: MODEL_FORMATS,
      formatOptions: {
        savedModelTags: flags.saved_model_tags
          .split(",")
          .map((t) => t.trim())
          .filter(Boolean),
      },
      execution: {
        workers,
        replicas,
        batching,
        onBatch: (id, batch) => metrics.recordBatch(id, batch),
        engine: {
          onnx: onnxSettings(flags, replicas),
          tfjsEngine: flags.tfjs_engine as TfjsEngine,
        },
        warmup: flags.enable_model_warmup
          ? { iterations: flags.num_request_iterations_for_warmup, replay: replayWarmupRecord }
          : undefined,
        onWarmup: (_id, outcome) => metrics.recordWarmup(outcome),
      },
      logger,
    }),
    allowVersionLabelsForUnavailableModels: flags.allow_version_labels_for_unavailable_models,
    labelState,
    pinnedState: rolloutState,
    logger,
  });
  const rollouts = new Rollouts({
    core,
    state: rolloutState,
    defaultGuard,
    registry: metrics.registry,
    logger,
    identity: repositoryState?.staging?.id ?? `${hostname()}-${process.pid}`,
  });
  logger.info(
    { source: configProvider.describe, replicas, batching: batching ?? false },
    `Serving ${configProvider.describe}`,
  );
  let management: ManagementApi | undefined;
  if (flags.rest_api_port > 0) {
    management = await createManagementApi(core, {
      repository: repositoryState,
      labels: labelState,
      servesRepository: Boolean(flags.model_repository) && !flags.model_config_file,
      authTokenFile: flags.auth_token_file,
      requireAuthForReads: flags.require_auth_for_reads,
      maxUploadBytes: flags.max_upload_bytes,
      maxUploadFiles: flags.max_upload_files,
      metricsPath,
      formats: MODEL_FORMATS,
      logger,
      rollouts,
    });
  }

  if (flags.port > 0 && flags.port === flags.rest_api_port) {
    throw new FlagError("--port and --rest_api_port must differ");
  }
  if (flags.rest_api_ssl && !flags.ssl_config_file) {
    throw new FlagError("--rest_api_ssl needs --ssl_config_file (the key and certificate)");
  }
  const ssl = flags.ssl_config_file ? await readSslConfig(flags.ssl_config_file) : undefined;
  // Every API's inference requests take one lifecycle: resolve, decode, run, encode, release.
  const resolver = new CoreVersionResolver(core, rollouts);
  const requestLog = new RequestLogger(
    (name) => core.modelConfig(name)?.logging,
    {
      maxFileBytes: flags.request_log_max_file_bytes,
      maxFiles: flags.request_log_max_files,
      maxPendingBytes: 64 * 1024 * 1024,
    },
    metrics,
    logger,
  );
  const lifecycle = new InferenceLifecycle(resolver, metrics, logger, requestLog);
  let grpcApi: GrpcApi | undefined;
  if (flags.port > 0) {
    grpcApi = new GrpcApi(core, lifecycle, resolver, metrics, logger, {
      token: await grpcToken(flags, management, logger),
      requireAuthForReads: flags.require_auth_for_reads,
      serverOptions: parseGrpcChannelArguments(flags.grpc_channel_arguments),
      credentials: ssl && grpcCredentials(ssl),
    });
    const port = await grpcApi.listen(flags.rest_api_host, flags.port);
    logger.info({ port }, `Running gRPC ModelServer at ${flags.rest_api_host}:${port} ...`);
  }

  let restUrl: string | undefined;
  let server: ReturnType<typeof createHttpServer> | undefined;
  // Bodies from 1 MiB on are parsed off the HTTP thread: it keeps answering meanwhile.
  const codecs = new JsonCodecs(
    { offloadBodyBytes: 1024 * 1024, offloadOutputValues: 256 * 1024 },
    logger,
  );
  // Pushed version state changes (GET /v1/models:watch), and the listing's content digests.
  const events = new ModelEvents({ subscribe: (l) => core.subscribe(l), logger });
  const digests = new VersionDigests(core, logger);
  if (flags.rest_api_port > 0) {
    const app = createRestApp(core, metrics, {
      metricsPath,
      routers: [events.router, ...(management ? [management.router] : [])],
      rolloutOf: (name) => rollouts.view(name),
      digestOf: (name, version) => digests.of(name, version),
      resolve: (spec) => resolver.resolve(spec),
    });
    const inference = new HttpInference(lifecycle, codecs, {
      timeoutMs: flags.rest_api_timeout_in_ms,
      maxBodyBytes: flags.rest_api_max_body_bytes,
    });
    server = createHttpServer(
      inference,
      app,
      {
        basePath: flags.rest_api_base_path,
        cors: flags.rest_api_enable_cors_support,
        readGuard: management?.readGuard,
        tls: flags.rest_api_ssl && ssl ? httpsOptions(ssl) : undefined,
        limits: {
          headersTimeoutMs: flags.rest_api_headers_timeout_in_ms,
          maxConnections: flags.rest_api_max_connections,
        },
      },
      logger,
    );
    await new Promise<void>((resolve, reject) => {
      server!.once("error", reject);
      server!.listen(flags.rest_api_port, flags.rest_api_host, resolve);
    });
    const { port } = server.address() as AddressInfo;
    const host = flags.rest_api_host === "0.0.0.0" ? "localhost" : flags.rest_api_host;
    const scheme = flags.rest_api_ssl ? "https" : "http";
    restUrl = `${scheme}://${host}:${port}${flags.rest_api_base_path.replace(/\/+$/, "")}`;
    await management?.announce(port, restUrl);
    logger.info({ url: restUrl, port }, `Exporting HTTP/REST API at:${host}:${port} ...`);
  }

  const running: RunningServer = {
    core,
    restUrl,
    logger,
    async close() {
      events.close();
      digests.close();
      if (server) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
      }
      await management?.close();
      await grpcApi?.close();
      await codecs.close();
      await requestLog.close();
      await core.stop();
      await repositoryState?.close();
      await workers?.close();
    },
  };
  // Models load behind open ports; a config that cannot be read still stops the start.
  await core.start().catch(async (error: unknown) => {
    await running.close();
    throw error;
  });
  return running;
}

/**
 * The token gRPC calls that need one are checked against: the management API's, or without
 * a REST port one from --auth_token_file or SERVABLE_TOKEN (a generated one could reach no
 * client: it is written to the runtime file only with the REST port).
 */
async function grpcToken(
  flags: Flags,
  management: ManagementApi | undefined,
  logger: Logger,
): Promise<string | undefined> {
  if (management) return management.token.value;
  const token = await resolveToken(flags.auth_token_file);
  if (token.source !== "generated") return token.value;
  if (flags.require_auth_for_reads) {
    throw new FlagError(
      "--require_auth_for_reads with --rest_api_port=0 needs --auth_token_file or SERVABLE_TOKEN: no client could learn a generated token",
    );
  }
  logger.warn(
    "gRPC HandleReloadConfigRequest needs the token: with --rest_api_port=0 give --auth_token_file or SERVABLE_TOKEN",
  );
  return undefined;
}

function modelConfigProvider(flags: Flags): ModelConfigProvider {
  if (flags.model_config_file) {
    return configFile(flags.model_config_file, flags.model_config_file_poll_wait_seconds);
  }
  if (flags.model_repository) {
    return modelRepository(
      flags.model_repository,
      Math.max(flags.file_system_poll_wait_seconds, 0),
    );
  }
  if (flags.model_base_path) return singleModel(flags.model_name, flags.model_base_path);
  throw new FlagError(
    "Give --model_base_path, --model_config_file or --model_repository (see --help)",
  );
}
