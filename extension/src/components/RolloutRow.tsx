import { Dialog, showDialog } from "@jupyterlab/apputils";
import { own } from "@servable/protocol/names";
import React, { useEffect, useState } from "react";
import { rolloutKey } from "../model";
import type { IServableModel, RolloutInfo, RolloutNumbers, ServedModel } from "../tokens";
import { formatDifference, formatMs, formatPercent, formatRate } from "./format";

/** A share moved with the slider is sent once it rests this long. */
const SHARE_SETTLES_MS = 400;

/**
 * A model's rollout (docs/rollouts.md): which AVAILABLE version is the candidate beside
 * `stable`, the share of unversioned requests it answers (slider), whether it also gets a
 * copy of stable's requests to compare (Shadow), the two versions' numbers side by side
 * with the shadow agreement, and Promote / Roll back. Shown for a model with two or more
 * AVAILABLE versions, or with a rollout.
 */
export function RolloutRow(props: { model: IServableModel; served: ServedModel }) {
  const { model, served } = props;
  const rollout = served.rollout;
  const action = model.action(rolloutKey(served.name));
  const busy = action?.running ?? false;
  const stable = rollout?.stable ?? own(served.labels, "stable") ?? null;
  const choices = served.versions
    .filter((v) => v.state === "AVAILABLE" && v.version !== stable)
    .map((v) => v.version);
  const [picked, setPicked] = useState("");
  const candidate = rollout?.candidate ?? (choices.includes(picked) ? picked : (choices[0] ?? ""));
  const serverShare = Math.round((rollout?.share ?? 0.1) * 100);
  const [share, setShare] = useState(serverShare);
  const running = rollout?.state === "running";
  const serverShadow = (rollout?.shadow ?? 0) > 0;
  const [shadowOn, setShadowOn] = useState(serverShadow);
  const quietly = (promise: Promise<void>) => promise.catch(() => undefined);

  // The server's values when they change there (a notebook, another sidebar, a rollback).
  useEffect(() => setShare(serverShare), [serverShare]);
  useEffect(() => setShadowOn(serverShadow), [serverShadow]);
  // A running rollout follows the slider once it rests.
  useEffect(() => {
    if (!running || share === serverShare) return;
    const timer = setTimeout(
      () => void quietly(model.setRollout(served.name, { share: share / 100 })),
      SHARE_SETTLES_MS,
    );
    return () => clearTimeout(timer);
  }, [running, share, serverShare]);

  const confirmRollback = async () => {
    if (!rollout) return;
    const remove = `Roll back and delete v${rollout.candidate}`;
    const result = await showDialog({
      title: `Roll back ${served.name}'s candidate v${rollout.candidate}?`,
      body:
        `Stable${stable ? ` v${stable}` : ""} answers every unversioned request again. ` +
        `v${rollout.candidate} stays on the server unless you delete it.`,
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: remove }),
        Dialog.warnButton({ label: "Roll back" }),
      ],
    });
    if (!result.button.accept) return;
    await quietly(model.rollback(served.name, result.button.label === remove));
  };

  const start = () =>
    void quietly(
      model.setRollout(served.name, {
        candidate,
        share: share / 100,
        ...(rollout ? {} : { shadow: 0 }),
      }),
    );

  return (
    <section
      className="jp-Servable-rollout"
      aria-label={`Rollout of ${served.name}`}
      data-model={served.name}
      data-state={rollout?.state ?? "none"}
    >
      <div className="jp-Servable-version-line">
        <span className="jp-Servable-rollout-title">Rollout</span>
        {rollout && (
          <span className={`jp-Servable-rollout-state jp-mod-${rollout.state}`}>
            {running ? "running" : "rolled back"}
          </span>
        )}
        <span className="jp-Servable-spacer" />
        <span className="jp-Servable-muted">
          stable {stable ? `v${stable}` : "(the server picks)"}
        </span>
      </div>
      {rollout?.state === "rolled_back" && (
        <div className="jp-Servable-error jp-Servable-rollout-reason">{rollout.reason}</div>
      )}
      <div className="jp-Servable-rollout-controls">
        <label className="jp-Servable-inline-field">
          <span>Candidate</span>
          <select
            className="jp-mod-styled"
            aria-label="Candidate"
            value={candidate}
            disabled={busy || choices.length === 0}
            onChange={(event) => {
              setPicked(event.target.value);
              if (rollout) {
                void quietly(model.setRollout(served.name, { candidate: event.target.value }));
              }
            }}
          >
            {choices.length === 0 && <option value="">none</option>}
            {choices.map((v) => (
              <option key={v} value={v}>
                v{v}
              </option>
            ))}
          </select>
        </label>
        <label className="jp-Servable-inline-field jp-Servable-share">
          <span>Share</span>
          <input
            type="range"
            aria-label="Share of traffic"
            min={0}
            max={100}
            step={1}
            value={share}
            disabled={busy && !running}
            onChange={(event) => setShare(Number(event.target.value))}
          />
          <output className="jp-Servable-share-value">{share} %</output>
        </label>
        <label
          className="jp-Servable-inline-field"
          title="Also run stable's requests on the candidate and compare the answers"
        >
          <input
            type="checkbox"
            aria-label="Shadow"
            checked={shadowOn}
            disabled={busy || !rollout}
            onChange={(event) => {
              const on = event.target.checked;
              setShadowOn(on);
              // A refusal puts the box back as the server has it.
              model
                .setRollout(served.name, { shadow: on ? 1 : 0 })
                .catch(() => setShadowOn(serverShadow));
            }}
          />
          <span>Shadow</span>
        </label>
      </div>
      {rollout && <Comparison rollout={rollout} />}
      <div className="jp-Servable-version-actions">
        {!running && (
          <button
            type="button"
            className="jp-mod-styled jp-mod-accept"
            disabled={busy || candidate === ""}
            onClick={start}
          >
            {rollout ? "Start again" : "Start rollout"}
          </button>
        )}
        {rollout && (
          <button
            type="button"
            className="jp-mod-styled jp-mod-accept"
            disabled={busy}
            title={`v${rollout.candidate} becomes stable; the rollout ends`}
            onClick={() => void quietly(model.promote(served.name))}
          >
            Promote
          </button>
        )}
        {running && (
          <button
            type="button"
            className="jp-mod-styled jp-mod-warn"
            disabled={busy}
            onClick={() => void confirmRollback()}
          >
            Roll back
          </button>
        )}
      </div>
      {action?.error && <div className="jp-Servable-error">{action.error}</div>}
    </section>
  );
}

/** Stable and candidate side by side, and what the shadow comparison found. */
function Comparison(props: { rollout: RolloutInfo }) {
  const { rollout } = props;
  const running = rollout.state === "running";
  const row = (
    name: string,
    value: (n: RolloutNumbers) => string,
    stableShare?: string,
    candidateShare?: string,
  ) => (
    <>
      <span className="jp-Servable-muted">{name}</span>
      <span data-column="stable">{stableShare ?? value(rollout.stableStats)}</span>
      <span data-column="candidate">{candidateShare ?? value(rollout.candidateStats)}</span>
    </>
  );
  const shadow = rollout.shadowStats;
  return (
    <div className="jp-Servable-comparison" aria-label="Stable and candidate">
      <div className="jp-Servable-comparison-grid">
        <span />
        <strong>stable{rollout.stable ? ` v${rollout.stable}` : ""}</strong>
        <strong>candidate v{rollout.candidate}</strong>
        {row(
          "share",
          () => "",
          formatPercent(running ? 1 - rollout.share : 1),
          formatPercent(running ? rollout.share : 0),
        )}
        {row("req/s", (n) => formatRate(n.requestsPerSecond))}
        {row("errors", (n) => formatPercent(n.errorRate, 2))}
        {row("p50", (n) => formatMs(n.p50Ms))}
        {row("p99", (n) => formatMs(n.p99Ms))}
      </div>
      {(rollout.shadow > 0 || shadow.compared > 0) && (
        <div className="jp-Servable-shadow" data-compared={shadow.compared}>
          shadow:{" "}
          <strong className="jp-Servable-agreement">
            agreement {formatPercent(shadow.agreement, 1)}
          </strong>{" "}
          of {shadow.compared}
          {shadow.maxAbsDiff !== null && <> · max |Δ| {formatDifference(shadow.maxAbsDiff)}</>}
          {shadow.errors > 0 && <> · {shadow.errors} errors</>}
          {shadow.dropped > 0 && <> · {shadow.dropped} dropped</>}
        </div>
      )}
      <div className="jp-Servable-muted jp-Servable-window">
        last {rollout.windowSeconds} s on this server
      </div>
    </div>
  );
}
