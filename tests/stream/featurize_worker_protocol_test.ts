import assert from "node:assert/strict";
import {
  adoptRows,
  installColumns,
  packRecords,
  packRows,
  takeColumns,
  unpackRecords,
} from "../../src/stream/featurize_worker_protocol.ts";
import { featureSet } from "../../src/learn/feature_sets.ts";
import { featureRows } from "../../src/stream/featurize_stage.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";
import type { SourceRecord } from "../../src/stream/records.ts";
import { ViewRecord } from "../../src/kafka/consumed_record.ts";

const enc = new TextEncoder();

function records(values: (string | null)[], from = 0): SourceRecord[] {
  return values.map((v, i) => ({
    topic: "t",
    partition: i % 2,
    offset: from + i,
    key: null,
    value: v === null ? null : enc.encode(v),
  }));
}

Deno.test("packRecords packs into the spare buffers when they fit, else into new ones", () => {
  const first = packRecords(records(["abc", null, "de"]));
  assert.equal(first.n, 3);
  assert.ok(first.lengths.length >= 3 && first.values.length >= 5);
  // Fits: the same arrays, the batch's records read back as they were.
  const second = packRecords(records(["x", "yz"], 10), first);
  assert.equal(second.values, first.values);
  assert.equal(second.lengths, first.lengths);
  const back = unpackRecords(second);
  assert.deepEqual(back.map((r) => [r.partition, r.offset, new TextDecoder().decode(r.value!)]), [
    [0, 10, "x"],
    [1, 11, "yz"],
  ]);
  // Does not fit (more bytes than the spare holds): new arrays.
  const big = packRecords(records(["a".repeat(100)]), first);
  assert.notEqual(big.values, first.values);
  assert.equal(unpackRecords(big)[0].value!.length, 100);
});

Deno.test("rows travel as whole columns, come back and are written into again", () => {
  const schema = featureRows(featureSet("session"));
  const worker = new RowBatch(schema, { capacity: 4 });
  for (let i = 0; i < 3; i++) worker.addEvent(0, i, 0, 0, 7, "", 1);
  const packed = packRows(worker, false);
  assert.equal(packed.length, 3);
  assert.equal(packed.dense, worker.dense, "the columns themselves, not copies");
  const main = new RowBatch(schema);
  adoptRows(packed, main);
  assert.equal(main.length, 3);
  assert.deepEqual([...main.offset.subarray(0, 3)], [0, 1, 2]);
  assert.deepEqual(main.sessionId, ["", "", ""]);
  // Back to the worker's batch: empty, over the same storage, and written into.
  const columns = takeColumns(main);
  const again = new RowBatch(schema, { capacity: 1 });
  installColumns(columns, again);
  assert.equal(again.length, 0);
  assert.equal(again.capacity, 4);
  assert.equal(again.dense, columns.dense);
  again.addEvent(1, 9, 0, 0, 7, "", 1);
  assert.equal(again.offset[0], 9);
  // An empty batch travels as empty copies: the worker's batch keeps its storage.
  again.clear();
  const empty = packRows(again, false);
  assert.notEqual(empty.dense, again.dense);
  assert.equal(empty.dense.length, 0);
});

Deno.test("installColumns and adoptRows refuse columns of another shape, naming it", () => {
  const session = featureRows(featureSet("session"));
  const shop = featureRows(featureSet("shop"));
  const columns = takeColumns(new RowBatch(session, { capacity: 2 }));
  assert.throws(
    () => installColumns(columns, new RowBatch(shop)),
    /Cannot install row columns of capacity 2/,
  );
  const rows = new RowBatch(session, { capacity: 2 });
  rows.addEvent(0, 0, 0, 0, 1, "", 1);
  assert.throws(() => adoptRows(packRows(rows, false), new RowBatch(shop)), /Cannot adopt 1 rows/);
});

Deno.test("packRecords copies a view record's value out of its fetch bytes as it is", () => {
  // Two records' values inside one "fetch response", and a tombstone.
  const bytes = enc.encode('..key1{"a":1}..key2{"b":22}..');
  const columns = {
    bytes,
    offsets: Float64Array.of(0, 1, 2),
    timestamps: new Float64Array(3),
    keyStart: new Int32Array(3),
    keyLength: Int32Array.of(-1, -1, -1),
    valueStart: Int32Array.of(6, -1, 19),
    valueLength: Int32Array.of(7, -1, 8),
  };
  const run = { topic: "t", partition: 0, columns };
  const records = [0, 1, 2].map((i) => new ViewRecord(run, i));
  const target = new Uint8Array(3);
  assert.equal(records[1].copyValueTo(target, 0), -1, "a tombstone copies nothing");
  const packed = packRecords(records);
  const back = unpackRecords(packed);
  assert.deepEqual(back.map((r) => r.value && new TextDecoder().decode(r.value)), [
    '{"a":1}',
    null,
    '{"b":22}',
  ]);
  assert.deepEqual([...packed.lengths.subarray(0, 3)], [7, -1, 8]);
  // Read afterwards, the record's own view is the same bytes.
  assert.deepEqual(records[2].value, back[2].value);
});
