import assert from "node:assert/strict";
import fc from "fast-check";
import { OffsetLedger } from "../../src/stream/offset_ledger.ts";

Deno.test("OffsetLedger accepts an offset iff it is at least the next one, counting the batch's own", () => {
  const ledger = OffsetLedger.from([{ partition: 0, offset: 10 }]);
  const batch = ledger.begin();
  assert.equal(batch.accept(0, 9), false); // covered
  assert.equal(batch.accept(0, 10), true);
  assert.equal(batch.accept(0, 10), false); // a repeat within the batch
  assert.equal(batch.accept(0, 14), true); // a gap is fine (compacted topics, aborted writes)
  assert.equal(batch.accept(0, 12), false); // behind what the batch took
  assert.equal(batch.accept(3, 0), true); // a partition never seen starts at 0
  assert.equal(ledger.next(0), 10, "nothing moves before commit");
  ledger.commit(batch);
  assert.deepEqual(ledger.offsets("t"), [
    { topic: "t", partition: 0, offset: 15 },
    { topic: "t", partition: 3, offset: 1 },
  ]);
});

Deno.test("OffsetLedger's batch keeps each partition's advances across runs that interleave", () => {
  const ledger = OffsetLedger.from([{ partition: 0, offset: 5 }, { partition: 1, offset: 2 }]);
  const batch = ledger.begin();
  assert.equal(batch.accept(0, 5), true);
  assert.equal(batch.accept(1, 1), false); // a run of partition 1 that takes nothing
  assert.deepEqual([...batch.advances], [[0, 6]], "read mid-run: only what moved");
  assert.equal(batch.accept(1, 2), true);
  assert.equal(batch.accept(0, 5), false, "back to partition 0: its own advance still counts");
  assert.equal(batch.accept(0, 6), true);
  assert.equal(batch.accept(2, 0), true);
  assert.equal(batch.accept(1, 2), false, "and partition 1's");
  ledger.commit(batch);
  assert.deepEqual(ledger.offsets("t").map((o) => [o.partition, o.offset]), [[0, 7], [1, 3], [
    2,
    1,
  ]]);
  const none = ledger.begin();
  assert.equal(none.accept(0, 3), false);
  assert.equal(none.advances.size, 0, "a batch that took nothing advances nothing");
});

Deno.test("acceptAll takes a batch's sources whole iff accept would take every one, with the same advances", () => {
  const start = fc.array(fc.tuple(fc.nat(3), fc.nat(6)), { maxLength: 4 });
  // Offsets that rise, repeat, fall back, jump, are fractional or NaN, in runs of few partitions.
  const source = fc.tuple(
    fc.nat(3),
    fc.oneof(fc.nat(12), fc.constantFrom(2.5, 0.5, NaN, 2 ** 53, 2 ** 53 + 2)),
  );
  fc.assert(
    fc.property(start, fc.array(source, { maxLength: 12 }), fc.boolean(), (from, list, ahead) => {
      const ledger = new OffsetLedger(from);
      const partitions = Int32Array.from(list.map(([p]) => p));
      const offsets = Float64Array.from(list.map(([, o]) => o));
      const one = ledger.begin(), all = ledger.begin();
      // A batch that took a source already (it must count too).
      if (ahead) assert.equal(one.accept(0, 2), all.accept(0, 2));
      const each = list.map(([p, o]) => one.accept(p, o));
      const whole = all.acceptAll(partitions, offsets, list.length);
      assert.equal(whole, each.every((x) => x), `${JSON.stringify(list)} from ${from}`);
      if (whole) assert.deepEqual([...all.advances], [...one.advances]);
      else {
        // Nothing changed: taken one by one after, the same as a batch that never tried.
        const again = list.map(([p, o]) => all.accept(p, o));
        assert.deepEqual(again, each);
        assert.deepEqual([...all.advances], [...one.advances]);
      }
    }),
    { numRuns: 3000 },
  );
});

Deno.test("acceptAll by its partition-indexed runs equals accept one by one, partitions past the array and negative ones too", () => {
  // Partitions 0 .. 4096 have an array slot; others (4096 and up, negative) take the map.
  const partition = fc.oneof(fc.nat(5), fc.constantFrom(4095, 4096, 70_000, -1, 2 ** 31 - 1));
  const source = fc.tuple(partition, fc.oneof(fc.nat(9), fc.constantFrom(NaN, -0, 1.5)));
  fc.assert(
    fc.property(fc.array(source, { maxLength: 16 }), fc.nat(4), (list, ahead) => {
      const ledger = new OffsetLedger([[0, 1], [4095, 2]]);
      const partitions = Int32Array.from(list.map(([p]) => p));
      const offsets = Float64Array.from(list.map(([, o]) => o));
      const one = ledger.begin(), all = ledger.begin();
      assert.equal(one.accept(ahead, 3), all.accept(ahead, 3));
      const each = list.map(([p, o]) => one.accept(p, o));
      const whole = all.acceptAll(partitions, offsets, list.length);
      assert.equal(whole, each.every((x) => x), JSON.stringify(list));
      if (!whole) list.forEach(([p, o]) => all.accept(p, o));
      assert.deepEqual([...all.advances], [...one.advances]);
    }),
    { numRuns: 3000 },
  );
  // A call that fails leaves no trace for the next: the same rows taken whole by a fresh batch.
  const ledger = new OffsetLedger();
  assert.equal(
    ledger.begin().acceptAll(Int32Array.of(1, 2, 1), Float64Array.of(5, 0, 4), 3),
    false,
  );
  const batch = ledger.begin();
  assert.equal(batch.acceptAll(Int32Array.of(2, 1), Float64Array.of(0, 0), 2), true);
  assert.deepEqual([...batch.advances], [[2, 1], [1, 1]]);
});

Deno.test("OffsetLedger.lag() sums what lies between its offsets and the end offsets", () => {
  const ledger = OffsetLedger.from([{ partition: 0, offset: 10 }, { partition: 1, offset: 50 }]);
  assert.equal(ledger.lag(new Map([[0, 15], [1, 40], [2, 7]])), 5 + 0 + 7);
  assert.ok(Number.isNaN(ledger.lag(null)));
});

Deno.test("OffsetLedger refuses a negative or fractional offset, naming it", () => {
  assert.throws(
    () => OffsetLedger.from([{ partition: 0, offset: -1 }]),
    /offset -1 of partition 0/,
  );
  assert.throws(() => new OffsetLedger([[1.5, 0]]), /partition 1.5/);
});
