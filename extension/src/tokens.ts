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

  readonly servedChanged: ISignal<IServableModel, readonly ServedModel[]>;
  readonly exportedChanged: ISignal<IServableModel, readonly ExportedVersion[]>;
  readonly connectionChanged: ISignal<IServableModel, Connection>;
  readonly pushChanged: ISignal<IServableModel, PushStatus>;
  readonly trafficChanged: ISignal<IServableModel, void>;
  readonly actionsChanged: ISignal<IServableModel, void>;
  readonly selectionChanged: ISignal<IServableModel, ExportedVersion | null>;

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
  /** The version's signatures (metadata endpoint). */
  signatures(name: string, version: string): Promise<SignatureMap>;
  /** Sends a request body to the version; resolves with the answer's text. */
  infer(name: string, version: string, method: InferenceMethod, body: string): Promise<string>;
}

export const IServableModel = new Token<IServableModel>(
  "@servable/jupyterlab:IServableModel",
  "The served and exported models the Servable sidebar shows, polled from the serving server.",
);
