import type { Kernel, KernelMessage } from "@jupyterlab/services";

/**
 * Tells when a kernel of this Jupyter server finished running a cell or displayed
 * something: the moments a notebook may have deployed, labelled or deleted a version, so
 * the sidebar reads the server then rather than at its next poll.
 *
 * It follows every running kernel (notebooks and consoles alike) through a connection of
 * its own that handles no comms, so it needs nothing from the notebook's UI; kernels come
 * and go with the kernel manager's list.
 */
export class KernelActivity {
  readonly #kernels: Kernel.IManager;
  readonly #onActivity: () => void;
  readonly #connections = new Map<string, Kernel.IKernelConnection>();
  #disposed = false;

  constructor(kernels: Kernel.IManager, onActivity: () => void) {
    this.#kernels = kernels;
    this.#onActivity = onActivity;
    kernels.runningChanged.connect(this.#follow, this);
    this.#follow();
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#kernels.runningChanged.disconnect(this.#follow, this);
    for (const connection of this.#connections.values()) connection.dispose();
    this.#connections.clear();
  }

  #follow(): void {
    const running = new Map([...this.#kernels.running()].map((model) => [model.id, model]));
    for (const [id, connection] of this.#connections) {
      if (running.has(id)) continue;
      connection.dispose();
      this.#connections.delete(id);
    }
    for (const [id, model] of running) {
      if (this.#connections.has(id)) continue;
      const connection = this.#kernels.connectTo({ model, handleComms: false });
      connection.iopubMessage.connect((_, message) => {
        if (isActivity(message)) this.#onActivity();
      });
      this.#connections.set(id, connection);
    }
  }
}

/** A cell finished (the kernel went idle after an execute request), or an output was displayed. */
export function isActivity(message: KernelMessage.IIOPubMessage): boolean {
  switch (message.header.msg_type) {
    case "status":
      return (
        (message.content as { execution_state?: string }).execution_state === "idle" &&
        (message.parent_header as { msg_type?: string }).msg_type === "execute_request"
      );
    case "display_data":
    case "update_display_data":
    case "execute_result":
      return true;
    default:
      return false;
  }
}
