import assert from "node:assert/strict";
import { EVENT_ERROR_REASONS } from "../../src/events/errors.ts";
import { ACTIONS } from "../../src/events/wire.ts";
import {
  ACTION_PURCHASE,
  actionCode,
  NONE,
  reasonCode,
  reasonOf,
  ROW_DEAD_LETTER,
  ROW_EVENT,
  RowBatch,
} from "../../src/stream/row_batch.ts";

Deno.test("RowBatch holds event rows and markers column by column, and grows keeping them", () => {
  const rows = new RowBatch({ featureSet: 1, denseWidth: 2 }, { capacity: 1 });
  for (let i = 0; i < 5; i++) {
    if (i === 2) {
      rows.addDeadLetter(3, i, reasonCode("not_json"));
      continue;
    }
    const r = rows.addEvent(
      3,
      i,
      i === 4 ? ACTION_PURCHASE : actionCode("view"),
      i === 4 ? 9.5 : 0,
      70 + i,
      `s${i}`,
      1000 + i,
    );
    rows.denseRow(r).set([i, -i]);
  }
  assert.equal(rows.length, 5);
  assert.ok(rows.capacity >= 5);
  assert.deepEqual([...rows.kind.subarray(0, 5)], [
    ROW_EVENT,
    ROW_EVENT,
    ROW_DEAD_LETTER,
    ROW_EVENT,
    ROW_EVENT,
  ]);
  assert.deepEqual([...rows.dense.subarray(0, 10)], [0, -0, 1, -1, 0, 0, 3, -3, 4, -4]);
  assert.deepEqual([...rows.offset.subarray(0, 5)], [0, 1, 2, 3, 4]);
  assert.deepEqual([...rows.partition.subarray(0, 5)], [3, 3, 3, 3, 3]);
  assert.deepEqual([rows.action[2], rows.reason[2], rows.reason[0]], [
    NONE,
    reasonCode("not_json"),
    NONE,
  ]);
  assert.deepEqual([rows.amount[4], rows.userId[4], rows.eventTime[4], rows.sessionId[4]], [
    9.5,
    74,
    1004,
    "s4",
  ]);
  assert.ok(Number.isNaN(rows.userId[2]) && Number.isNaN(rows.eventTime[2]));
  assert.deepEqual(rows.sparseExtent(3), [0, 0]);
  const ids = rows.sessionId;
  rows.clear();
  assert.equal(rows.length, 0);
  assert.equal(rows.sparseLength, 0);
  // The session ids' array is kept (not truncated): the next rows overwrite its slots.
  assert.equal(rows.sessionId, ids);
  rows.addEvent(0, 9, 1, 0, 3, "t0", 1005);
  assert.deepEqual(rows.sessionId.slice(0, rows.length), ["t0"]);
});

Deno.test("RowBatch codes: action classes and reasons round-trip, unknown ones are refused", () => {
  ACTIONS.forEach((a, i) => assert.equal(actionCode(a), i));
  assert.equal(ACTIONS[ACTION_PURCHASE], "purchase");
  for (const r of EVENT_ERROR_REASONS) assert.equal(reasonOf(reasonCode(r)), r);
  assert.throws(() => actionCode("jump" as "view"), /Unknown action "jump"/);
  assert.throws(() => reasonOf(200), /Unknown reason code 200/);
});

Deno.test("RowBatch describes itself and refuses a bad schema, naming the value", () => {
  const rows = new RowBatch({ featureSet: 4, denseWidth: 8, sparseWidth: 1000 });
  assert.deepEqual([rows.featureSet, rows.denseWidth, rows.sparseWidth], [4, 8, 1000]);
  assert.equal(rows.matches({ featureSet: 4, denseWidth: 8, sparseWidth: 1000 }), true);
  assert.equal(rows.matches({ featureSet: 4, denseWidth: 8 }), false);
  assert.throws(() => new RowBatch({ featureSet: 1, denseWidth: 0 }), /denseWidth 0/);
  assert.throws(() => new RowBatch({ featureSet: -1, denseWidth: 8 }), /featureSet -1/);
  assert.throws(
    () => new RowBatch({ featureSet: 1, denseWidth: 8 }, { capacity: 0 }),
    /capacity 0/,
  );
});
