import { refreshIcon, settingsIcon } from "@jupyterlab/ui-components";
import React from "react";
import { deployKey } from "../model";
import type { ExportedVersion, IServableModel, ServedModel } from "../tokens";
import { formatBytes } from "./format";
import { useSignals } from "./use-signal";
import { RolloutRow } from "./RolloutRow";
import { VersionRow } from "./VersionRow";

export interface ServablePanelProps {
  readonly model: IServableModel;
  readonly onOpenSettings: () => void;
}

/** The sidebar: the server's connection, its served models, the workspace's exports. */
export function ServablePanel(props: ServablePanelProps) {
  const { model } = props;
  useSignals(
    model.servedChanged,
    model.exportedChanged,
    model.connectionChanged,
    model.pushChanged,
    model.trafficChanged,
    model.actionsChanged,
    model.selectionChanged,
    model.noticesChanged,
  );
  return (
    <div className="jp-Servable-panel">
      <header className="jp-Servable-header">
        <h2 className="jp-Servable-title">Servable</h2>
        <ConnectionBadge model={model} />
        <button
          type="button"
          className="jp-Servable-icon-button"
          title="Refresh"
          aria-label="Refresh"
          onClick={() => void model.refresh()}
        >
          <refreshIcon.react tag="span" />
        </button>
        <button
          type="button"
          className="jp-Servable-icon-button"
          title="Settings"
          aria-label="Settings"
          onClick={props.onOpenSettings}
        >
          <settingsIcon.react tag="span" />
        </button>
      </header>
      <div className="jp-Servable-server" title="Server URL (settings)">
        {model.settings.serverUrl}
      </div>
      {model.connection.status === "unreachable" && (
        <div className="jp-Servable-banner jp-mod-error" role="alert">
          <strong>Server unreachable.</strong> {model.connection.message}. Retrying every{" "}
          {model.settings.pollingInterval} s.
        </div>
      )}
      {model.notices.map((notice) => (
        <div
          key={notice.id}
          className="jp-Servable-banner jp-Servable-notice"
          role="alert"
          data-model={notice.model}
        >
          <span>{notice.text}</span>
          <button
            type="button"
            className="jp-Servable-icon-button"
            title="Dismiss"
            aria-label="Dismiss"
            onClick={() => model.dismissNotice(notice.id)}
          >
            ×
          </button>
        </div>
      ))}
      <section className="jp-Servable-section" aria-label="Served">
        <h3 className="jp-Servable-section-title">Served</h3>
        <ServedList model={model} />
      </section>
      <section className="jp-Servable-section" aria-label="Exported">
        <h3 className="jp-Servable-section-title">
          Exported <span className="jp-Servable-muted">in {model.settings.modelsFolder}/</span>
        </h3>
        <ExportedList model={model} />
      </section>
    </div>
  );
}

function ConnectionBadge(props: { model: IServableModel }) {
  const { connection, push, settings } = props.model;
  const status = connection.status;
  const text = { connecting: "connecting…", connected: "connected", unreachable: "unreachable" }[
    status
  ];
  const live = status === "connected" && push === "live";
  return (
    <span
      className={`jp-Servable-connection jp-Servable-connection-${status}`}
      data-status={status}
      data-push={push}
      title={
        live
          ? "The server pushes every version's state change as it happens"
          : `Polling every ${settings.pollingInterval} s`
      }
    >
      {text}
      {live && <span className="jp-Servable-live"> · live</span>}
    </span>
  );
}

function ServedList(props: { model: IServableModel }) {
  const { model } = props;
  if (model.served.length === 0) {
    const text =
      model.connection.status === "connected"
        ? "The server serves no model."
        : "Nothing known yet.";
    return <p className="jp-Servable-muted">{text}</p>;
  }
  return (
    <ul className="jp-Servable-models">
      {model.served.map((m) => (
        <ModelCard key={m.name} model={model} served={m} />
      ))}
    </ul>
  );
}

function ModelCard(props: { model: IServableModel; served: ServedModel }) {
  const { served } = props;
  const available = served.versions.filter((v) => v.state === "AVAILABLE").length;
  return (
    <li className="jp-Servable-model" data-model={served.name}>
      <div className="jp-Servable-model-name">{served.name}</div>
      {(served.rollout || available >= 2) && <RolloutRow model={props.model} served={served} />}
      <ul className="jp-Servable-versions">
        {served.versions.map((v) => (
          <VersionRow key={v.version} model={props.model} name={served.name} version={v} />
        ))}
      </ul>
    </li>
  );
}

function ExportedList(props: { model: IServableModel }) {
  const { model } = props;
  if (model.workspaceProblem) return <p className="jp-Servable-muted">{model.workspaceProblem}</p>;
  if (model.exported.length === 0) {
    return <p className="jp-Servable-muted">Every exported version is served.</p>;
  }
  return (
    <ul className="jp-Servable-exported">
      {model.exported.map((e) => (
        <ExportedRow key={`${e.name}/${e.version}`} model={model} exported={e} />
      ))}
    </ul>
  );
}

function ExportedRow(props: { model: IServableModel; exported: ExportedVersion }) {
  const { model, exported: e } = props;
  const action = model.action(deployKey(e.name, e.version));
  const selected =
    model.selectedExported?.name === e.name && model.selectedExported.version === e.version;
  const offline = model.connection.status !== "connected";
  return (
    <li
      className={`jp-Servable-exported-row${selected ? " jp-mod-selected" : ""}`}
      data-model={e.name}
      data-version={e.version}
      aria-selected={selected}
      onClick={() => model.select(e)}
    >
      <div className="jp-Servable-version-line">
        <span className="jp-Servable-model-name">{e.name}</span>
        <span
          className="jp-Servable-folder"
          title={`${e.path}: the workspace's number; the server numbers the version it deploys`}
        >
          {e.version}/
        </span>
        <span className="jp-Servable-spacer" />
        <span className="jp-Servable-size">{formatBytes(e.sizeBytes)}</span>
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept"
          disabled={action?.running || offline}
          title={
            offline
              ? "The server is not reachable"
              : `Upload ${e.path} as a new version of ${e.name}`
          }
          onClick={(event) => {
            event.stopPropagation();
            void model.deploy(e).catch(() => undefined);
          }}
        >
          {action?.running ? "Deploying…" : "Deploy"}
        </button>
      </div>
      {action?.error && <div className="jp-Servable-error">{action.error}</div>}
    </li>
  );
}
