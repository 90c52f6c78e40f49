import { readFile } from "node:fs/promises";
import { KernelManager, ServerConnection, type KernelMessage } from "@jupyterlab/services";
import WebSocket from "ws";
import type { JupyterServer } from "./jupyter-server";

/**
 * Runs a notebook cell by cell in a real kernel of a running Jupyter server, through
 * @jupyterlab/services as JupyterLab does, and returns what each cell printed and
 * displayed. Stops at the first cell that fails (tslab aborts what comes right after an
 * error anyway); the cells after it are "skipped".
 */

export interface CellRun {
  /** Index among the notebook's cells (markdown cells included). */
  readonly index: number;
  readonly source: string;
  readonly status: "ok" | "error" | "skipped";
  readonly stdout: string;
  readonly stderr: string;
  /** Every text/html a display sent (latest version of each display id, in order). */
  readonly html: string[];
  /** Error name and value when the kernel reported an error. */
  readonly error?: string;
  readonly ms: number;
}

export interface RunOptions {
  /** The kernel to start (default: the notebook's kernelspec, else tslab). */
  readonly kernelName?: string;
  /** Longest a cell may run (default 180 s); the kernel is interrupted after that. */
  readonly cellTimeoutMs?: number;
  /** Called after each cell, e.g. to log progress. */
  readonly onCell?: (cell: CellRun) => void;
  /** Awaited before each code cell runs (a test waiting for what earlier cells started). */
  readonly beforeCell?: (cell: {
    readonly index: number;
    readonly source: string;
  }) => Promise<void>;
  /**
   * Every display the kernel sends or replaces, whichever cell it belongs to and whenever
   * it comes (a live output goes on after its cell has finished).
   */
  readonly onDisplay?: (display: DisplayMessage) => void;
}

/** A display_data or update_display_data with HTML, as the kernel sent it. */
export interface DisplayMessage {
  readonly type: "display_data" | "update_display_data";
  readonly displayId: string | undefined;
  readonly html: string;
  /** The execute request it came under (a later cell's, for a live output). */
  readonly parentMsgId: string;
  /** Milliseconds since the epoch, when it arrived here. */
  readonly at: number;
}

interface NotebookJson {
  cells: { cell_type: string; source: string | string[] }[];
  metadata?: { kernelspec?: { name?: string } };
}

/** Runs `<server root>/<path>`; `path` is relative to the server's root, as Jupyter names files. */
export async function runNotebook(
  server: JupyterServer,
  path: string,
  options: RunOptions = {},
): Promise<CellRun[]> {
  const notebook = JSON.parse(await readFile(`${server.rootDir}/${path}`, "utf8")) as NotebookJson;
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: `${server.baseUrl}/`,
    wsUrl: `ws://127.0.0.1:${server.port}/`,
    token: server.token,
    appendToken: true,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    fetch,
    Request,
    Headers,
  });
  const manager = new KernelManager({ serverSettings });
  await manager.ready;
  const kernel = await manager.startNew({
    name: options.kernelName ?? notebook.metadata?.kernelspec?.name ?? "tslab",
  });
  const runs: CellRun[] = [];
  const onDisplay = options.onDisplay;
  const listener = (_: unknown, msg: KernelMessage.IIOPubMessage) => {
    const type = msg.header.msg_type;
    if (type !== "display_data" && type !== "update_display_data") return;
    const content = msg.content as {
      data?: Record<string, unknown>;
      transient?: { display_id?: string };
    };
    const html = content.data?.["text/html"];
    if (typeof html !== "string") return;
    onDisplay!({
      type,
      displayId: content.transient?.display_id,
      html,
      parentMsgId: String((msg.parent_header as { msg_id?: string }).msg_id ?? ""),
      at: Date.now(),
    });
  };
  if (onDisplay) kernel.iopubMessage.connect(listener);
  try {
    let failed = false;
    for (const [index, cell] of notebook.cells.entries()) {
      if (cell.cell_type !== "code") continue;
      const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      if (failed) {
        runs.push({ index, source, status: "skipped", stdout: "", stderr: "", html: [], ms: 0 });
        continue;
      }
      await options.beforeCell?.({ index, source });
      const run = await runCell(kernel, index, source, options.cellTimeoutMs ?? 180_000);
      runs.push(run);
      options.onCell?.(run);
      failed = run.status === "error";
    }
  } finally {
    if (onDisplay) kernel.iopubMessage.disconnect(listener);
    await kernel.shutdown().catch(() => undefined);
    manager.dispose();
  }
  return runs;
}

type Kernel = Awaited<ReturnType<KernelManager["startNew"]>>;

async function runCell(
  kernel: Kernel,
  index: number,
  source: string,
  timeoutMs: number,
): Promise<CellRun> {
  const started = Date.now();
  let stdout = "";
  let stderr = "";
  let error: string | undefined;
  const displays: { id: string | undefined; html: string }[] = [];
  const future = kernel.requestExecute({ code: source, stop_on_error: true });
  future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
    const content = msg.content as Record<string, unknown>;
    switch (msg.header.msg_type) {
      case "stream":
        if (content.name === "stderr") stderr += String(content.text);
        else stdout += String(content.text);
        break;
      case "display_data":
      case "update_display_data":
      case "execute_result": {
        const data = content.data as Record<string, unknown>;
        const transient = content.transient as { display_id?: string } | undefined;
        const html = data["text/html"];
        if (typeof html !== "string") break;
        const id = transient?.display_id;
        const existing = id ? displays.find((d) => d.id === id) : undefined;
        if (existing) existing.html = html;
        else displays.push({ id, html });
        break;
      }
      case "error":
        error = `${String(content.ename)}: ${String(content.evalue)}`;
        break;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const reply = await Promise.race([future.done, timedOut]);
  clearTimeout(timer);
  if (reply === "timeout") {
    await kernel.interrupt().catch(() => undefined);
    future.dispose();
    return {
      index,
      source,
      status: "error",
      stdout,
      stderr,
      html: displays.map((d) => d.html),
      error: `The cell did not finish within ${timeoutMs / 1000} s`,
      ms: Date.now() - started,
    };
  }
  const status = reply.content.status === "ok" ? "ok" : "error";
  return {
    index,
    source,
    status,
    stdout,
    stderr,
    html: displays.map((d) => d.html),
    ...(error !== undefined
      ? { error }
      : status === "error"
        ? { error: stderr.trim() || "The cell failed" }
        : {}),
    ms: Date.now() - started,
  };
}
