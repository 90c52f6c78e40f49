import { Dialog, showDialog } from "@jupyterlab/apputils";
import React, { useState } from "react";
import { deleteKey, labelKey, unlabelKey } from "../model";
import type { IServableModel, ServedVersion } from "../tokens";
import { formatBytes, formatSince } from "./format";
import { LabelEditor } from "./LabelEditor";
import { Sparkline } from "./Sparkline";
import { TestForm } from "./TestForm";
import { Transitions } from "./Transitions";

type Open = "none" | "label" | "test";

const ENGINE_NAMES: ReadonlyMap<string, string> = new Map([
  ["tfjs", "TF.js"],
  ["onnxruntime", "ONNX Runtime"],
]);

/** One served version: state, labels, size, age, engine, live traffic, and its actions. */
export function VersionRow(props: { model: IServableModel; name: string; version: ServedVersion }) {
  const { model, name, version: v } = props;
  const [open, setOpen] = useState<Open>("none");
  const labelAction = model.action(labelKey(name, v.version));
  const unlabelErrors = v.labels
    .map((label) => model.action(unlabelKey(name, label))?.error)
    .filter((error): error is string => Boolean(error));
  const deleteAction = model.action(deleteKey(name, v.version));
  const failed = v.state === "END" && v.errorCode !== "OK";
  // END without an error: the server let the version go (a newer one took its place).
  const unloaded = v.state === "END" && !failed;
  const stateText = failed ? "FAILED" : unloaded ? "UNLOADED" : v.state;
  const toggle = (what: Open) => setOpen(open === what ? "none" : what);
  // Errors already shown in the row; the promise is awaited only to keep the UI in step.
  const quietly = (promise: Promise<void>) => promise.catch(() => undefined);

  const confirmDelete = async () => {
    const result = await showDialog({
      title: `Delete ${name} version ${v.version}?`,
      body: "The server unloads it (requests running on it finish first) and removes its folder.",
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: "Delete" })],
    });
    if (result.button.accept) await quietly(model.deleteVersion(name, v.version));
  };

  return (
    <li
      className={`jp-Servable-version${unloaded ? " jp-mod-unloaded" : ""}`}
      data-model={name}
      data-version={v.version}
      data-state={v.state}
    >
      <div className="jp-Servable-version-line">
        <span className="jp-Servable-version-number">v{v.version}</span>
        <span
          className={`jp-Servable-state jp-Servable-state-${v.state.toLowerCase()}${failed ? " jp-mod-error" : ""}`}
          title={
            v.pending
              ? "Uploaded; the server picks it up on its next poll"
              : unloaded
                ? "Not served: a newer version took its place"
                : v.state
          }
        >
          {stateText}
        </span>
        {v.labels.map((label) => (
          <span key={label} className="jp-Servable-label" data-label={label}>
            {label}
            <button
              type="button"
              className="jp-Servable-label-remove"
              title={`Remove the label ${label}`}
              aria-label={`Remove the label ${label}`}
              disabled={model.action(unlabelKey(name, label))?.running}
              onClick={() => void quietly(model.removeLabel(name, label))}
            >
              ×
            </button>
          </span>
        ))}
        <span className="jp-Servable-spacer" />
        <span className="jp-Servable-size">{formatBytes(v.sizeBytes)}</span>
      </div>
      {failed && <div className="jp-Servable-error">{v.errorMessage || v.errorCode}</div>}
      {v.transitions && <Transitions transitions={v.transitions} />}
      {v.state === "AVAILABLE" && (
        <div className="jp-Servable-version-line">
          <span className="jp-Servable-since" title={v.availableSince}>
            available {formatSince(v.availableSince, Date.now())}
          </span>
          {v.engine && (
            <span
              className="jp-Servable-engine"
              data-engine={v.engine}
              title={v.engineReason ? `Not on ONNX Runtime: ${v.engineReason}` : undefined}
            >
              {ENGINE_NAMES.get(v.engine) ?? v.engine}
            </span>
          )}
          <span className="jp-Servable-spacer" />
          <Sparkline points={model.traffic(name, v.version)} label={`${name} v${v.version}`} />
        </div>
      )}
      {!v.pending && (
        <div className="jp-Servable-version-actions">
          {/* The server labels and answers only versions it serves. */}
          {!unloaded && (
            <>
              <button
                type="button"
                className="jp-mod-styled"
                aria-expanded={open === "label"}
                onClick={() => toggle("label")}
              >
                Label
              </button>
              <button
                type="button"
                className="jp-mod-styled"
                aria-expanded={open === "test"}
                disabled={v.state !== "AVAILABLE"}
                onClick={() => toggle("test")}
              >
                Test
              </button>
            </>
          )}
          <button
            type="button"
            className="jp-mod-styled jp-mod-warn"
            disabled={deleteAction?.running}
            onClick={() => void confirmDelete()}
          >
            {deleteAction?.running ? "Deleting…" : "Delete"}
          </button>
        </div>
      )}
      {labelAction?.error && <div className="jp-Servable-error">{labelAction.error}</div>}
      {unlabelErrors.map((error) => (
        <div key={error} className="jp-Servable-error">
          {error}
        </div>
      ))}
      {deleteAction?.error && <div className="jp-Servable-error">{deleteAction.error}</div>}
      {open === "label" && (
        <LabelEditor
          version={v.version}
          busy={labelAction?.running ?? false}
          onCancel={() => setOpen("none")}
          onSet={(label) =>
            void model.setLabel(name, label, v.version).then(
              () => setOpen("none"),
              () => undefined,
            )
          }
        />
      )}
      {open === "test" && <TestForm model={model} name={name} version={v.version} />}
    </li>
  );
}
