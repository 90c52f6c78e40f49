import type { ISignal } from "@lumino/signaling";
import { useEffect, useReducer } from "react";

/**
 * Re-renders the component whenever one of the signals fires; connects on mount and
 * disconnects on unmount, so a closed view leaves no listener on the model.
 */
export function useSignals(...signals: ISignal<unknown, unknown>[]): void {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const listener = () => rerender();
    for (const signal of signals) signal.connect(listener);
    return () => {
      for (const signal of signals) signal.disconnect(listener);
    };
    // The signals of one model never change for a mounted view.
  }, signals);
}
