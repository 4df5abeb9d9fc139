/** The feature log's record format: bitwise round trips, bounds, and refusals that name values. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeRows,
  encodeRows,
  packRows,
  ROW_FORMAT_VERSION,
  ROW_HEADER_BYTES,
  RowCodecError,
  rowCount,
} from "../../src/stream/row_codec.ts";
import {
  ROW_DEAD_LETTER,
  ROW_EVENT,
  RowBatch,
  type RowSchema,
} from "../../src/stream/row_batch.ts";

/** One row as plain values, every column. */
interface PlainRow {
  kind: number;
  partition: number;
  offset: number;
  action: number;
  reason: number;
  eventTime: number;
  amount: number;
  userId: number;
  truth: number;
  sessionId: string;
  dense: number[];
  sparse: [number, number][];
}

/** Row `i` of `rows`, every column, as plain values. */
function plain(rows: RowBatch, i: number): PlainRow {
  const [from, to] = rows.sparseExtent(i);
  return {
    kind: rows.kind[i],
    partition: rows.partition[i],
    offset: rows.offset[i],
    action: rows.action[i],
    reason: rows.reason[i],
    eventTime: rows.eventTime[i],
    amount: rows.amount[i],
    userId: rows.userId[i],
    truth: rows.truth[i],
    sessionId: rows.sessionId[i],
    dense: [...rows.denseRow(i)],
    sparse: Array.from({ length: to - from }, (_, k) => [
      rows.sparseIndex[from + k],
      rows.sparseValue[from + k],
    ]),
  };
}

/** Fills `rows` with `list` through its columns (sparse entries included). */
function fill(rows: RowBatch, list: readonly PlainRow[]): void {
  const sparse = list.reduce((n, r) => n + r.sparse.length, 0);
  rows.reserve(list.length, sparse);
  for (const r of list) {
    const i = rows.length++;
    rows.kind[i] = r.kind;
    rows.partition[i] = r.partition;
    rows.offset[i] = r.offset;
    rows.action[i] = r.action;
    rows.reason[i] = r.reason;
    rows.eventTime[i] = r.eventTime;
    rows.amount[i] = r.amount;
    rows.userId[i] = r.userId;
    rows.truth[i] = r.truth;
    rows.sessionId[i] = r.sessionId;
    rows.dense.set(r.dense, i * rows.denseWidth);
    for (const [index, value] of r.sparse) {
      rows.sparseIndex[rows.sparseLength] = index;
      rows.sparseValue[rows.sparseLength++] = value;
    }
    rows.sparseEnd[i] = rows.sparseLength;
  }
}

/** Bitwise equality of two rows: Object.is on every number (so -0 ≠ 0, NaN = NaN). */
function assertSameRow(actual: PlainRow, expected: PlainRow, where: string): void {
  const numbers = (r: PlainRow) => [
    r.kind,
    r.partition,
    r.offset,
    r.action,
    r.reason,
    r.eventTime,
    r.amount,
    r.userId,
    r.truth,
    ...r.dense,
    ...r.sparse.flat(),
  ];
  const a = numbers(actual), e = numbers(expected);
  assert.equal(a.length, e.length, where);
  a.forEach((x, k) => assert.ok(Object.is(x, e[k]), `${where}: value ${k} is ${x}, not ${e[k]}`));
  assert.equal(actual.sessionId, expected.sessionId, where);
}

const double = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, 2 ** 53),
);

function rowArbitrary(w: number, sparseWidth: number): fc.Arbitrary<PlainRow> {
  return fc.record({
    kind: fc.constantFrom(ROW_EVENT, ROW_DEAD_LETTER),
    partition: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    offset: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    action: fc.integer({ min: 0, max: 255 }),
    reason: fc.integer({ min: 0, max: 255 }),
    eventTime: double,
    amount: double,
    userId: double,
    truth: double,
    sessionId: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ unit: "grapheme", maxLength: 6 }),
    ),
    dense: fc.array(double, { minLength: w, maxLength: w }),
    sparse: sparseWidth === 0 ? fc.constant([]) : fc.array(
      fc.tuple(fc.integer({ min: 0, max: sparseWidth - 1 }), double),
      { maxLength: 4 },
    ),
  });
}

Deno.test("rows survive encode and decode bit for bit, every column, in any run of a batch", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 7 }),
      fc.integer({ min: 0, max: 3 }),
      (w, sparseWidth, prefix) =>
        fc.assert(
          fc.property(
            fc.array(rowArbitrary(w, sparseWidth), { maxLength: 30 }),
            fc.nat(),
            fc.nat(),
            (list, a, b) => {
              const schema: RowSchema = { featureSet: 7, denseWidth: w, sparseWidth };
              const rows = new RowBatch(schema, { capacity: 1 });
              fill(rows, list);
              const start = list.length === 0 ? 0 : a % (list.length + 1);
              const end = start + (list.length === 0 ? 0 : b % (list.length - start + 1));
              const bytes = encodeRows(rows, start, end);
              assert.equal(rowCount(bytes), end - start);
              // Decode after rows already there, so offsets into every column are exercised.
              const into = new RowBatch(schema, { capacity: 1 });
              fill(into, list.slice(0, prefix));
              const before = into.length;
              assert.equal(decodeRows(bytes, into), end - start);
              assert.equal(into.length, before + end - start);
              for (let i = 0; i < before; i++) {
                assertSameRow(plain(into, i), list[i], `prefix row ${i}`);
              }
              for (let i = start; i < end; i++) {
                assertSameRow(plain(into, before + i - start), list[i], `row ${i}`);
              }
            },
          ),
          { numRuns: 20 },
        ),
    ),
    { numRuns: 15 },
  );
});

Deno.test("a record read from an unaligned buffer (as Kafka hands them) decodes the same", () => {
  const schema = { featureSet: 1, denseWidth: 3 };
  const rows = new RowBatch(schema);
  const i = rows.addEvent(2, 41, 3, 9.99, 7, "sessión-é", 1.5e9);
  rows.denseRow(i).set([0.1, -0, NaN]);
  rows.addDeadLetter(2, 42, 4);
  const bytes = encodeRows(rows);
  const shifted = new Uint8Array(bytes.byteLength + 3);
  shifted.set(bytes, 3);
  const into = new RowBatch(schema);
  decodeRows(shifted.subarray(3), into);
  for (let r = 0; r < 2; r++) assertSameRow(plain(into, r), plain(rows, r), `row ${r}`);
});

Deno.test("packRows splits a batch into consecutive runs within the row and byte bounds", () => {
  const schema = { featureSet: 1, denseWidth: 4 };
  const rows = new RowBatch(schema);
  for (let i = 0; i < 1000; i++) rows.addEvent(i % 3, i, 0, 0, i, `s${i}`, i);
  const perRow = 8 * (5 + 4) + 4 * 3 + 3; // + the session id's bytes
  for (const [maxRows, maxBytes] of [[64, 1 << 20], [5000, 20 * (perRow + 4)], [1, 40]]) {
    const records = packRows(rows, { maxRows, maxBytes });
    const into = new RowBatch(schema);
    for (const record of records) {
      const n = rowCount(record);
      assert.ok(n >= 1 && n <= maxRows, `${n} rows, bound ${maxRows}`);
      assert.ok(n === 1 || record.byteLength <= maxBytes, `${record.byteLength} bytes`);
      decodeRows(record, into);
    }
    assert.equal(into.length, 1000);
    assert.deepEqual([...into.offset.subarray(0, 1000)], [...rows.offset.subarray(0, 1000)]);
    assert.deepEqual(into.sessionId, rows.sessionId);
  }
  assert.equal(packRows(new RowBatch(schema)).length, 0);
  assert.throws(() => packRows(rows, { maxRows: 0 }), /maxRows 0/);
  assert.throws(() => packRows(rows, { maxBytes: ROW_HEADER_BYTES }), /maxBytes 32/);
  assert.throws(() => encodeRows(rows, 5, 2000), /rows 5 \.\. 2000 of a batch of 1000/);
});

Deno.test("a record of another version, feature set or width is refused, naming both values", () => {
  const rows = new RowBatch({ featureSet: 3, denseWidth: 2, sparseWidth: 5 });
  rows.addEvent(0, 0, 0, 0, 1, "s", 1);
  const bytes = encodeRows(rows);
  const refuse = (into: RowBatch, record: Uint8Array, field: string, pattern: RegExp) => {
    const error = assert.throws(() => decodeRows(record, into), (e: unknown) => {
      assert.ok(e instanceof RowCodecError);
      assert.equal(e.field, field);
      assert.match(e.message, pattern);
      return true;
    });
    assert.equal(into.length, 0, "nothing appended");
    return error;
  };
  refuse(
    new RowBatch({ featureSet: 4, denseWidth: 2, sparseWidth: 5 }),
    bytes,
    "featureSet",
    /feature set 3, this learner's of feature set 4/,
  );
  refuse(
    new RowBatch({ featureSet: 3, denseWidth: 9, sparseWidth: 5 }),
    bytes,
    "denseWidth",
    /dense width 2, this learner's of dense width 9/,
  );
  refuse(
    new RowBatch({ featureSet: 3, denseWidth: 2 }),
    bytes,
    "sparseWidth",
    /sparse width 5, this learner's of sparse width 0/,
  );
  const same = () => new RowBatch({ featureSet: 3, denseWidth: 2, sparseWidth: 5 });
  const newer = bytes.slice();
  new DataView(newer.buffer).setUint16(4, ROW_FORMAT_VERSION + 1, true);
  refuse(
    same(),
    newer,
    "version",
    new RegExp(
      `format version ${ROW_FORMAT_VERSION + 1}; this program reads version ${ROW_FORMAT_VERSION}`,
    ),
  );
  refuse(
    same(),
    new TextEncoder().encode(JSON.stringify({ user_id: 1, padding: "x".repeat(40) })),
    "magic",
    /not the rows' magic "CSRW"/,
  );
  refuse(same(), bytes.subarray(0, bytes.byteLength - 1), "length", /its header .* says/);
  refuse(same(), bytes.subarray(0, 10), "length", /shorter than the 32-byte header/);
  const badUtf8 = bytes.slice();
  badUtf8[badUtf8.byteLength - 1] = 0xff;
  refuse(same(), badUtf8, "sessions", /not UTF-8/);
});
