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

Deno.test("packRecords copies the values of one fetch's consecutive records as one span", () => {
  // A "fetch response": values with 3 bytes of header/key between them, one tombstone.
  const bytes = enc.encode("hdr[v0]hdr[value1]hdr" + "hdr[v3]");
  const columns = {
    bytes,
    offsets: Float64Array.of(0, 1, 2, 3),
    timestamps: new Float64Array(4),
    keyStart: new Int32Array(4),
    keyLength: Int32Array.of(-1, -1, -1, -1),
    valueStart: Int32Array.of(3, 10, -1, 24),
    valueLength: Int32Array.of(4, 8, -1, 4),
  };
  const run = { topic: "t", partition: 0, columns };
  const records = [0, 1, 2, 3].map((i) => new ViewRecord(run, i));
  const packed = packRecords(records);
  // One span from the first value's start to the last one's end: 3 .. 28.
  assert.equal(
    new TextDecoder().decode(packed.values.subarray(0, 25)),
    "[v0]hdr[value1]hdrhdr[v3]",
  );
  assert.deepEqual([...packed.starts.subarray(0, 4)].filter((_, i) => i !== 2), [0, 7, 21]);
  assert.deepEqual([...packed.lengths.subarray(0, 4)], [4, 8, -1, 4]);
  assert.deepEqual(unpackRecords(packed).map((r) => r.value && new TextDecoder().decode(r.value)), [
    "[v0]",
    "[value1]",
    null,
    "[v3]",
  ]);
});

Deno.test("packRecords packs any mix of fetches, plain records and tombstones back as they were", () => {
  // Two fetches' bytes, records of them interleaved with plain ones, in random orders of runs.
  const fetch = (tag: string, n: number, gap: number) => {
    const parts: string[] = [];
    const valueStart = new Int32Array(n), valueLength = new Int32Array(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const pad = ".".repeat(gap);
      const value = i % 5 === 4 ? null : `${tag}${i}:${"x".repeat(i % 7)}`;
      parts.push(pad);
      at += pad.length;
      valueStart[i] = value === null ? -1 : at;
      valueLength[i] = value === null ? -1 : value.length;
      if (value !== null) parts.push(value), at += value.length;
    }
    const columns = {
      bytes: enc.encode(parts.join("")),
      offsets: Float64Array.from({ length: n }, (_, i) => i),
      timestamps: new Float64Array(n),
      keyStart: new Int32Array(n),
      keyLength: new Int32Array(n).fill(-1),
      valueStart,
      valueLength,
    };
    return { topic: "t", partition: tag === "a" ? 0 : 1, columns };
  };
  const a = fetch("a", 40, 3), b = fetch("b", 30, 600); // b's gaps are past SPAN_GAP
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let trial = 0; trial < 50; trial++) {
    const mix: SourceRecord[] = [];
    let ia = 0, ib = 0, plain = 0;
    while (ia < 40 || ib < 30) {
      const pick = random();
      if (pick < 0.45 && ia < 40) mix.push(new ViewRecord(a, ia++));
      else if (pick < 0.8 && ib < 30) mix.push(new ViewRecord(b, ib++));
      else {
        const v = plain % 3 === 2 ? null : enc.encode(`plain${plain}`);
        mix.push({ topic: "t", partition: 2, offset: plain++, key: null, value: v });
      }
    }
    const spare = trial % 2 === 0 ? undefined : packRecords(mix);
    const back = unpackRecords(packRecords(mix, spare));
    assert.deepEqual(
      back.map((r) => [r.partition, r.offset, r.value && new TextDecoder().decode(r.value)]),
      mix.map((r) => [r.partition, r.offset, r.value && new TextDecoder().decode(r.value)]),
      `trial ${trial}`,
    );
  }
});
