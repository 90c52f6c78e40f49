/**
 * tslab's rich output, when the code runs in a tslab kernel. tslab hands its own module
 * to cells through `globalThis.__tslab__.require("tslab")`; asking it (rather than
 * resolving "tslab" from here) reaches the instance connected to the kernel, wherever
 * tslab is installed. Outside tslab there is none, and nothing is displayed.
 */
export interface HtmlOutput {
  html(markup: string): void;
}

interface TslabModule {
  readonly display: HtmlOutput;
  newDisplay(): HtmlOutput;
}

function tslab(): TslabModule | undefined {
  const bridge = (globalThis as { __tslab__?: { require?: (id: string) => unknown } }).__tslab__;
  if (typeof bridge?.require !== "function") return undefined;
  try {
    const module = bridge.require("tslab") as Partial<TslabModule> | undefined;
    return module?.display && typeof module.newDisplay === "function"
      ? (module as TslabModule)
      : undefined;
  } catch {
    return undefined;
  }
}

export function inTslab(): boolean {
  return tslab() !== undefined;
}

/** Shows HTML in the cell's output; does nothing outside tslab. */
export function showHtml(markup: string): void {
  tslab()?.display.html(markup);
}

/** An output area that later calls replace (progress); undefined outside tslab. */
export function newHtmlOutput(): HtmlOutput | undefined {
  return tslab()?.newDisplay();
}
