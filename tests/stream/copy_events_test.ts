/** The learn stage's bulk copy of event rows into a FeatureBatch. */
import assert from "node:assert/strict";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import { copyEvents, EventColumns } from "../../src/stream/copy_events.ts";
import { actionCode, RowBatch } from "../../src/stream/row_batch.ts";

const SCHEMA = { featureSet: 4, denseWidth: 3, sparseWidth: 10 };

/** Rows `0 .. n`, row `i` with dense values `i + 0.1·k` and `i % 3` sparse entries. */
function rows(n: number): RowBatch {
  const out = new RowBatch(SCHEMA, { capacity: 2 });
  for (let i = 0; i < n; i++) {
    const r = out.addEvent(0, i, actionCode("view"), 0, 1, "s", 0);
    out.denseRow(r).set([i, i + 0.1, i + 0.2]);
    for (let k = 0; k < i % 3; k++) out.addSparse((i + k) % 10, -i - k);
  }
  return out;
}

Deno.test("copyEvents copies a run's dense values and sparse entries to where the events are", () => {
  const from = rows(8);
  const events = new FeatureBatch(3, { capacity: 1, sparseWidth: 10 });
  events.reserve(8, from.sparseLength);
  assert.ok(events.capacity >= 8 && events.sparseIndex.length >= from.sparseLength);
  // Event 0 is row 1; rows 2 .. 4 are left out; events 1 .. 3 are rows 5 .. 7.
  events.sparseEnd[0] = 1;
  copyEvents(from, 1, 2, events, 0);
  for (let j = 1; j <= 3; j++) {
    events.sparseEnd[j] = from.sparseEnd[j + 4] - (from.sparseEnd[4] - 1);
  }
  copyEvents(from, 5, 8, events, 1);
  assert.deepEqual([...events.rows.subarray(0, 12)], [
    1,
    1.1,
    1.2,
    5,
    5.1,
    5.2,
    6,
    6.1,
    6.2,
    7,
    7.1,
    7.2,
  ]);
  const [start, end] = from.sparseExtent(5);
  assert.deepEqual([start, end - start], [from.sparseEnd[4], 2]);
  assert.deepEqual([...events.sparseIndex.subarray(0, 4)], [1, 5, 6, 7]);
  assert.deepEqual([...events.sparseValue.subarray(0, 4)], [-1, -5, -6, -7]);
  copyEvents(from, 3, 3, events, 0); // an empty run copies nothing
  assert.deepEqual([...events.rows.subarray(0, 3)], [1, 1.1, 1.2]);
});

Deno.test("copyEvents refuses a sparse index outside the events' sparse width, naming it", () => {
  const from = rows(3);
  const events = new FeatureBatch(3, { sparseWidth: 2 });
  assert.throws(
    () => copyEvents(from, 0, 3, events, 0),
    (e: unknown) =>
      e instanceof RangeError && /sparse entry 2 of rows 0 \.\. 3.*width is 2/.test(e.message),
  );
});

Deno.test("FeatureBatch.reserve refuses a count that is not a non-negative integer", () => {
  const events = new FeatureBatch(3);
  assert.throws(() => events.reserve(-1), /Cannot reserve -1 rows/);
  assert.throws(() => events.reserve(1, 0.5), /0.5 sparse entries/);
});

Deno.test("EventColumns lends a batch's rows to the events without a copy, and gives their own back", () => {
  const from = rows(5);
  const events = new FeatureBatch(3, { capacity: 8, sparseWidth: 10 });
  const own = [events.rows, events.sparseIndex, events.sparseValue];
  const columns = new EventColumns();
  columns.restore(events); // nothing borrowed: nothing changes
  assert.deepEqual([events.rows, events.sparseIndex, events.sparseValue], own);
  columns.borrow(from, events);
  assert.equal(events.rows, from.dense);
  assert.equal(events.sparseIndex, from.sparseIndex);
  assert.equal(events.sparseValue, from.sparseValue);
  columns.borrow(from, events); // a second loan keeps the events' own columns aside
  columns.restore(events);
  assert.deepEqual([events.rows, events.sparseIndex, events.sparseValue], own);

  const bad = rows(5);
  bad.sparseIndex[bad.sparseLength - 1] = 10;
  assert.throws(() => columns.borrow(bad, events), /sparse entry 10 of rows 0 \.\. 5/);
  assert.equal(events.rows, own[0]);
});
