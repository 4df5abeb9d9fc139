import assert from "node:assert/strict";
import { OffsetLedger } from "../../src/stream/offset_ledger.ts";
import { TrainedCounts } from "../../src/stream/partition_sources.ts";

Deno.test("TrainedCounts adds batches per partition and views them with the ledger's next offsets", () => {
  const counts = new TrainedCounts();
  counts.add(new Map([[2, 5], [0, 3]]));
  counts.add(new Map([[2, 1]]));
  assert.deepEqual(counts.toJSON(), [{ partition: 0, events: 3 }, { partition: 2, events: 6 }]);
  const restored = new TrainedCounts(counts.toJSON(), 9);
  assert.deepEqual(restored.toJSON(), counts.toJSON());
  const ledger = OffsetLedger.from([{ partition: 0, offset: 10 }, {
    partition: 1,
    offset: 4,
  }]);
  assert.deepEqual(restored.sources(ledger), [
    { partition: 0, eventsTrained: 3, nextOffset: 10 },
    { partition: 1, eventsTrained: 0, nextOffset: 4 },
  ]);
});

Deno.test("TrainedCounts of an older state that learnt events are unknown; of one that learnt none, zero", () => {
  const unknown = new TrainedCounts(undefined, 7);
  unknown.add(new Map([[0, 1]]));
  assert.equal(unknown.toJSON(), undefined);
  const ledger = OffsetLedger.from([{ partition: 0, offset: 8 }]);
  assert.deepEqual(unknown.sources(ledger), [{ partition: 0, eventsTrained: null, nextOffset: 8 }]);
  assert.deepEqual(new TrainedCounts(undefined, 0).toJSON(), []);
});
