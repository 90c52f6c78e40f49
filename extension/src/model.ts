import { Poll } from "@lumino/polling";
import { Signal, type ISignal } from "@lumino/signaling";
import type { VersionStateEvent } from "@servable/protocol/wire";
import {
  exportedNotServed,
  sameJson,
  stillPending,
  withPendingDeploys,
  type PendingDeploy,
  type Uploaded,
} from "./model-diff";
import { ExportedDigests } from "./exported-digests";
import { readScrape, trafficBetween, versionKey, type Scrape } from "./metrics";
import { ModelEventsWatcher, type PushStatus } from "./model-events";
import { NetworkError } from "./request";
import { automaticRollback } from "./rollout-view";
import { ServerApi, type InferenceMethod, type SignatureMap } from "./server-api";
import {
  DEFAULT_SETTINGS,
  type ActionStatus,
  type Connection,
  type ExportedVersion,
  type IServableModel,
  type Notice,
  type RolloutChange,
  type ServableSettings,
  type ServedModel,
  type TrafficPoint,
} from "./tokens";
import {
  pushedKey,
  VersionHistories,
  withPushedStates,
  withTransitions,
  type PushedState,
} from "./transitions";
import { MissingFolderError, type ExportedModels } from "./workspace";

/** Points kept per version for its chart. */
const TRAFFIC_POINTS = 60;
/** How long an accepted upload is shown before the listing has it. */
const PENDING_MAX_AGE_MS = 60_000;
/** Folders deployed from here, remembered until the listing shows their versions hashed. */
const UPLOADS_KEPT = 50;

export interface ServableModelOptions {
  /** The workspace's exported models; null where there is no Jupyter server. */
  readonly exportedModels: ExportedModels | null;
  readonly settings?: ServableSettings;
  /** Start polling at once (default true). */
  readonly autoStart?: boolean;
  /** Follow the server's pushed state changes (default true; polling continues beside it). */
  readonly push?: boolean;
}

/**
 * What the sidebar shows, kept up to date by polling the serving server (listing and
 * metrics) and the workspace's models folder at the settings' interval, and by the
 * version state changes the server pushes as they happen (model-events.ts), which also
 * give each version its recent transitions. No UI here: views read the getters and
 * listen to the `xxxChanged` signals. A refresh that finds nothing new emits nothing.
 */
export class ServableModel implements IServableModel {
  readonly api: ServerApi;
  #settings: ServableSettings;
  readonly #exportedModels: ExportedModels | null;
  readonly #poll: Poll;
  #listed: ServedModel[] = [];
  /** When the listing in #listed was asked for (pushes after it win over it). */
  #listedAskedAt = 0;
  readonly #pushed = new Map<string, PushedState>();
  readonly #histories = new VersionHistories();
  readonly #watcher: ModelEventsWatcher | undefined;
  readonly #digests: ExportedDigests | undefined;
  #exportedDigests = new Map<string, string>();
  #uploaded: Uploaded[] = [];
  #served: ServedModel[] = [];
  #exportedAll: ExportedVersion[] = [];
  #exported: ExportedVersion[] = [];
  #workspaceProblem = "";
  #connection: Connection = { status: "connecting" };
  #pending: PendingDeploy[] = [];
  #lastScrape: Scrape | undefined;
  readonly #traffic = new Map<string, TrafficPoint[]>();
  readonly #actions = new Map<string, ActionStatus>();
  #selected: ExportedVersion | null = null;
  #notices: Notice[] = [];
  #nextNotice = 1;
  /** Refreshes may overlap (poll and on demand): only the newest one's results apply. */
  #refreshes = 0;
  #applied = 0;
  /** refreshSoon's state: one refresh running, and whether another was asked for meanwhile. */
  #soon: Promise<void> | undefined;
  #again = false;
  #disposed = false;

  readonly #servedChanged = new Signal<IServableModel, readonly ServedModel[]>(this);
  readonly #exportedChanged = new Signal<IServableModel, readonly ExportedVersion[]>(this);
  readonly #connectionChanged = new Signal<IServableModel, Connection>(this);
  readonly #pushChanged = new Signal<IServableModel, PushStatus>(this);
  readonly #trafficChanged = new Signal<IServableModel, void>(this);
  readonly #actionsChanged = new Signal<IServableModel, void>(this);
  readonly #selectionChanged = new Signal<IServableModel, ExportedVersion | null>(this);
  readonly #noticesChanged = new Signal<IServableModel, readonly Notice[]>(this);

  constructor(options: ServableModelOptions) {
    this.#settings = options.settings ?? DEFAULT_SETTINGS;
    this.#exportedModels = options.exportedModels;
    this.api = new ServerApi(() => this.#settings);
    this.#digests = options.exportedModels
      ? new ExportedDigests(options.exportedModels)
      : undefined;
    if (options.push ?? true) {
      this.#watcher = new ModelEventsWatcher(() => this.#settings, {
        onVersion: (event, live) => this.#onPushed(event, live),
        onReady: () => this.refreshSoon(),
        onReset: () => {
          this.#histories.clear();
          this.#pushed.clear();
        },
        onStatus: (status) => this.#pushChanged.emit(status),
      });
    }
    // A refresh never rejects (failures become states), so the poll keeps its interval
    // and keeps trying while the server is down.
    this.#poll = new Poll({
      auto: false,
      factory: () => this.#refreshOnce(),
      frequency: { interval: this.#intervalMs(), backoff: false },
      name: "@servable/jupyterlab:models",
      standby: "when-hidden",
    });
    if (options.autoStart ?? true) this.start();
  }

  get settings(): ServableSettings {
    return this.#settings;
  }
  get connection(): Connection {
    return this.#connection;
  }
  get push(): PushStatus {
    return this.#watcher?.status ?? "off";
  }
  get served(): readonly ServedModel[] {
    return this.#served;
  }
  get exported(): readonly ExportedVersion[] {
    return this.#exported;
  }
  get workspaceProblem(): string {
    return this.#workspaceProblem;
  }
  get selectedExported(): ExportedVersion | null {
    return this.#selected;
  }
  get notices(): readonly Notice[] {
    return this.#notices;
  }
  get isDisposed(): boolean {
    return this.#disposed;
  }

  get servedChanged(): ISignal<IServableModel, readonly ServedModel[]> {
    return this.#servedChanged;
  }
  get exportedChanged(): ISignal<IServableModel, readonly ExportedVersion[]> {
    return this.#exportedChanged;
  }
  get connectionChanged(): ISignal<IServableModel, Connection> {
    return this.#connectionChanged;
  }
  get pushChanged(): ISignal<IServableModel, PushStatus> {
    return this.#pushChanged;
  }
  get trafficChanged(): ISignal<IServableModel, void> {
    return this.#trafficChanged;
  }
  get actionsChanged(): ISignal<IServableModel, void> {
    return this.#actionsChanged;
  }
  get selectionChanged(): ISignal<IServableModel, ExportedVersion | null> {
    return this.#selectionChanged;
  }
  get noticesChanged(): ISignal<IServableModel, readonly Notice[]> {
    return this.#noticesChanged;
  }

  /** Starts polling and following pushes (when the model was made with `autoStart: false`). */
  start(): void {
    void this.#poll.start();
    if (this.#watcher?.status === "off") this.#watcher.start();
  }

  /** New settings: a new server forgets the old one's state; the interval applies at once. */
  configure(settings: ServableSettings): void {
    const serverChanged = settings.serverUrl !== this.#settings.serverUrl;
    const tokenChanged = settings.token !== this.#settings.token;
    this.#settings = settings;
    this.#poll.frequency = {
      interval: this.#intervalMs(),
      backoff: false,
      max: this.#intervalMs(),
    };
    if (serverChanged) {
      this.#lastScrape = undefined;
      this.#traffic.clear();
      this.#histories.clear();
      this.#pushed.clear();
      this.#setConnection({ status: "connecting" });
    }
    if ((serverChanged || tokenChanged) && this.#watcher && this.#watcher.status !== "off") {
      this.#watcher.start();
    }
    void this.refresh();
  }

  traffic(name: string, version: string): readonly TrafficPoint[] {
    return this.#traffic.get(versionKey(name, version)) ?? [];
  }

  action(key: string): ActionStatus | undefined {
    return this.#actions.get(key);
  }

  select(version: ExportedVersion | null): void {
    if (sameJson(version, this.#selected)) return;
    this.#selected = version;
    this.#selectionChanged.emit(version);
  }

  /** Reads the server and the workspace now; resolves when the results are applied. */
  async refresh(): Promise<void> {
    await this.#refreshOnce();
  }

  /**
   * A refresh for a burst of events (a notebook's cells finishing one after another): one
   * starts at once; calls while it runs ask for one more after it, however many they are.
   */
  refreshSoon(): void {
    if (this.#disposed) return;
    if (this.#soon) {
      this.#again = true;
      return;
    }
    this.#soon = this.#refreshOnce().finally(() => {
      this.#soon = undefined;
      if (this.#again) {
        this.#again = false;
        this.refreshSoon();
      }
    });
  }

  /** Uploads an exported version; it then shows under Served until the listing has it. */
  async deploy(version: ExportedVersion): Promise<void> {
    await this.#run(deployKey(version.name, version.version), async () => {
      if (!this.#exportedModels) throw new Error("No Jupyter workspace to read the model from.");
      const files = await this.#exportedModels.files(version);
      // The server numbers it: the folder's number is the workspace's, not the server's.
      const answer = await this.api.uploadVersion(version.name, files);
      this.#uploaded = [
        ...this.#uploaded.slice(-(UPLOADS_KEPT - 1)),
        { path: version.path, fingerprint: version.fingerprint, version: answer.version },
      ];
      this.#pending.push({
        name: version.name,
        version: answer.version,
        state: answer.state === "LOADING" ? "LOADING" : "START",
        since: Date.now(),
      });
      if (sameJson(this.#selected, version)) this.select(null);
      this.#applyServed(this.#listed);
    });
    await this.refresh();
  }

  async setLabel(name: string, label: string, version: string): Promise<void> {
    await this.#run(labelKey(name, version), () => this.api.setLabel(name, label, version));
    await this.refresh();
  }

  async removeLabel(name: string, label: string): Promise<void> {
    await this.#run(unlabelKey(name, label), () => this.api.removeLabel(name, label));
    await this.refresh();
  }

  async deleteVersion(name: string, version: string): Promise<void> {
    await this.#run(deleteKey(name, version), () => this.api.deleteVersion(name, version));
    await this.refresh();
  }

  async setRollout(name: string, change: RolloutChange): Promise<void> {
    await this.#run(rolloutKey(name), () => this.api.setRollout(name, change));
    await this.refresh();
  }

  async promote(name: string): Promise<void> {
    await this.#run(rolloutKey(name), () => this.api.promote(name));
    await this.refresh();
  }

  async rollback(name: string, deleteCandidate: boolean): Promise<void> {
    await this.#run(rolloutKey(name), () => this.api.rollback(name, deleteCandidate));
    await this.refresh();
  }

  dismissNotice(id: number): void {
    const notices = this.#notices.filter((n) => n.id !== id);
    if (notices.length === this.#notices.length) return;
    this.#notices = notices;
    this.#noticesChanged.emit(notices);
  }

  signatures(name: string, version: string): Promise<SignatureMap> {
    return this.api.signatures(name, version);
  }

  infer(name: string, version: string, method: InferenceMethod, body: string): Promise<string> {
    return this.api.infer(name, version, method, body);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#poll.dispose();
    this.#watcher?.stop();
    Signal.clearData(this);
  }

  async #refreshOnce(): Promise<void> {
    const ticket = ++this.#refreshes;
    const askedAt = Date.now();
    const exportedList = this.#exportedModels
      ? this.#exportedModels.list(this.#settings.modelsFolder)
      : Promise.resolve([]);
    const [listing, exported, metrics, digests] = await Promise.allSettled([
      this.api.listModels(),
      exportedList,
      this.api.metrics(),
      exportedList.then((all) => this.#digests?.digests(all) ?? new Map<string, string>()),
    ]);
    if (ticket < this.#applied || this.#disposed) return;
    this.#applied = ticket;
    if (digests.status === "fulfilled") this.#exportedDigests = digests.value;

    if (listing.status === "fulfilled") {
      this.#setConnection({ status: "connected" });
      this.#listedAskedAt = askedAt;
      this.#applyServed(listing.value);
    } else {
      const error: unknown = listing.reason;
      const message = error instanceof Error ? error.message : String(error);
      const since = this.#connection.status === "unreachable" ? this.#connection.since : Date.now();
      this.#setConnection({
        status: "unreachable",
        message:
          error instanceof NetworkError ? message : `The server answered with an error: ${message}`,
        since,
      });
    }

    if (exported.status === "fulfilled") {
      this.#workspaceProblem = "";
      this.#applyExported(exported.value);
    } else {
      const error: unknown = exported.reason;
      this.#workspaceProblem =
        error instanceof MissingFolderError
          ? error.message
          : `Cannot read the workspace: ${error instanceof Error ? error.message : String(error)}`;
      this.#applyExported([]);
    }

    if (metrics.status === "fulfilled") this.#applyMetrics(metrics.value);
  }

  /** A pushed state change: kept in the version's history and, when live, drawn at once. */
  #onPushed(event: VersionStateEvent, live: boolean): void {
    if (this.#disposed) return;
    const recorded = this.#histories.record(event);
    if (live)
      this.#pushed.set(pushedKey(event.name, event.version), { event, receivedAt: Date.now() });
    if (live || recorded) this.#applyServed(this.#listed);
    // Labels, sizes and digests follow from the listing.
    if (live) this.refreshSoon();
  }

  #applyServed(listed: ServedModel[]): void {
    this.#listed = listed;
    // Pushes older than the listing are in it already.
    for (const [key, pushed] of this.#pushed) {
      if (pushed.receivedAt < this.#listedAskedAt) this.#pushed.delete(key);
    }
    const current = withPushedStates(listed, this.#pushed, this.#listedAskedAt);
    this.#pending = stillPending(this.#pending, current, Date.now(), PENDING_MAX_AGE_MS);
    const served = withTransitions(withPendingDeploys(current, this.#pending), this.#histories);
    if (!sameJson(served, this.#served)) {
      this.#noticeRollbacks(this.#served, served);
      this.#served = served;
      this.#servedChanged.emit(served);
    }
    this.#applyExported(this.#exportedAll);
  }

  /** A rollout the server rolled back by itself is news: a notice, until dismissed. */
  #noticeRollbacks(before: readonly ServedModel[], now: readonly ServedModel[]): void {
    const added: Notice[] = [];
    for (const model of now) {
      const was = before.find((m) => m.name === model.name)?.rollout;
      if (!automaticRollback(was, model.rollout)) continue;
      added.push({
        id: this.#nextNotice++,
        model: model.name,
        text: `${model.name}: candidate v${model.rollout!.candidate} was rolled back automatically. ${model.rollout!.reason}`,
      });
    }
    if (added.length === 0) return;
    this.#notices = [...this.#notices, ...added];
    this.#noticesChanged.emit(this.#notices);
  }

  #applyExported(all: ExportedVersion[]): void {
    this.#exportedAll = all;
    const exported = exportedNotServed(all, this.#served, this.#exportedDigests, this.#uploaded);
    if (!sameJson(exported, this.#exported)) {
      this.#exported = exported;
      this.#exportedChanged.emit(exported);
    }
    if (this.#selected && !exported.some((e) => sameJson(e, this.#selected))) this.select(null);
  }

  #applyMetrics(text: string): void {
    const scrape = readScrape(text, Date.now());
    const before = this.#lastScrape;
    this.#lastScrape = scrape;
    if (!before) return;
    for (const [key, point] of trafficBetween(before, scrape)) {
      const points = this.#traffic.get(key) ?? [];
      points.push(point);
      if (points.length > TRAFFIC_POINTS) points.splice(0, points.length - TRAFFIC_POINTS);
      this.#traffic.set(key, points);
    }
    this.#trafficChanged.emit();
  }

  #setConnection(connection: Connection): void {
    if (sameJson(connection, this.#connection)) return;
    this.#connection = connection;
    this.#connectionChanged.emit(connection);
  }

  async #run(key: string, action: () => Promise<unknown>): Promise<void> {
    this.#actions.set(key, { key, running: true });
    this.#actionsChanged.emit();
    try {
      await action();
      this.#actions.delete(key);
    } catch (error) {
      this.#actions.set(key, {
        key,
        running: false,
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      this.#actionsChanged.emit();
    }
  }

  #intervalMs(): number {
    return Math.max(0.2, this.#settings.pollingInterval) * 1000;
  }
}

export const deployKey = (name: string, version: string): string => `deploy:${name}/${version}`;
export const labelKey = (name: string, version: string): string => `label:${name}/${version}`;
export const unlabelKey = (name: string, label: string): string => `unlabel:${name}/${label}`;
export const deleteKey = (name: string, version: string): string => `delete:${name}/${version}`;
export const rolloutKey = (name: string): string => `rollout:${name}`;
