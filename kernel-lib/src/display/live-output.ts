import { newHtmlOutput, type HtmlOutput } from "./tslab";

/**
 * A cell output that keeps showing fresh data after its cell has finished: tslab's display
 * with an id, replaced in place (Jupyter's `update_display_data`) every `everyMs`.
 * JupyterLab keeps a cell's outputs listening for updates of their display ids until the
 * cell runs again or its outputs are cleared, so the kernel can go on refreshing while the
 * notebook runs other cells. The kernel cannot know when nobody looks any more, so a live
 * output stops by itself: after `forMs`, when `render` says it is done (nothing will
 * change), or when a newer output takes its key (the same model's card shown again).
 * It then draws its last state with why it stopped. The timer never keeps a plain Node
 * program alive (it is unref'd); outside tslab nothing is shown and nothing runs.
 */

export interface Frame {
  readonly html: string;
  /** Nothing will change any more: draw this one and stop. */
  readonly done?: boolean;
}

export interface LiveOutputOptions {
  /** One live output per key: a new one stops the one before it. */
  readonly key: string;
  readonly everyMs: number;
  readonly forMs: number;
  /** The output's content now; `refreshing` describes when the next refresh comes. */
  render(footer: string): Promise<Frame>;
  /** The last frame, once it has stopped (the reason in words). */
  final(reason: string): Promise<Frame>;
  /** Injected in tests. */
  readonly now?: () => number;
}

export interface LiveOutput {
  /** Stops refreshing; the output keeps its last content with `reason`. */
  stop(reason?: string): Promise<void>;
  readonly stopped: boolean;
}

const live = new Map<string, LiveOutput>();

/** Shows `render`'s frame and keeps replacing it; undefined outside tslab. */
export async function startLiveOutput(options: LiveOutputOptions): Promise<LiveOutput | undefined> {
  const output = newHtmlOutput();
  if (!output) return undefined;
  await live.get(options.key)?.stop("a newer card for it was shown below");
  const handle = new Refresher(output, options);
  live.set(options.key, handle);
  await handle.first();
  return handle;
}

class Refresher implements LiveOutput {
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #until: number;
  readonly #now: () => number;

  constructor(
    private readonly output: HtmlOutput,
    private readonly options: LiveOutputOptions,
  ) {
    this.#now = options.now ?? Date.now;
    this.#until = this.#now() + options.forMs;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async first(): Promise<void> {
    await this.#tick();
  }

  async stop(reason = "stopped"): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (live.get(this.options.key) === this) live.delete(this.options.key);
    this.#show((await this.options.final(reason)).html);
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const left = this.#until - this.#now();
    if (left <= 0) {
      await this.stop(`stopped refreshing after ${formatMinutes(this.options.forMs)}`);
      return;
    }
    const footer = `refreshed ${clock(this.#now())}, every ${this.options.everyMs / 1000} s until ${clock(this.#until)}`;
    let frame: Frame;
    try {
      frame = await this.options.render(footer);
    } catch (error) {
      // render reports its own failures as frames; anything else ends the refresh.
      await this.stop(`stopped: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.#stopped) return;
    this.#show(frame.html);
    if (frame.done) {
      this.#stopped = true;
      if (live.get(this.options.key) === this) live.delete(this.options.key);
      return;
    }
    this.#timer = setTimeout(() => void this.#tick(), Math.min(this.options.everyMs, left));
    this.#timer.unref();
  }

  #show(html: string): void {
    try {
      this.output.html(html);
    } catch {
      // The kernel is going away: nothing to show to.
      this.#stopped = true;
      clearTimeout(this.#timer);
    }
  }
}

function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60_000;
  return minutes >= 1 ? `${Number(minutes.toFixed(1))} min` : `${Math.round(ms / 1000)} s`;
}

/** Stops every live output (tests; a kernel about to be shut down). */
export async function stopLiveOutputs(): Promise<void> {
  await Promise.all([...live.values()].map((output) => output.stop()));
}
