import type {
  PromoteResponse,
  RollbackRequest,
  RollbackResponse,
  RolloutGuard,
  RolloutRequest,
  RolloutView,
} from "@servable/protocol";
import { ServerError } from "./client/errors";
import { request } from "./client/request";
import { resolveServer, type ServerAddress, type ServerOptions } from "./client/server-address";
import { startLiveOutput, type LiveOutput } from "./display/live-output";
import { rolloutCardHtml, rolloutEndedHtml, rolloutSummary } from "./display/rollout-card";
import { showHtml } from "./display/tslab";
import { checkName } from "./version-folder";

/**
 * Rollouts from a notebook (docs/rollouts.md): a candidate version takes a share of a
 * model's unversioned traffic beside `stable`, or a copy of stable's requests (shadow),
 * until it is promoted or rolled back. Each call shows the rollout's live card in tslab:
 * both versions' requests per second, error rate, p50 and p99, and the shadow agreement,
 * refreshed while the card is on screen (display/live-output.ts says how long).
 */

export interface CardOptions extends ServerOptions {
  /** Show the live card in tslab (default: yes). */
  readonly display?: boolean;
  /** Seconds between two refreshes of the card (default 2). */
  readonly refreshSeconds?: number;
  /** How long the card keeps refreshing, in minutes (default 10). */
  readonly refreshMinutes?: number;
}

export interface RolloutOptions extends CardOptions {
  /** The version to roll out (needed to start a rollout; kept when left out). */
  readonly candidate?: number;
  /** Fraction of the unversioned requests the candidate answers, in [0, 1]. */
  readonly share?: number;
  /** Fraction of stable's requests also run on the candidate, compared, in [0, 1]. */
  readonly shadow?: number;
  /** The version to label `stable` (default: the label, else the highest other AVAILABLE version). */
  readonly stable?: number;
  /** When the server rolls the candidate back by itself (the fields given; null: the server's default). */
  readonly guard?: Partial<RolloutGuard> | null;
}

export interface ShadowOptions extends CardOptions {
  readonly candidate?: number;
  /** Fraction of stable's requests also run on the candidate, in [0, 1]. */
  readonly share: number;
}

export interface RollbackOptions extends CardOptions {
  /** Also delete the candidate version from the server (and end the rollout). */
  readonly deleteCandidate?: boolean;
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * Starts or changes a model's rollout: `await rollout("iris", { candidate: 3, share: 0.1 })`
 * sends 10 % of iris's unversioned requests to version 3, the rest to `stable`. Fields left
 * out keep their value; a rolled-back rollout runs again.
 */
export async function rollout(name: string, options: RolloutOptions): Promise<RolloutView> {
  checkName(name);
  const body: RolloutRequest = {
    ...(options.candidate !== undefined && { candidate: options.candidate }),
    ...(options.share !== undefined && { share: options.share }),
    ...(options.shadow !== undefined && { shadow: options.shadow }),
    ...(options.stable !== undefined && { stable: options.stable }),
    ...(options.guard !== undefined && { guard: options.guard }),
  };
  const server = await resolveServer(options);
  const view = await request<RolloutView>(server, rolloutPath(name), { method: "PUT", json: body });
  await showCard(server, view, options);
  return described(view);
}

/**
 * Sends a share of stable's requests to the candidate as well, after their clients have
 * stable's answers, and compares the outputs: `await shadow("iris", { candidate: 3, share: 1 })`.
 * The candidate's share of the traffic is left as it is (0 for a new rollout).
 */
export async function shadow(name: string, options: ShadowOptions): Promise<RolloutView> {
  const { share, ...rest } = options;
  return rollout(name, { ...rest, shadow: share });
}

/** Makes the candidate `stable` and ends the rollout. */
export async function promote(name: string, options: CardOptions = {}): Promise<PromoteResponse> {
  checkName(name);
  const server = await resolveServer(options);
  const answer = await request<PromoteResponse>(server, `${rolloutPath(name)}:promote`, {
    method: "POST",
  });
  const text = `promoted: version ${answer.stable} is stable`;
  await endCard(name, text);
  if (options.display !== false) showHtml(rolloutEndedHtml(name, text));
  return Object.defineProperty(answer, INSPECT, {
    value: () => `${name}: version ${answer.stable} is stable; the rollout is over`,
  });
}

/**
 * Rolls the candidate back: it takes no unversioned traffic (stable answers everything)
 * until a new rollout or a promote. `deleteCandidate` also deletes it and ends the rollout.
 */
export async function rollback(
  name: string,
  options: RollbackOptions = {},
): Promise<RollbackResponse> {
  checkName(name);
  const server = await resolveServer(options);
  const body: RollbackRequest = { delete_candidate: options.deleteCandidate ?? false };
  const view = await request<RollbackResponse>(server, `${rolloutPath(name)}:rollback`, {
    method: "POST",
    json: body,
  });
  if (view.candidate_deleted) {
    const text = `rolled back; version ${view.candidate} deleted`;
    await endCard(name, text);
    if (options.display !== false) showHtml(rolloutEndedHtml(name, text));
  } else {
    await showCard(server, view, options);
  }
  return described(view);
}

/** The model's rollout as the server sees it now, with its live card. */
export async function rolloutStatus(name: string, options: CardOptions = {}): Promise<RolloutView> {
  checkName(name);
  const server = await resolveServer(options);
  const view = await request<RolloutView>(server, rolloutPath(name));
  await showCard(server, view, options);
  return described(view);
}

function rolloutPath(name: string): string {
  return `v1/models/${encodeURIComponent(name)}/rollout`;
}

/** What console.log (and tslab, for a cell's last value) prints of a view: one line. */
function described<T extends RolloutView>(view: T): T {
  return Object.defineProperty(view, INSPECT, { value: () => rolloutSummary(view) });
}

/** A model's live card, so promote and rollback can close it with their outcome. */
interface Card {
  output: LiveOutput | undefined;
  ended: string | undefined;
}
const cards = new Map<string, Card>();

async function showCard(server: ServerAddress, first: RolloutView, options: CardOptions) {
  if (options.display === false) return;
  const name = first.name;
  let view = first;
  let fresh = true;
  const card: Card = { output: undefined, ended: undefined };
  const output = await startLiveOutput({
    key: `rollout\u0000${name}`,
    everyMs: (options.refreshSeconds ?? 2) * 1000,
    forMs: (options.refreshMinutes ?? 10) * 60_000,
    render: async (footer) => {
      let problem: string | undefined;
      if (!fresh) {
        try {
          view = await request<RolloutView>(server, rolloutPath(name), { timeoutMs: 10_000 });
        } catch (error) {
          if (error instanceof ServerError && error.status === 404) {
            return { html: rolloutEndedHtml(name, card.ended ?? "ended"), done: true };
          }
          problem = `Cannot refresh: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
      fresh = false;
      return { html: rolloutCardHtml({ view, footer, ...(problem && { problem }) }) };
    },
    final: async (reason) =>
      card.ended
        ? { html: rolloutEndedHtml(name, card.ended) }
        : { html: rolloutCardHtml({ view, footer: reason }) },
  });
  if (!output) return;
  card.output = output;
  cards.set(name, card);
}

/** Closes the model's live card (in the cell that showed it) with how its rollout ended. */
async function endCard(name: string, text: string): Promise<void> {
  const card = cards.get(name);
  cards.delete(name);
  if (!card?.output || card.output.stopped) return;
  card.ended = text;
  await card.output.stop(text);
}
