import type { Logger } from "pino";
import { AspiredVersionsManager, type ManagerOptions } from "./aspired-versions-manager";
import { failedPrecondition, invalidArgument, notFound } from "@servable/protocol";
import type { ServableHandle } from "./servable-handle";
import type { ServableState } from "./servable-state";
import { ServableStateMonitor } from "./servable-state-monitor";
import { VersionLabels } from "./version-labels";
import type { ModelConfig } from "../config/model-server-config";
import type { SourceAdapter } from "./source-adapter";
import { InitialLoads } from "./initial-loads";
import {
  FileSystemStoragePathSource,
  type StoragePathVersion,
} from "../repository/file-system-source";

/** What a request names: a model, and a version or a label (neither: the latest). */
export interface ModelSpec {
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
}

/**
 * Where the list of models comes from, read again every `pollWaitSeconds` (0: once).
 * `labelsFromConfig` says whether the list's version labels are the whole truth (a
 * config file) or labels are set through the management API (a model repository).
 */
export interface ModelConfigProvider {
  readonly describe: string;
  readonly pollWaitSeconds: number;
  readonly labelsFromConfig: boolean;
  read(): Promise<ModelConfig[]>;
}

export interface ServerCoreOptions {
  readonly configProvider: ModelConfigProvider;
  readonly fileSystemPollWaitSeconds: number;
  readonly manager: ManagerOptions;
  /** Makes the Loader of each version the source finds (formats, execution). */
  readonly adapter: SourceAdapter;
  readonly allowVersionLabelsForUnavailableModels: boolean;
  readonly logger: Logger;
}

/**
 * Wires the model lifecycle together (TF Serving's ServerCore): model configs feed the
 * Source, the Source's version lists become Loaders for the Manager, and requests
 * resolve a ModelSpec to a handle through the Manager. The APIs talk to this, never to
 * the parts behind it.
 */
export class ServerCore {
  readonly #manager: AspiredVersionsManager;
  readonly #monitor: ServableStateMonitor;
  readonly #labels = new VersionLabels();
  /** Config labels waiting for their version to become AVAILABLE. */
  readonly #pendingLabels = new Map<string, Record<string, number>>();
  readonly #source: FileSystemStoragePathSource;
  #configs: readonly ModelConfig[] = [];
  #configTimer: NodeJS.Timeout | undefined;
  readonly #initialLoads = new InitialLoads();
  readonly #log: Logger;

  constructor(private readonly options: ServerCoreOptions) {
    this.#log = options.logger;
    this.#manager = new AspiredVersionsManager(options.manager);
    this.#monitor = new ServableStateMonitor(this.#manager);
    this.#manager.subscribe((state) => this.#onStateChange(state));
    this.#source = new FileSystemStoragePathSource(
      (name, versions) => this.#aspire(name, versions),
      { pollWaitSeconds: options.fileSystemPollWaitSeconds, logger: options.logger },
    );
  }

  /**
   * Reads the config, polls every base path once and starts polling; resolves as soon as
   * the versions found are handed to the manager, without waiting for them to load
   * (`whenReady()` does).
   */
  async start(): Promise<void> {
    await this.#applyConfig(await this.options.configProvider.read());
    this.#initialLoads.endCollection();
    void this.#initialLoads.settled.then(() =>
      this.#log.info("Ready to serve: every version found at start is AVAILABLE or END"),
    );
    this.#source.start();
    const seconds = this.options.configProvider.pollWaitSeconds;
    if (seconds > 0) {
      this.#configTimer = setInterval(() => void this.reloadConfig(), seconds * 1000);
      this.#configTimer.unref();
    }
  }

  /** Reads the config again; a config that does not parse is logged and the old one kept. */
  async reloadConfig(): Promise<void> {
    let configs: ModelConfig[];
    try {
      configs = await this.options.configProvider.read();
    } catch (error) {
      this.#log.error(
        { err: error },
        `Keeping the current model config: ${(error as Error).message}`,
      );
      return;
    }
    await this.#applyConfig(configs);
  }

  /**
   * Serves exactly these models from now on, labels included (TF Serving's
   * HandleReloadConfigRequest); a config file polled later replaces it again.
   */
  async replaceConfig(configs: ModelConfig[]): Promise<void> {
    await this.#applyConfig(configs, true);
  }

  /**
   * Polls every base path now, and waits for the loads and unloads that follow (not for
   * the retry interval of a version whose load failed transiently).
   */
  async pollNow(): Promise<void> {
    if (this.options.configProvider.pollWaitSeconds > 0) await this.reloadConfig();
    await this.#source.poll();
    await this.#manager.whenSettled();
  }

  async stop(): Promise<void> {
    clearInterval(this.#configTimer);
    this.#source.stop();
    await this.#manager.stop();
    this.#monitor.close();
  }

  /**
   * The handle of the version a request names. The caller releases it.
   * @throws ServingError NOT_FOUND (no such version available) or INVALID_ARGUMENT (unknown label)
   */
  getServableHandle(spec: ModelSpec): ServableHandle {
    let version = spec.version;
    if (spec.label !== undefined) {
      version = this.#labels.get(spec.name, spec.label);
      if (version === undefined)
        throw invalidArgument(`Unrecognized servable version label: ${spec.label}`);
    }
    return this.#manager.getServableHandle({ name: spec.name, version });
  }

  /** TF Serving's GetModelStatus: every version ever seen, highest first. */
  modelStatus(name: string, version?: number): ServableState[] {
    const states = this.#monitor.versionStates(name);
    if (states.length === 0) throw notFound(`Could not find any versions of model ${name}`);
    if (version === undefined) return states;
    const one = states.filter((s) => s.id.version === version);
    if (one.length === 0) throw notFound(`Could not find version ${version} of model ${name}`);
    return one;
  }

  /** Every model the server knows: configured ones, and any with reported versions. */
  modelNames(): string[] {
    return [
      ...new Set([...this.#configs.map((c) => c.name), ...this.#monitor.modelNames()]),
    ].sort();
  }

  modelConfig(name: string): ModelConfig | undefined {
    return this.#configs.find((c) => c.name === name);
  }

  labelsOf(name: string): Record<string, number> {
    return this.#labels.of(name);
  }

  availableSince(name: string, version: number): number | undefined {
    return this.#monitor.availableSince(name, version);
  }

  /** Ready to serve (/v2/health/ready): see InitialLoads for the rule. */
  isReady(): boolean {
    return this.#initialLoads.isSettled;
  }

  /** Resolves once `isReady()` is true. */
  whenReady(): Promise<void> {
    return this.#initialLoads.settled;
  }

  /**
   * Points a label at a version. The version must be AVAILABLE unless
   * --allow_version_labels_for_unavailable_models (TF Serving's rule).
   */
  setLabel(name: string, label: string, version: number): void {
    if (!VersionLabels.VALID_LABEL.test(label)) {
      throw invalidArgument(`Invalid label "${label}": labels are made of letters, digits and _`);
    }
    if (!this.modelNames().includes(name))
      throw notFound(`Could not find any versions of model ${name}`);
    const available = this.#manager.availableVersions(name).includes(version);
    const current = this.#labels.get(name, label);
    const mayPointAhead =
      this.options.allowVersionLabelsForUnavailableModels && current === undefined;
    if (!available && !mayPointAhead) {
      throw failedPrecondition(
        `Request to assign label to version ${version} of model ${name}, which is not currently available for inference`,
      );
    }
    this.#labels.set(name, label, version);
    this.#log.info(
      { model: name, label, version },
      `Label ${label} of ${name} -> version ${version}`,
    );
  }

  deleteLabel(name: string, label: string): void {
    if (!this.#labels.delete(name, label)) {
      throw notFound(`Model ${name} has no label ${label}`);
    }
    this.#log.info({ model: name, label }, `Label ${label} of ${name} removed`);
  }

  /**
   * Labels kept from an earlier run (the management API's state): each is set once its
   * version is AVAILABLE and, until then too, keeps that version served.
   */
  restoreLabels(name: string, labels: Readonly<Record<string, number>>): void {
    this.#pendingLabels.set(name, { ...this.#pendingLabels.get(name), ...labels });
    this.#applyPendingLabels(name);
  }

  /** Forgets a version's history (its files are gone for good). */
  forgetVersion(name: string, version: number): void {
    this.#monitor.forget(name, version);
  }

  async #applyConfig(
    configs: ModelConfig[],
    labelsFromConfig = this.options.configProvider.labelsFromConfig,
  ): Promise<void> {
    this.#configs = configs;
    if (labelsFromConfig) {
      for (const config of configs) {
        this.#labels.replace(config.name, {});
        this.#pendingLabels.set(config.name, { ...config.versionLabels });
        this.#applyPendingLabels(config.name);
      }
    }
    await this.#source.setModels(
      configs.map((c) => ({
        name: c.name,
        basePath: c.basePath,
        versionPolicy: c.versionPolicy,
        // Labels set through the management API keep their versions served.
        ...(!labelsFromConfig && { pinnedVersions: () => this.#labelledVersions(c.name) }),
      })),
    );
  }

  /** Versions a label points at, or will once they are AVAILABLE. */
  #labelledVersions(name: string): number[] {
    return [
      ...Object.values(this.#labels.of(name)),
      ...Object.values(this.#pendingLabels.get(name) ?? {}),
    ];
  }

  #applyPendingLabels(name: string): void {
    const pending = this.#pendingLabels.get(name);
    if (!pending) return;
    for (const [label, version] of Object.entries(pending)) {
      try {
        this.setLabel(name, label, version);
        delete pending[label];
      } catch {
        // Applied once the version becomes AVAILABLE.
      }
    }
  }

  /** The source's version list, each with its Loader from the adapter, to the manager. */
  #aspire(name: string, versions: readonly StoragePathVersion[]): void {
    const aspired = versions.map(({ version, path }) => {
      this.#initialLoads.expect({ name, version });
      return { version, loader: this.options.adapter.loaderFor({ name, version }, path) };
    });
    this.#manager.setAspiredVersions(name, aspired);
  }

  #onStateChange(state: ServableState): void {
    this.#initialLoads.observe(state);
    const { name, version } = state.id;
    const fields = { model: name, version, state: state.state };
    if (state.state === "AVAILABLE") {
      this.#log.info(
        fields,
        `Successfully loaded servable version {name: ${name} version: ${version}}`,
      );
      this.#applyPendingLabels(name);
    } else if (state.state === "END" && state.error?.code === "CANCELLED") {
      this.#log.info(
        { ...fields, code: state.error.code },
        `Cancelled loading servable version {name: ${name} version: ${version}}: ${state.error.message}`,
      );
    } else if (state.state === "END" && state.error) {
      this.#log.error(
        { ...fields, code: state.error.code, err: state.error.message },
        `Servable {name: ${name} version: ${version}} cannot be loaded: ${state.error.message}`,
      );
    } else if (state.state === "END") {
      this.#log.info(fields, `Done unloading servable version {name: ${name} version: ${version}}`);
    } else if (state.state === "LOADING") {
      this.#log.info(fields, `Loading servable version {name: ${name} version: ${version}}`);
    } else if (state.state === "UNLOADING") {
      this.#log.info(fields, `Unloading servable version {name: ${name} version: ${version}}`);
    }
  }
}
