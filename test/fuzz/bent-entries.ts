import fc from "fast-check";
import { mostly, nameText, rarely } from "./json-text";

/** How often entries are bent, each as `mostly` and `rarely` count: one time in `odds + 1`. */
export interface BendOdds {
  readonly renamed: number;
  readonly dropped: number;
  readonly added: number;
}

/**
 * One entry per input of a signature (its name, and a value `valueOf` makes for it), as the
 * REST bodies and the gRPC messages carry them, bent: now and then an input is renamed (to
 * a name from `namesFor(its name)`, a prototype name, or any text) or left out, and now and
 * then one more entry (`extra`) is added at the end.
 */
export function bentEntries<Info, Value>(
  inputs: readonly (readonly [string, Info])[],
  valueOf: (info: Info) => fc.Arbitrary<Value>,
  namesFor: (name: string) => readonly string[],
  extra: fc.Arbitrary<readonly [string, Value]>,
  odds: BendOdds,
): fc.Arbitrary<(readonly [string, Value])[]> {
  return fc
    .tuple(
      fc.tuple(
        ...inputs.map(([name, info]) =>
          fc.tuple(
            mostly(fc.constant(name), nameText(namesFor(name)), odds.renamed),
            valueOf(info),
            mostly(fc.constant(true), fc.constant(false), odds.dropped),
          ),
        ),
      ),
      rarely(extra, odds.added),
    )
    .map(([entries, added]) => [
      ...entries.filter(([, , keep]) => keep).map(([name, value]) => [name, value] as const),
      ...(added ? [added] : []),
    ]);
}
