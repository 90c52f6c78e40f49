import React from "react";
import { transitionText } from "../transitions";
import type { Transition } from "../tokens";

/** Transitions shown per version: enough to see a load, and what came after it. */
const SHOWN = 2;

/**
 * A version's last state changes, as the server pushed them: "LOADING → AVAILABLE in
 * 6 ms". A load of a small model lasts milliseconds; this is how a person sees that it
 * happened, and how long it took.
 */
export function Transitions(props: { transitions: readonly Transition[] }) {
  const shown = props.transitions.slice(-SHOWN);
  return (
    <ul className="jp-Servable-transitions" aria-label="Recent state changes">
      {shown.map((t) => (
        <li
          key={`${t.at}-${t.to}`}
          className={`jp-Servable-transition${t.failed ? " jp-mod-error" : ""}`}
          data-from={t.from}
          data-to={t.to}
          data-ms={Math.round(t.ms)}
          title={new Date(t.at).toLocaleString()}
        >
          {transitionText(t)}
        </li>
      ))}
    </ul>
  );
}
