import type { Logger } from "pino";
import {
  AspiredVersionsManager,
  type AspiredVersion,
  type ManagerOptions,
} from "./aspired-versions-manager";
import { failedPrecondition, invalidArgument, notFound, ServingError } from "@servable/protocol";
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
import { MemoryLabelState, type LabelState } from "../repository/label-state";

/** What a request names: a model, and a version or a label (neither: the latest). */
export interface ModelSpec {
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
}

/**
 * Where the list of models comes from, read again every `pollWaitSeconds` (0: once). The
 * version labels it lists (a config file's `version_labels`) are its own: the management
 * API may not change them.
 */
export interface ModelConfigProvider {
  readonly describe: string;
  readonly pollWaitSeconds: number;
  /**
   * The models listed now; undefined when the source lists no model list at all (a config
   * file without `model_config_list`), which changes nothing that runs.
   */
  read(): Promise<ModelConfig[] | undefined>;
}

export interface ServerCoreOptions {
  readonly configProvider: ModelConfigProvider;
  readonly fileSystemPollWaitSeconds: number;
  readonly manager: ManagerOptions;
  /** Makes the Loader of each version the source finds (formats, execution). */
  readonly adapter: SourceAdapter;
  readonly allowVersionLabelsForUnavailableModels: boolean;
  /**
   * The labels set through the management API (the repository state, shared by every
   * server on the repository; default: this process's memory). Read before every poll.
   */
  readonly labelState?: LabelState;
  /** More state read before every poll whose versions stay served (the rollouts' candidates). */
  readonly pinnedState?: PinnedVersionState;
  readonly logger: Logger;
}

/** Shared state, read again before every poll, that keeps some versions of a model served. */
export interface PinnedVersionState {
  readonly describe: string;
  refresh(): Promise<void>;
  pinnedVersions(name: string): readonly number[];
}

/**
 * Wires the model lifecycle together (TF Serving's ServerCore): model configs feed the
 * Source, the Source's version lists become Loaders for the Manager, and requests
 * resolve a ModelSpec to a handle through the Manager. The APIs talk to this, never to
 * the parts behind it.
 *
 * Labels flow one way: the config's labels and the label state (read before every poll)
 * say which labels are wanted; the Source keeps the label state's versions served; this
 * resolves requests' labels (version-labels.ts) and keeps a label's previous version
 * loaded while its new one loads. Nothing here writes a label back.
 */
export class ServerCore {
  readonly #manager: AspiredVersionsManager;
  readonly #monitor: ServableStateMonitor;
  readonly #labels = new VersionLabels();
  readonly #labelState: LabelState;
  /** The config's labels, per model: the API may not change these. */
  #configLabels = new Map<string, ReadonlyMap<string, number>>();
  readonly #warnedConflicts = new Set<string>();
  #labelRefresh: Promise<void> | undefined;
  #nextLabelRefresh: Promise<void> | undefined;
  readonly #source: FileSystemStoragePathSource;
  /** The Source's last list per model, and what was given to the manager for it. */
  readonly #fromSource = new Map<string, readonly StoragePathVersion[]>();
  readonly #given = new Map<string, ReadonlyMap<number, GivenVersion>>();
  #configs: readonly ModelConfig[] = [];
  /** The config replacement under way; the next waits for it. */
  #replacing: Promise<void> = Promise.resolve();
  #configTimer: NodeJS.Timeout | undefined;
  readonly #initialLoads = new InitialLoads();
  readonly #log: Logger;

  constructor(private readonly options: ServerCoreOptions) {
    this.#log = options.logger;
    this.#labelState = options.labelState ?? new MemoryLabelState();
    this.#manager = new AspiredVersionsManager(options.manager);
    this.#monitor = new ServableStateMonitor(this.#manager);
    this.#manager.subscribe((state) => this.#onStateChange(state));
    this.#source = new FileSystemStoragePathSource(
      (name, versions) => this.#aspire(name, versions),
      {
        pollWaitSeconds: options.fileSystemPollWaitSeconds,
        logger: options.logger,
        beforePoll: () => this.refreshLabels(),
      },
    );
  }

  /**
   * Reads the config, polls every base path once and starts polling; resolves as soon as
   * the versions found are handed to the manager, without waiting for them to load
   * (`whenReady()` does).
   */
  async start(): Promise<void> {
    const configs = await this.options.configProvider.read();
    if (!configs) {
      this.#log.warn(
        `The ${this.options.configProvider.describe} lists no model_config_list: serving no models until it does`,
      );
    }
    await this.#applyConfig(configs ?? []);
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
    let configs: ModelConfig[] | undefined;
    try {
      configs = await this.options.configProvider.read();
    } catch (error) {
      this.#log.error(
        { err: error },
        `Keeping the current model config: ${(error as Error).message}`,
      );
      return;
    }
    if (!configs) {
      // TF Serving takes no action for a config that sets no model list.
      this.#log.warn(
        `Keeping the current model config: the ${this.options.configProvider.describe} lists no model_config_list`,
      );
      return;
    }
    await this.#applyConfig(configs);
  }

  /**
   * Serves exactly these models from now on, labels included, as TF Serving's
   * ServerCore::ReloadConfig does for HandleReloadConfigRequest: every label must point at
   * a version AVAILABLE now (else nothing changes), and the call resolves once the latest
   * version of every model new in the config is AVAILABLE. A config file polled later
   * replaces it again. Calls run one at a time, as TF Serving's do under its config lock.
   * @param signal ends the wait (the client went away); the config stays applied.
   * @throws ServingError FAILED_PRECONDITION (a label), UNKNOWN naming the models that did
   * not become available, CANCELLED when `signal` ends the wait
   */
  replaceConfig(configs: readonly ModelConfig[], signal?: AbortSignal): Promise<void> {
    const run = this.#replacing.then(() => this.#replaceConfigNow(configs, signal));
    this.#replacing = run.catch(() => undefined);
    return run;
  }

  async #replaceConfigNow(configs: readonly ModelConfig[], signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    for (const config of configs) this.#checkConfigLabels(config);
    const known = new Set(this.#configs.map((c) => c.name));
    const added = configs.map((c) => c.name).filter((name) => !known.has(name));
    const latest = new Map<string, ServableState>();
    let wake = (): void => undefined;
    // Only states from now on count: a model added again may have ended before.
    const unsubscribe = this.#manager.subscribe((state) => {
      if (!added.includes(state.id.name)) return;
      const seen = latest.get(state.id.name);
      if (!seen || state.id.version >= seen.id.version) latest.set(state.id.name, state);
      wake();
    });
    try {
      await this.#applyConfig([...configs]);
      const settled = () =>
        added.every((name) => {
          const state = latest.get(name)?.state;
          return state === "AVAILABLE" || state === "END";
        });
      await new Promise<void>((resolve, reject) => {
        const cancelled = () =>
          reject(new ServingError("CANCELLED", "The client cancelled the call"));
        if (signal?.aborted) return cancelled();
        signal?.addEventListener("abort", cancelled, { once: true });
        wake = () => {
          if (!settled()) return;
          signal?.removeEventListener("abort", cancelled);
          resolve();
        };
        wake();
      });
    } finally {
      unsubscribe();
    }
    const failed = added
      .map((name) => latest.get(name)!)
      .filter((state) => state.state !== "AVAILABLE")
      .sort((a, b) => (a.id.name < b.id.name ? -1 : a.id.name > b.id.name ? 1 : 0));
    if (failed.length > 0) {
      // TF Serving's WaitUntilModelsAvailable, word for word.
      const entries = failed.map((s) => {
        const why = s.error ? ` due to error: ${s.error.code}: ${s.error.message}` : "";
        return `{{name: ${s.id.name} version: ${s.id.version}}${why}}, `;
      });
      throw new ServingError(
        "UNKNOWN",
        `${failed.length} model(s) did not become available: {${entries.join("")}}`,
      );
    }
  }

  /**
   * TF Serving's UpdateModelVersionLabelMap: a config's label may only point at a version
   * AVAILABLE now, unless --allow_version_labels_for_unavailable_models lets a label not
   * yet pointing elsewhere point ahead.
   */
  #checkConfigLabels(config: ModelConfig): void {
    const available = this.#manager.availableVersions(config.name);
    for (const [label, version] of Object.entries(config.versionLabels)) {
      const current = this.#labels.get(config.name, label);
      const mayPointAhead =
        this.options.allowVersionLabelsForUnavailableModels &&
        (current === undefined || current === version);
      if (!mayPointAhead && !available.includes(version)) {
        throw failedPrecondition(
          `Request to assign label to version ${version} of model ${config.name}, which is not currently available for inference`,
        );
      }
    }
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

  /** A model's labels as requests resolve them now, label -> version (no prototype). */
  labelsOf(name: string): Record<string, number> {
    const labels = Object.create(null) as Record<string, number>;
    for (const [label, version] of this.#labels.of(name)) labels[label] = version;
    return labels;
  }

  /** The version a label resolves to now; undefined when it resolves to none here. */
  labelVersion(name: string, label: string): number | undefined {
    return this.#labels.get(name, label);
  }

  /** Where a label is set: the config (the API may not change it), the label state, or nowhere. */
  labelOwner(name: string, label: string): "config" | "state" | undefined {
    if (this.#configLabels.get(name)?.has(label)) return "config";
    if (this.#labelState.current().get(name)?.has(label)) return "state";
    return undefined;
  }

  /** Says where config labels come from, for the errors that refuse to change them. */
  get configDescription(): string {
    return this.options.configProvider.describe;
  }

  /** Labels that point at a version, wanted or still resolved here. */
  labelsAt(name: string, version: number): string[] {
    return this.#labels.labelsOf(name, version);
  }

  availableSince(name: string, version: number): number | undefined {
    return this.#monitor.availableSince(name, version);
  }

  /**
   * Calls `listener` on every version state change, as the manager makes it (the state
   * monitor's source); returns the function that unsubscribes.
   */
  subscribe(listener: (state: ServableState) => void): () => void {
    return this.#manager.subscribe(listener);
  }

  /** The folder a version is loaded from, while the source lists it. */
  versionDir(name: string, version: number): string | undefined {
    return this.#given.get(name)?.get(version)?.path;
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
   * Checks that the API may point `label` at `version` on this server: the model is
   * known, the label is not the config's, and the version is AVAILABLE unless
   * --allow_version_labels_for_unavailable_models lets a new label point ahead (TF
   * Serving's rule).
   * @throws ServingError NOT_FOUND or FAILED_PRECONDITION
   */
  checkLabelTarget(name: string, label: string, version: number): void {
    if (!this.modelNames().includes(name))
      throw notFound(`Could not find any versions of model ${name}`);
    this.checkLabelChangeable(name, label);
    const available = this.#manager.availableVersions(name).includes(version);
    const isNew =
      this.#labels.get(name, label) === undefined && this.labelOwner(name, label) === undefined;
    if (!available && !(this.options.allowVersionLabelsForUnavailableModels && isNew)) {
      throw failedPrecondition(
        `Request to assign label to version ${version} of model ${name}, which is not currently available for inference`,
      );
    }
  }

  /** @throws ServingError FAILED_PRECONDITION when the config owns the label. */
  checkLabelChangeable(name: string, label: string): void {
    if (this.labelOwner(name, label) !== "config") return;
    throw failedPrecondition(
      `Label ${label} of model ${name} is set by the ${this.options.configProvider.describe} ` +
        "(its version_labels): change it there. The management API changes the other labels.",
    );
  }

  /**
   * Reads the label state (and the pinned state) again and resolves every model's labels. A read under way may
   * have started before the caller's change, so a call during one gets the next one.
   */
  refreshLabels(): Promise<void> {
    if (!this.#labelRefresh) {
      this.#labelRefresh = this.#refreshLabelsOnce().finally(
        () => (this.#labelRefresh = undefined),
      );
      return this.#labelRefresh;
    }
    this.#nextLabelRefresh ??= this.#labelRefresh.then(() => {
      this.#nextLabelRefresh = undefined;
      return this.refreshLabels();
    });
    return this.#nextLabelRefresh;
  }

  /** Forgets a version's history (its files are gone for good). */
  forgetVersion(name: string, version: number): void {
    this.#monitor.forget(name, version);
  }

  async #refreshLabelsOnce(): Promise<void> {
    try {
      await this.#labelState.refresh();
    } catch (error) {
      this.#log.error(
        { err: error },
        `Keeping the labels last read from ${this.#labelState.describe}: ${(error as Error).message}`,
      );
    }
    await this.options.pinnedState?.refresh().catch((error: unknown) => {
      this.#log.error(
        { err: error },
        `Keeping the state last read from ${this.options.pinnedState!.describe}: ${(error as Error).message}`,
      );
    });
    this.#resolveAllLabels();
  }

  async #applyConfig(configs: readonly ModelConfig[]): Promise<void> {
    this.#configs = configs;
    this.#configLabels = new Map(
      configs.map((c) => [c.name, new Map(Object.entries(c.versionLabels))]),
    );
    this.#resolveAllLabels();
    await this.#source.setModels(
      configs.map((c) => ({
        name: c.name,
        basePath: c.basePath,
        versionPolicy: c.versionPolicy,
        pinnedVersions: () => this.#pinnedByState(c.name),
      })),
    );
  }

  /**
   * Versions the label state's labels point at (the config's own labels pin nothing, as in
   * TF Serving), and those the pinned state keeps.
   */
  #pinnedByState(name: string): number[] {
    const config = this.#configLabels.get(name);
    const pinned: number[] = [];
    for (const [label, version] of this.#labelState.current().get(name) ?? []) {
      if (!config?.has(label)) pinned.push(version);
    }
    pinned.push(...(this.options.pinnedState?.pinnedVersions(name) ?? []));
    return pinned;
  }

  /** The labels a model wants: the label state's, with the config's over them. */
  #wantedLabels(name: string): Map<string, number> {
    const wanted = new Map<string, number>();
    if (!this.modelConfig(name)) return wanted;
    const config = this.#configLabels.get(name) ?? new Map<string, number>();
    for (const [label, version] of this.#labelState.current().get(name) ?? []) {
      if (!config.has(label)) wanted.set(label, version);
      else if (config.get(label) !== version) this.#warnConflict(name, label);
    }
    for (const [label, version] of config) wanted.set(label, version);
    return wanted;
  }

  #warnConflict(name: string, label: string): void {
    const key = `${name}\u0000${label}`;
    if (this.#warnedConflicts.has(key)) return;
    this.#warnedConflicts.add(key);
    this.#log.warn(
      { model: name, label },
      `Label ${label} of ${name} is set by the ${this.options.configProvider.describe}; ` +
        `the one in ${this.#labelState.describe} is ignored`,
    );
  }

  #resolveAllLabels(): void {
    const names = new Set([
      ...this.#configs.map((c) => c.name),
      ...this.#labelState.current().keys(),
      ...this.#monitor.modelNames(),
    ]);
    for (const name of names) this.#resolveLabels(name);
  }

  #resolveLabels(name: string): void {
    const before = this.#labels.of(name);
    const available = new Set(this.#manager.availableVersions(name));
    const changed = this.#labels.update(
      name,
      this.#wantedLabels(name),
      (v) => available.has(v),
      this.options.allowVersionLabelsForUnavailableModels,
    );
    if (!changed) return;
    const after = this.#labels.of(name);
    for (const [label, version] of after) {
      if (before.get(label) === version) continue;
      this.#log.info(
        { model: name, label, version },
        `Label ${label} of ${name} -> version ${version}`,
      );
    }
    for (const label of before.keys()) {
      if (!after.has(label))
        this.#log.info({ model: name, label }, `Label ${label} of ${name} removed`);
    }
    this.#aspire(name);
  }

  /**
   * Gives the manager the Source's versions of a model (`versions`, or the last list) plus
   * the versions labels still hold. A version's loader is made once and given again
   * while its folder stays the same.
   */
  #aspire(name: string, versions?: readonly StoragePathVersion[]): void {
    if (versions) this.#fromSource.set(name, versions);
    const listed = this.#fromSource.get(name) ?? [];
    const given = this.#given.get(name) ?? new Map<number, GivenVersion>();
    const next = new Map<number, GivenVersion>();
    for (const { version, path } of listed) {
      const kept = given.get(version);
      next.set(version, kept?.path === path ? kept : this.#givenVersion(name, version, path));
    }
    // A model the Source lists no version of serves nothing, held or not.
    if (listed.length > 0) {
      for (const version of this.#labels.held(name)) {
        const kept = given.get(version);
        if (kept && !next.has(version)) next.set(version, kept);
      }
    }
    const unchanged = given.size === next.size && [...next].every(([v, g]) => given.get(v) === g);
    if (unchanged && !versions) return;
    if (next.size > 0) this.#given.set(name, next);
    else this.#given.delete(name);
    this.#manager.setAspiredVersions(
      name,
      [...next.values()].map((g) => g.aspired),
    );
  }

  #givenVersion(name: string, version: number, path: string): GivenVersion {
    this.#initialLoads.expect({ name, version });
    const loader = this.options.adapter.loaderFor({ name, version }, path);
    return { path, aspired: { version, loader } };
  }

  #onStateChange(state: ServableState): void {
    this.#initialLoads.observe(state);
    const { name, version } = state.id;
    const fields = { model: name, version, state: state.state };
    if (state.state === "AVAILABLE") {
      const on = state.runtime ? ` on ${state.runtime}` : "";
      const why = state.engineReason ? ` (${state.engineReason})` : "";
      this.#log.info(
        { ...fields, runtime: state.runtime, engine_reason: state.engineReason },
        `Successfully loaded servable version {name: ${name} version: ${version}}${on}${why}`,
      );
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
    // What a label resolves to depends on what is AVAILABLE.
    if (state.state !== "LOADING" && state.state !== "START") this.#resolveLabels(name);
  }
}

/** A version given to the manager, with the folder its loader reads. */
interface GivenVersion {
  readonly path: string;
  readonly aspired: AspiredVersion;
}
