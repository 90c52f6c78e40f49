import assert from "node:assert/strict";
import { test } from "node:test";
import { coresForModels, replicaCount } from "./replica-count";

test("the REST thread keeps a core: one core or two leave one for the models", () => {
  assert.equal(coresForModels(1), 1);
  assert.equal(coresForModels(2), 1);
  assert.equal(coresForModels(8), 7);
});

test("without batching a version gets one replica by default", () => {
  assert.equal(replicaCount({ requested: -1, numBatchThreads: undefined, cores: 2 }), 1);
  assert.equal(replicaCount({ requested: -1, numBatchThreads: undefined, cores: 64 }), 1);
});

test("num_batch_threads maps to replicas up to the cores left after the REST thread", () => {
  // TF Serving's usual num_batch_threads 2 on a 2-core machine: one replica, not two.
  assert.equal(replicaCount({ requested: -1, numBatchThreads: 2, cores: 2 }), 1);
  assert.equal(replicaCount({ requested: -1, numBatchThreads: 2, cores: 8 }), 2);
  assert.equal(replicaCount({ requested: -1, numBatchThreads: 16, cores: 8 }), 7);
  assert.equal(replicaCount({ requested: -1, numBatchThreads: 4, cores: 1 }), 1);
});

test("a count the operator asks for is kept, beyond the cores or zero", () => {
  assert.equal(replicaCount({ requested: 4, numBatchThreads: 2, cores: 2 }), 4);
  assert.equal(replicaCount({ requested: 3, numBatchThreads: undefined, cores: 1 }), 3);
  assert.equal(replicaCount({ requested: 0, numBatchThreads: 8, cores: 8 }), 0);
});
