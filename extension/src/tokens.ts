import { Token } from "@lumino/coreutils";
import type { ISignal } from "@lumino/signaling";
import type { VersionState } from "@servable/protocol/wire";
import type { PushStatus } from "./model-events";
import type { InferenceMethod, SignatureMap } from "./server-api";

export type { VersionState };

/**
 * The sidebar's contract: what the model holds and announces, the commands, the settings.
 * Views read the model and listen to its signals; they never talk to a server themselves.
 */

export const PLUGIN_ID = "@servable/jupyterlab:plugin";

export const CommandIDs = {
  refresh: "servable:refresh",
  deploySelected: "servable:deploy-selected",
  openSettings: "servable:open-settings",
} as const;

/** The plugin's settings (schema/plugin.json). */
export interface ServableSettings {
  /** The serving server's REST address, e.g. http://localhost:8501. */
  readonly serverUrl: string;
  /** Bearer token for the management calls ("" for none). */
  readonly token: string;
  /** Folder of the Jupyter workspace holding exported models (`<name>/<version>/`). */
  readonly modelsFolder: string;
  /** Seconds between two refreshes. */
  readonly pollingInterval: number;
}

export const DEFAULT_SETTINGS: ServableSettings = {
  serverUrl: "http://localhost:8501",
  token: "",
  modelsFolder: "models",
  pollingInterval: 2,
};

/** One version of a served model, as `GET /v1/models` lists it. */
export interface ServedVersion {
  readonly version: string;
  readonly state: VersionState;
  /** TF Serving's error code ("OK" unless a load failed). */
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly labels: readonly string[];
  readonly sizeBytes?: number;
  /** ISO time at which the version became AVAILABLE. */
  readonly availableSince?: string;
  /** True while the version is known only from an upload the listing does not show yet. */
  readonly pending?: boolean;
  /** Its files' digest (protocol's version-digest.ts), when the server lists it. */
  readonly contentDigest?: string;
  /** The engine that runs it, once loaded ("tfjs" or "onnxruntime"). */
  readonly engine?: string;
  /** Why a TF.js model runs on TF.js rather than ONNX Runtime. */
  readonly engineReason?: string;
  /** Its recent state changes, oldest first, as the server pushed them. */
  readonly transitions?: readonly Transition[];
}

/** A version went from one state to another, `ms` after it entered the first. */
export interface Transition {
  readonly from: VersionState;
  readonly to: VersionState;
  readonly ms: number;
  /** When it entered `to` (milliseconds since the epoch, the server's clock). */
  readonly at: number;
  /** `to` is END because a load failed. */
  readonly failed: boolean;
}

export interface ServedModel {
  readonly name: string;
  /** label -> version */
  readonly labels: Readonly<Record<string, string>>;
  readonly versions: readonly ServedVersion[];
  /** Its rollout, when it has one (docs/rollouts.md). */
  readonly rollout?: RolloutInfo;
}

/** One version's requests in a rollout's stats window (this server's). */
export interface RolloutNumbers {
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** A fraction (0.01 is 1 %). */
  readonly errorRate: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** A model's rollout: a candidate beside `stable`, its share, its shadow, its numbers. */
export interface RolloutInfo {
  /** The `stable` version (null: no stable label, so no routing). */
  readonly stable: string | null;
  readonly candidate: string;
  /** Fractions in [0, 1]. */
  readonly share: number;
  readonly shadow: number;
  readonly state: "running" | "rolled_back";
  /** Why it was rolled back ("" while running); `manual:` when through the API. */
  readonly reason: string;
  readonly windowSeconds: number;
  readonly stableStats: RolloutNumbers;
  readonly candidateStats: RolloutNumbers;
  readonly shadowStats: {
    readonly compared: number;
    /** Agreeing comparisons / compared (null: none compared). */
    readonly agreement: number | null;
    readonly errors: number;
    readonly dropped: number;
    readonly maxAbsDiff: number | null;
  };
}

/** A change to a rollout (fields left out keep their value). */
export interface RolloutChange {
  readonly candidate?: string;
  readonly share?: number;
  readonly shadow?: number;
}

/** Something that happened without the person asking, shown until dismissed. */
export interface Notice {
  readonly id: number;
  readonly model: string;
  readonly text: string;
}

/** A version folder found in the workspace's models folder. */
export interface ExportedVersion {
  readonly name: string;
  readonly version: string;
  /** Path of the version folder, relative to the Jupyter root. */
  readonly path: string;
  /** Sum of the sizes of the files directly in the folder, when the listing gives them. */
  readonly sizeBytes?: number;
  /** Changes when the folder's files do (names, sizes, modification times). */
  readonly fingerprint?: string;
}

/** Whether the serving server answers. */
export type Connection =
  | { readonly status: "connecting" }
  | { readonly status: "connected" }
  | { readonly status: "unreachable"; readonly message: string; readonly since: number };

/**
 * How the sidebar learns of version state changes: pushed by the server as they happen
 * ("live"), or only by polling (the server has no push channel, or it is down).
 */
export type { PushStatus };

/** One point of a version's live chart. */
export interface TrafficPoint {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly requestsPerSecond: number;
  /** Median latency of the requests of the interval, milliseconds (null: no request). */
  readonly p50Ms: number | null;
}

/** An action (deploy, label, delete) that is running or has failed. */
export interface ActionStatus {
  readonly key: string;
  readonly running: boolean;
  readonly error?: string;
}

export interface IServableModel {
  readonly settings: ServableSettings;
  readonly connection: Connection;
  readonly push: PushStatus;
  readonly served: readonly ServedModel[];
  /** Exported versions the server does not serve yet. */
  readonly exported: readonly ExportedVersion[];
  /** Why the models folder could not be read ("" when it could). */
  readonly workspaceProblem: string;
  readonly selectedExported: ExportedVersion | null;
  /** Automatic rollbacks seen since the sidebar opened, until dismissed. */
  readonly notices: readonly Notice[];

  readonly servedChanged: ISignal<IServableModel, readonly ServedModel[]>;
  readonly exportedChanged: ISignal<IServableModel, readonly ExportedVersion[]>;
  readonly connectionChanged: ISignal<IServableModel, Connection>;
  readonly pushChanged: ISignal<IServableModel, PushStatus>;
  readonly trafficChanged: ISignal<IServableModel, void>;
  readonly actionsChanged: ISignal<IServableModel, void>;
  readonly selectionChanged: ISignal<IServableModel, ExportedVersion | null>;
  readonly noticesChanged: ISignal<IServableModel, readonly Notice[]>;

  traffic(name: string, version: string): readonly TrafficPoint[];
  action(key: string): ActionStatus | undefined;
  select(version: ExportedVersion | null): void;
  refresh(): Promise<void>;
  /** A refresh that coalesces with others asked for while one runs (for bursts of events). */
  refreshSoon(): void;
  deploy(version: ExportedVersion): Promise<void>;
  setLabel(name: string, label: string, version: string): Promise<void>;
  removeLabel(name: string, label: string): Promise<void>;
  deleteVersion(name: string, version: string): Promise<void>;
  /** Starts or changes the model's rollout (action key `rolloutKey(name)`). */
  setRollout(name: string, change: RolloutChange): Promise<void>;
  /** The candidate becomes `stable`; the rollout ends. */
  promote(name: string): Promise<void>;
  /** The candidate takes no unversioned traffic any more (and is deleted, if asked). */
  rollback(name: string, deleteCandidate: boolean): Promise<void>;
  dismissNotice(id: number): void;
  /** The version's signatures (metadata endpoint). */
  signatures(name: string, version: string): Promise<SignatureMap>;
  /** Sends a request body to the version; resolves with the answer's text. */
  infer(name: string, version: string, method: InferenceMethod, body: string): Promise<string>;
}

export const IServableModel = new Token<IServableModel>(
  "@servable/jupyterlab:IServableModel",
  "The served and exported models the Servable sidebar shows, polled from the serving server.",
);
