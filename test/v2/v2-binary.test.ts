import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeFuzzRepository } from "../fuzz/fuzz-models";
import { getJson, startServer, type ServerProcess } from "../support";

/**
 * KServe V2's binary tensor data extension, as Triton's and KServe's clients speak it: the
 * JSON first, its length in Inference-Header-Content-Length, then the tensors' bytes.
 * On half_plus_two (FP32) and the fuzz suite's "mixed" model (FP32 a, INT32 n, BYTES s).
 */
let server: ServerProcess;
let repository: string;
before(async () => {
  repository = await mkdtemp(join(tmpdir(), "servable-v2-binary-"));
  await writeFuzzRepository(repository);
  server = await startServer([`--model_repository=${repository}`]);
});
after(async () => {
  await server?.stop();
  await rm(repository, { recursive: true, force: true });
});

interface OutputHeader {
  name: string;
  datatype: string;
  shape: number[];
  data?: unknown[];
  parameters?: { binary_data_size: number };
}
interface Answer {
  status: number;
  contentType: string | null;
  json: { outputs: OutputHeader[]; error?: string; id?: string };
  /** Each binary output's bytes, by name. */
  binary: Map<string, Buffer>;
}

/** Sends JSON followed by binary chunks, as a client of the extension does. */
async function infer(model: string, json: unknown, chunks: Uint8Array[] = []): Promise<Answer> {
  const head = Buffer.from(JSON.stringify(json));
  const res = await fetch(`${server.url}/v2/models/${model}/infer`, {
    method: "POST",
    headers: {
      "Content-Type": "application/octet-stream",
      "Inference-Header-Content-Length": String(head.length),
    },
    body: Buffer.concat([head, ...chunks]),
  });
  return readAnswer(res);
}

async function readAnswer(res: Response): Promise<Answer> {
  const body = Buffer.from(await res.arrayBuffer());
  const declared = res.headers.get("inference-header-content-length");
  const jsonLength = declared === null ? body.length : Number(declared);
  const json = JSON.parse(body.subarray(0, jsonLength).toString("utf8")) as Answer["json"];
  const binary = new Map<string, Buffer>();
  let at = jsonLength;
  for (const output of json.outputs ?? []) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    binary.set(output.name, body.subarray(at, at + size));
    at += size;
  }
  assert.equal(at, body.length, "the answer's binary data is exactly its outputs'");
  return { status: res.status, contentType: res.headers.get("content-type"), json, binary };
}

const floats = (values: number[]) => Buffer.from(Float32Array.from(values).buffer);
const ints = (values: number[]) => Buffer.from(Int32Array.from(values).buffer);
/** BYTES elements: a 4-byte little-endian length, then the bytes. */
const byteStrings = (values: string[]) =>
  Buffer.concat(
    values.flatMap((v) => {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(Buffer.byteLength(v));
      return [length, Buffer.from(v)];
    }),
  );
const asFloats = (b: Buffer) => [
  ...new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
];

test("the server says it speaks the extension", async () => {
  const meta = await getJson(`${server.url}/v2`);
  assert.deepEqual((meta.json as { extensions: string[] }).extensions, ["binary_tensor_data"]);
});

test("binary in, binary out: the answer is octet-stream with the JSON's length in a header", async () => {
  const answer = await infer(
    "half_plus_two",
    {
      id: "b-1",
      inputs: [
        { name: "x", shape: [3, 1], datatype: "FP32", parameters: { binary_data_size: 12 } },
      ],
      outputs: [{ name: "y", parameters: { binary_data: true } }],
    },
    [floats([1, 2, 5])],
  );
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  assert.equal(answer.contentType, "application/octet-stream");
  assert.deepEqual(answer.json.outputs, [
    { name: "y", datatype: "FP32", shape: [3, 1], parameters: { binary_data_size: 12 } },
  ]);
  assert.equal(answer.json.id, "b-1");
  assert.deepEqual(asFloats(answer.binary.get("y")!), [2.5, 3, 4.5]);
});

test("binary in, JSON out; and JSON in, binary out with binary_data_output", async () => {
  const jsonOut = await infer(
    "half_plus_two",
    {
      inputs: [{ name: "x", shape: [2, 1], datatype: "FP32", parameters: { binary_data_size: 8 } }],
    },
    [floats([0, 4])],
  );
  assert.equal(jsonOut.status, 200);
  assert.equal(jsonOut.contentType, "application/json");
  assert.deepEqual(jsonOut.json.outputs, [
    { name: "y", datatype: "FP32", shape: [2, 1], data: [2, 4] },
  ]);

  const binaryOut = await infer("half_plus_two", {
    parameters: { binary_data_output: true },
    inputs: [{ name: "x", shape: [1, 1], datatype: "FP32", data: [6] }],
  });
  assert.equal(binaryOut.status, 200);
  assert.deepEqual(asFloats(binaryOut.binary.get("y")!), [5]);
});

test("mixed inputs and outputs, BYTES among them, each where the request put it", async () => {
  const answer = await infer(
    "mixed",
    {
      parameters: { binary_data_output: true },
      inputs: [
        { name: "a", shape: [2, 2], datatype: "FP32", parameters: { binary_data_size: 16 } },
        { name: "n", shape: [2], datatype: "INT32", data: [7, -1] },
        {
          name: "s",
          shape: [2],
          datatype: "BYTES",
          parameters: { binary_data_size: 4 + 3 + 4 + 0 },
        },
      ],
      outputs: [
        { name: "a_twice" },
        { name: "n_next", parameters: { binary_data: false } },
        { name: "s_bytes" },
      ],
    },
    [floats([1, 2, 3, 4]), byteStrings(["hé", ""])],
  );
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  assert.deepEqual(
    answer.json.outputs.map((o) => [o.name, o.datatype, o.shape, o.data ?? o.parameters]),
    [
      ["a_twice", "FP32", [2, 2], { binary_data_size: 16 }],
      ["n_next", "INT32", [2], [8, 0]],
      ["s_bytes", "BYTES", [2], { binary_data_size: 11 }],
    ],
  );
  assert.deepEqual(asFloats(answer.binary.get("a_twice")!), [2, 4, 6, 8]);
  assert.deepEqual(answer.binary.get("s_bytes"), byteStrings(["hé", ""]));

  // INT32 in binary, BYTES out as JSON strings.
  const ints32 = await infer(
    "mixed",
    {
      inputs: [
        { name: "a", shape: [1, 2], datatype: "FP32", data: [0, 0] },
        { name: "n", shape: [3], datatype: "INT32", parameters: { binary_data_size: 12 } },
        { name: "s", shape: [1], datatype: "BYTES", data: ["x"] },
      ],
      outputs: [{ name: "n_next", parameters: { binary_data: true } }, { name: "s_bytes" }],
    },
    [ints([1, 2, 2147483646])],
  );
  assert.equal(ints32.status, 200, JSON.stringify(ints32.json));
  const next = ints32.binary.get("n_next")!;
  assert.deepEqual(
    [...new Int32Array(next.buffer.slice(next.byteOffset, next.byteOffset + 12))],
    [2, 3, 2147483647],
  );
  assert.deepEqual(ints32.json.outputs[1]!.data, ["x"]);
});

test("bad binary requests are 400 with an error body, and the server keeps serving", async () => {
  const x = (parameters: unknown, extra: object = {}) => ({
    inputs: [{ name: "x", shape: [2, 1], datatype: "FP32", parameters, ...extra }],
  });
  const post = async (headerLength: string, body: Buffer) =>
    readAnswer(
      await fetch(`${server.url}/v2/models/half_plus_two/infer`, {
        method: "POST",
        headers: { "Inference-Header-Content-Length": headerLength },
        body: new Uint8Array(body),
      }),
    );
  const head = Buffer.from(JSON.stringify(x({ binary_data_size: 8 })));
  const cases: [Promise<Answer>, RegExp][] = [
    [
      post(String(head.length + 9), Buffer.concat([head, floats([1, 2])])),
      /must be a length within the body/,
    ],
    [post("ten", Buffer.concat([head, floats([1, 2])])), /must be a length within the body/],
    [
      infer("half_plus_two", x({ binary_data_size: 4 }), [floats([1])]),
      /binary_data_size 4 but shape \[2,1\] of FP32 needs 8 bytes/,
    ],
    [
      infer("half_plus_two", x({ binary_data_size: 8 }), [floats([1])]),
      /only 4 bytes of binary data are left/,
    ],
    [
      infer("half_plus_two", x({ binary_data_size: 8 }, { data: [1, 2] }), [floats([1, 2])]),
      /both 'data' and parameters.binary_data_size/,
    ],
    [
      infer("half_plus_two", x({ binary_data_size: 8 }), [floats([1, 2, 3])]),
      /4 bytes of binary data beyond/,
    ],
    [
      infer("half_plus_two", x({ binary_data_size: "8" }), [floats([1, 2])]),
      /binary_data_size must be a non-negative integer/,
    ],
    [
      infer("half_plus_two", {
        ...x(undefined, { data: [1, 2] }),
        parameters: { binary_data_output: "yes" },
      }),
      /binary_data_output must be true or false/,
    ],
    [
      infer(
        "mixed",
        {
          inputs: [
            { name: "a", shape: [1, 2], datatype: "FP32", data: [0, 0] },
            { name: "n", shape: [1], datatype: "INT32", data: [0] },
            { name: "s", shape: [2], datatype: "BYTES", parameters: { binary_data_size: 5 } },
          ],
        },
        [byteStrings(["x"])],
      ),
      /binary data for fewer BYTES elements but shape \[2\] needs 2/,
    ],
  ];
  for (const [answer, error] of cases) {
    const { status, json } = await answer;
    assert.equal(status, 400, JSON.stringify(json));
    assert.match(json.error ?? "", error);
  }
  const ok = await infer("half_plus_two", x({ binary_data_size: 8 }), [floats([1, 2])]);
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json.outputs[0]!.data, [2.5, 3]);
});
