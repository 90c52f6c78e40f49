import { crc32c, maskCrc, unmaskCrc } from "@servable/protocol";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { HostTensor } from "@servable/protocol";
import { TableFormatError } from "./sorted-table";
import { CheckpointError, TensorBundle } from "./tensor-bundle";
import { writeTensorBundle } from "./tensor-bundle-writer";

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), "servable-bundle-"))));
after(() => rm(dir, { recursive: true, force: true }));

test("CRC-32C matches the standard check value, and masking round-trips", () => {
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assert.equal(unmaskCrc(maskCrc(0xe3069283)), 0xe3069283);
});

const tensors = new Map<string, HostTensor>([
  [
    "dense/kernel",
    { dtype: "DT_FLOAT", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
  ],
  ["step", { dtype: "DT_INT64", shape: [], data: BigInt64Array.of(-(2n ** 40n)) }],
  [
    "vocab",
    {
      dtype: "DT_STRING",
      shape: [3],
      data: ["a", "", "\u00e9t\u00e9"].map((s) => new TextEncoder().encode(s)),
    },
  ],
  ["mask", { dtype: "DT_BOOL", shape: [2], data: Uint8Array.of(1, 0) }],
  ["avg", { dtype: "DT_DOUBLE", shape: [1], data: Float64Array.of(1 / 3) }],
]);

for (const snappy of [false, true]) {
  test(`tensors read back as written (${snappy ? "Snappy-compressed" : "raw"} index)`, async () => {
    const prefix = join(dir, `ckpt-${snappy}`);
    await writeTensorBundle(prefix, tensors, { snappy });
    const bundle = await TensorBundle.open(prefix);
    assert.deepEqual(bundle.keys.sort(), [...tensors.keys()].sort());
    for (const [key, expected] of tensors) assert.deepEqual(await bundle.read(key), expected);
  });
}

test("a corrupted data file fails its checksum", async () => {
  const prefix = join(dir, "corrupt");
  await writeTensorBundle(prefix, tensors);
  const data = await readFile(`${prefix}.data-00000-of-00001`);
  data[0]! ^= 0xff;
  await writeFile(`${prefix}.data-00000-of-00001`, data);
  const bundle = await TensorBundle.open(prefix);
  // Keys are stored sorted, so the first data bytes belong to the first key.
  await assert.rejects(
    bundle.read([...tensors.keys()].sort()[0]!),
    (e) => e instanceof CheckpointError && /checksum/.test(e.message),
  );
});

test("an index that is not a table is refused", async () => {
  const prefix = join(dir, "not-a-table");
  await writeFile(`${prefix}.index`, Buffer.alloc(64, 7));
  await assert.rejects(
    TensorBundle.open(prefix),
    (e) => e instanceof TableFormatError && /magic/.test(e.message),
  );
});
