import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { freePort, startServer, type ServerProcess } from "../support";
import { writeFuzzRepository } from "./fuzz-models";
import {
  checkGrpc,
  checkHttp,
  checkServerAfter,
  GrpcClients,
  sendHttp,
  Tally,
} from "./fuzz-target";
import { grpcRequest } from "./grpc-requests";
import { inferenceRequest, readRequest, type HttpRequest } from "./http-requests";

/**
 * Property-based fuzzing of every inference endpoint against a real server: REST predict,
 * classify and regress, KServe V2 infer, the reads, and gRPC, with requests generated from
 * the served models' signatures (json-text.ts, http-requests.ts, grpc-requests.ts). Every
 * answer is a 2xx or a 4xx with an error body, never a 5xx; afterwards the server is alive,
 * logged no error, and answers the seed requests as before.
 *
 * CI runs a fixed seed and count (about 2,000 requests); `npm run fuzz` runs many more
 * (FUZZ_SCALE multiplies the counts, FUZZ_SEED picks another seed).
 */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const MAX_BODY_BYTES = 256 * 1024;

let work: string;
let server: ServerProcess;
let grpcClients: GrpcClients;
const tally = new Tally();

before(async () => {
  work = await mkdtemp(join(tmpdir(), "servable-fuzz-"));
  await writeFuzzRepository(join(work, "models"));
  const grpcPort = await freePort();
  server = await startServer([
    `--model_repository=${join(work, "models")}`,
    `--port=${grpcPort}`,
    `--rest_api_max_body_bytes=${MAX_BODY_BYTES}`,
    "--file_system_poll_wait_seconds=0",
  ]);
  grpcClients = new GrpcClients(`127.0.0.1:${grpcPort}`);
});

after(async () => {
  grpcClients.close();
  await server.stop();
  await rm(work, { recursive: true, force: true });
});

const describeHttp = (req: HttpRequest) =>
  `${req.method} ${req.path} ${JSON.stringify(req.headers)} ${req.body.toString("latin1").slice(0, 400)}`;

const runs = (n: number) => ({ seed: SEED, numRuns: Math.round(n * SCALE), endOnFailure: true });

/**
 * Every HTTP request of `requests` is answered with a 2xx, or a 4xx with an error body
 * (checkHttp); a failure quotes the request that broke it.
 */
const answeredWithoutFault = (requests: fc.Arbitrary<HttpRequest>) =>
  fc.asyncProperty(requests, async (req) => {
    tally.add(req.kind);
    const answer = await sendHttp(server.url, req);
    tally.answered(String(answer.status));
    const violation = checkHttp(answer);
    if (violation) assert.fail(`${violation}\n<- ${describeHttp(req)}`);
  });

test("REST and V2 inference: a 2xx or a 4xx with an error body, never a 5xx", async () => {
  await fc.assert(answeredWithoutFault(inferenceRequest(MAX_BODY_BYTES)), runs(1300));
});

test("reads and methods the routes do not take", async () => {
  await fc.assert(answeredWithoutFault(readRequest()), runs(200));
});

test("gRPC: no call ends with a server fault (UNKNOWN, INTERNAL...)", async () => {
  await fc.assert(
    fc.asyncProperty(grpcRequest(), async (req) => {
      tally.add(req.kind);
      const result = await grpcClients.send(req);
      tally.answered(`gRPC ${result.code === -1 ? "not sent" : grpc.status[result.code]}`);
      const violation = checkGrpc(result);
      if (violation)
        assert.fail(`${violation}\n<- ${req.method} ${JSON.stringify(req.message).slice(0, 400)}`);
    }),
    runs(500),
  );
});

test("afterwards: the server is alive, logged no error, and answers the seed requests as before", async (t) => {
  t.diagnostic(`${tally.total} requests: ${tally.toString()}`);
  assert.deepEqual(await checkServerAfter(server), []);
});
