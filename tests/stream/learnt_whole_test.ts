import assert from "node:assert/strict";
import fc from "fast-check";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import { allEvents, takeWhole } from "../../src/stream/learnt_whole.ts";
import { ACTION_PURCHASE, ROW_DEAD_LETTER, RowBatch } from "../../src/stream/row_batch.ts";

/** A batch of event rows of the given partitions and action classes (width 2, no sparse part). */
function rowsOf(partitions: number[], actions: number[]): RowBatch {
  const rows = new RowBatch({ featureSet: 0, denseWidth: 2 }, {
    capacity: Math.max(1, partitions.length),
  });
  rows.length = partitions.length;
  rows.partition.set(partitions);
  rows.action.set(actions);
  for (let i = 0; i < rows.length; i++) rows.truth[i] = i / 8;
  return rows;
}

Deno.test("takeWhole counts events per partition as a map set per run does: keys, order, counts", () => {
  // Partitions 0 .. 4096 are counted in an array; others (4096 and up, negative) in the map.
  const partition = fc.oneof(fc.nat(4), fc.constantFrom(4095, 4096, 90_000, -3, 2 ** 31 - 1));
  const before = fc.array(fc.tuple(fc.oneof(fc.nat(4), fc.constant(4096)), fc.nat(5)), {
    maxLength: 3,
  });
  fc.assert(
    fc.property(fc.array(partition, { maxLength: 20 }), before, (partitions, earlier) => {
      const actions = partitions.map((_, i) => i % 3 === 0 ? ACTION_PURCHASE : 0);
      const rows = rowsOf(partitions, actions);
      const events = new FeatureBatch(2, { capacity: Math.max(1, rows.length) });
      const trained = new Map(earlier), expected = new Map(earlier);
      for (const p of partitions) expected.set(p, (expected.get(p) ?? 0) + 1);
      const classes = new Uint8Array(rows.length);
      takeWhole(rows, events, classes, trained);
      assert.deepEqual([...trained], [...expected], JSON.stringify(partitions));
      for (let i = 0; i < rows.length; i++) {
        assert.equal(events.labels[i], actions[i] === ACTION_PURCHASE ? 1 : 0);
        assert.equal(classes[i], actions[i]);
        assert.equal(events.truth[i], i / 8);
      }
      // The array is left clean: the same rows again count the same.
      const again = new Map(earlier);
      takeWhole(rows, events, null, again);
      assert.deepEqual([...again], [...expected]);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("allEvents is false iff some row is a dead-letter marker", () => {
  const rows = rowsOf([0, 0, 1], [0, 1, 2]);
  assert.equal(allEvents(rows), true);
  rows.kind[1] = ROW_DEAD_LETTER;
  assert.equal(allEvents(rows), false);
});
