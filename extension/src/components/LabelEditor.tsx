import React, { useState } from "react";
import { isLabel } from "@servable/protocol/names";

const SUGGESTED = ["stable", "canary"];
const OTHER = "";

/** Picks a label (stable, canary, or one typed in) to point at a version. */
export function LabelEditor(props: {
  version: string;
  busy: boolean;
  onSet: (label: string) => void;
  onCancel: () => void;
}) {
  const [choice, setChoice] = useState(SUGGESTED[0]);
  const [typed, setTyped] = useState("");
  const label = choice === OTHER ? typed.trim() : choice;
  const valid = isLabel(label);
  return (
    <form
      className="jp-Servable-label-editor"
      aria-label={`Label version ${props.version}`}
      onSubmit={(event) => {
        event.preventDefault();
        if (valid) props.onSet(label);
      }}
    >
      <select
        className="jp-mod-styled"
        aria-label="Label"
        value={choice}
        onChange={(event) => setChoice(event.target.value)}
      >
        {SUGGESTED.map((l) => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
        <option value={OTHER}>other…</option>
      </select>
      {choice === OTHER && (
        <input
          className="jp-mod-styled"
          aria-label="Label name"
          placeholder="label"
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
          autoFocus
        />
      )}
      <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={!valid || props.busy}>
        Set
      </button>
      <button type="button" className="jp-mod-styled" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}
