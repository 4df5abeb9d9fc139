import assert from "node:assert/strict";
import { BatchInputStats } from "../../src/stream/batch_input_stats.ts";

Deno.test("BatchInputStats counts waits from the first one with items, and closes by reason", () => {
  const stats = new BatchInputStats();
  assert.equal(
    stats.format(),
    "0 batches (none), waited 0 ms for records since the first (0 ms mid-batch)",
  );
  stats.waited(0, 100, false); // before any item: start-up, not counted
  assert.equal(stats.waitMs, 0);
  stats.waited(100, 110, true);
  stats.waited(110, 130, false); // an empty batch after the first item: counted, not mid-batch
  stats.closed("drained");
  stats.closed("drained");
  stats.closed("max_bytes");
  assert.equal(stats.waitMs, 30);
  assert.equal(stats.midBatchWaitMs, 10);
  assert.deepEqual(stats.closes, { drained: 2, max_bytes: 1 });
  assert.equal(
    stats.format(),
    "3 batches (drained 2, max_bytes 1), waited 30 ms for records since the first (10 ms mid-batch)",
  );
});
