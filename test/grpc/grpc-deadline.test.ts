import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  DEMO_REPOSITORY,
  servingClient,
  unary,
  type ServingClient,
  freePort,
  serverInScratchFolder,
  waitFor,
} from "../support";

/**
 * A gRPC call runs until its own deadline, as in TF Serving (the call's deadline is the
 * session's timeout). The model is made slow by batching that waits 5 s to fill a batch:
 * a call with a 300 ms deadline ends then, for the server too (its metrics count it as
 * DEADLINE_EXCEEDED at once, not as OK five seconds later), and the model keeps serving.
 */
let prediction: ServingClient;
const server = serverInScratchFolder("servable-grpc-deadline-", async (scratch) => {
  const batching = join(scratch.path, "batching.txt");
  await writeFile(
    batching,
    "max_batch_size { value: 64 }\nbatch_timeout_micros { value: 5000000 }\nnum_batch_threads { value: 1 }\n",
  );
  const port = await freePort();
  const started = await scratch.startServer([
    `--model_repository=${DEMO_REPOSITORY}`,
    `--port=${port}`,
    "--enable_batching",
    `--batching_parameters_file=${batching}`,
  ]);
  prediction = servingClient("PredictionService", `127.0.0.1:${port}`);
  return started;
});
after(() => prediction?.close());

const predict = (deadlineMs: number) =>
  unary(
    prediction,
    "Predict",
    {
      model_spec: { name: "half_plus_two" },
      inputs: {
        x: { dtype: "DT_FLOAT", tensor_shape: { dim: [{ size: 1 }, { size: 1 }] }, float_val: [1] },
      },
    },
    { deadlineMs },
  );

async function requestCount(status: string): Promise<number> {
  const text = await (await fetch(`${server.url}/monitoring/prometheus/metrics`)).text();
  const line = text
    .split("\n")
    .find(
      (l) =>
        l.startsWith(':tensorflow:serving:request_count{model_name="half_plus_two"') &&
        l.includes(`status="${status}"`),
    );
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

test("the call's deadline ends the request on the server too", async () => {
  const started = Date.now();
  await assert.rejects(
    predict(300),
    (e: grpc.ServiceError) => e.code === grpc.status.DEADLINE_EXCEEDED,
  );
  const counted = await waitFor(
    async () => ((await requestCount("DEADLINE_EXCEEDED")) > 0 ? Date.now() - started : undefined),
    10_000,
    50,
  );
  assert.ok(counted < 4000, `counted ${counted} ms after the call, not at its deadline`);
  assert.equal(await requestCount("OK"), 0, "the late answer is not counted as a success");
});

test("a call whose deadline leaves time for the batch is answered", async () => {
  const response = (await predict(20_000)) as {
    outputs: Record<string, { float_val: number[] }>;
  };
  assert.deepEqual(response.outputs.y!.float_val, [2.5]);
});
