/**
 * `waitUntilTaken()`: the wait of kafkajs' `eachBatch` until the iterator has taken the batch,
 * with the consumer's state injected (a heartbeat probe, a validity flag) instead of a broker.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type BatchWatch, pendingBatch, waitUntilTaken } from "../../src/kafka/pending_batch.ts";

const watch = (overrides: Partial<BatchWatch>): BatchWatch => ({
  tickMs: 1,
  valid: () => true,
  heartbeat: () => Promise.resolve(),
  processingThis: () => false,
  ...overrides,
});

Deno.test("waitUntilTaken() heartbeats until the batch is finished", async () => {
  const batch = pendingBatch("t", 0, "k", []);
  let beats = 0;
  const result = await waitUntilTaken(
    batch,
    watch({
      heartbeat: () => {
        if (++beats === 3) batch.finished.resolve();
        return Promise.resolve();
      },
    }),
  );
  assert.equal(result, "finished");
  assert.equal(beats, 3);
  assert.equal(batch.aborted, false, "a finished batch is not given up");
});

Deno.test("waitUntilTaken() stops when the wait is no longer valid, leaving the batch", async () => {
  const batch = pendingBatch("t", 0, "k", []);
  let beats = 0;
  const result = await waitUntilTaken(
    batch,
    watch({
      valid: () => beats < 2,
      heartbeat: () => (beats++, Promise.resolve()),
    }),
  );
  assert.equal(result, "invalid");
  assert.equal(batch.aborted, false, "which batches to give up is the caller's to say");
  assert.equal(beats, 2);
});

Deno.test("waitUntilTaken() returns a failed heartbeat, after the record in progress", async () => {
  const batch = pendingBatch("t", 0, "k", []);
  const rebalance = new Error("The group is rebalancing");
  const waiting = waitUntilTaken(
    batch,
    watch({ heartbeat: () => Promise.reject(rebalance), processingThis: () => true }),
  );
  // It waits for the record being processed: the iterator resolves `progress` when asked for the
  // next record. Let the heartbeat fail, then play the iterator.
  for (let i = 0; i < 1000 && batch.progress === undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.ok(batch.progress, "it waits for the record in progress");
  batch.progress.resolve();
  assert.deepEqual(await waiting, { rebalance });
  assert.equal(batch.aborted, false, "which batches to give up is the caller's to say");
});

Deno.test("waitUntilTaken() ends at once for a batch given up by someone else", async () => {
  const batch = pendingBatch("t", 0, "k", []);
  batch.aborted = true;
  let beats = 0;
  const result = await waitUntilTaken(
    batch,
    watch({ heartbeat: () => (beats++, Promise.resolve()) }),
  );
  assert.equal(result, "finished");
  assert.equal(beats, 0);
});
