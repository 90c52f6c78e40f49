import assert from "node:assert/strict";
import { test } from "node:test";
import type { KernelMessage } from "@jupyterlab/services";
import { isActivity } from "./kernel-activity";

const message = (
  msgType: string,
  content: Record<string, unknown>,
  parentType = "execute_request",
): KernelMessage.IIOPubMessage =>
  ({
    header: { msg_type: msgType },
    parent_header: { msg_type: parentType },
    content,
    channel: "iopub",
  }) as unknown as KernelMessage.IIOPubMessage;

test("a cell that finished, or an output displayed, is activity the sidebar refreshes on", () => {
  assert.equal(isActivity(message("status", { execution_state: "idle" })), true);
  assert.equal(isActivity(message("display_data", { data: {} })), true);
  assert.equal(isActivity(message("update_display_data", { data: {} })), true);
  assert.equal(isActivity(message("execute_result", { data: {} })), true);
});

test("a cell starting, its text output, or the kernel answering other requests is not", () => {
  assert.equal(isActivity(message("status", { execution_state: "busy" })), false);
  assert.equal(
    isActivity(message("status", { execution_state: "idle" }, "kernel_info_request")),
    false,
  );
  assert.equal(isActivity(message("stream", { name: "stdout", text: "x" })), false);
  assert.equal(isActivity(message("execute_input", { code: "deploy()" })), false);
});
