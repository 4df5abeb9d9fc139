/** The feature log's record format: bitwise round trips, bounds, and refusals that name values. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeRows,
  encodeRows,
  packRows,
  ROW_FORMAT_VERSION,
  ROW_FORMAT_VERSIONS,
  ROW_HEADER_BYTES,
  RowCodecError,
  rowCount,
  type RowFormatVersion,
} from "../../src/stream/row_codec.ts";
import { layout } from "../../src/stream/row_layout.ts";
import { ACTIONS } from "../../src/events/wire.ts";
import { EVENT_ERROR_REASONS } from "../../src/events/errors.ts";
import {
  NONE,
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

/** Dense values: one-hots' zeros and ones as often as anything else (version 2 codes them). */
const denseDouble = fc.oneof(double, fc.constantFrom(0, 1), fc.constantFrom(0, 1, -0, -1));

function rowArbitrary(w: number, sparseWidth: number): fc.Arbitrary<PlainRow> {
  return fc.record<PlainRow>({
    kind: fc.constantFrom(ROW_EVENT, ROW_DEAD_LETTER),
    partition: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    offset: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    action: fc.oneof(fc.integer({ min: 0, max: ACTIONS.length - 1 }), fc.constant(NONE)),
    reason: fc.oneof(
      fc.integer({ min: 0, max: EVENT_ERROR_REASONS.length - 1 }),
      fc.constant(NONE),
    ),
    eventTime: double,
    amount: double,
    userId: double,
    truth: double,
    sessionId: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ unit: "grapheme", maxLength: 6 }),
    ),
    dense: fc.array(denseDouble, { minLength: w, maxLength: w }),
    sparse: sparseWidth === 0 ? fc.constant([]) : fc.array(
      fc.tuple(fc.integer({ min: 0, max: sparseWidth - 1 }), double),
      { maxLength: 4 },
    ),
  }).filter((r: PlainRow) =>
    // What the decoder accepts: an event's action class and a marker's reason are known codes.
    r.kind === ROW_EVENT ? r.action < ACTIONS.length : r.reason < EVENT_ERROR_REASONS.length
  );
}

Deno.test("rows survive encode and decode bit for bit, every column, in any run of a batch", () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(31, 32, 33, 64, 70)),
      fc.integer({ min: 0, max: 7 }),
      fc.integer({ min: 0, max: 3 }),
      fc.constantFrom(...ROW_FORMAT_VERSIONS),
      (w, sparseWidth, prefix, version) =>
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
              const bytes = encodeRows(rows, start, end, version);
              assert.equal(new DataView(bytes.buffer).getUint16(4, true), version);
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
  for (const version of ROW_FORMAT_VERSIONS) {
    const bytes = encodeRows(rows, 0, rows.length, version);
    for (let shift = 1; shift < 8; shift++) {
      const shifted = new Uint8Array(bytes.byteLength + shift);
      shifted.set(bytes, shift);
      const into = new RowBatch(schema);
      decodeRows(shifted.subarray(shift), into);
      for (let r = 0; r < 2; r++) {
        assertSameRow(plain(into, r), plain(rows, r), `v${version} shift ${shift} row ${r}`);
      }
    }
  }
});

/** The dense column's bits, as 32-bit halves. */
function denseBits(rows: RowBatch): number[] {
  return [...new Uint32Array(rows.dense.buffer, 0, 2 * rows.length * rows.denseWidth)];
}

Deno.test("version 2 stores only the dense values that are not +0 or 1, and decodes every bit", () => {
  // Bit patterns straight into the dense column: NaN payloads, -0, subnormals, ±1, 1's neighbours.
  const patterns: [number, number][] = [
    [0, 0], // +0: a bitmap bit
    [0, 0x3ff00000], // 1: a bitmap bit
    [0, 0x80000000], // -0: stored
    [0, 0xbff00000], // -1: stored
    [1, 0x3ff00000], // the double after 1: stored
    [0xffffffff, 0x3fefffff], // the double before 1: stored
    [0x12345, 0x7ff80000], // a quiet NaN with a payload
    [1, 0x7ff00000], // a signalling NaN
    [1, 0], // the smallest subnormal
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(1, 7, 31, 32, 33, 64, 65),
      fc.array(fc.nat(patterns.length - 1), { minLength: 1, maxLength: 400 }),
      (w, picks) => {
        const schema = { featureSet: 2, denseWidth: w };
        const n = Math.ceil(picks.length / w);
        const rows = new RowBatch(schema);
        for (let i = 0; i < n; i++) rows.addEvent(0, i, 0, 0, 1, "s", 1);
        const halves = new Uint32Array(rows.dense.buffer);
        let stored = 0;
        for (let j = 0; j < n * w; j++) {
          const [lo, hi] = patterns[picks[j % picks.length]];
          halves[2 * j] = lo;
          halves[2 * j + 1] = hi;
          if (!(lo === 0 && (hi === 0 || hi === 0x3ff00000))) stored++;
        }
        const v1 = encodeRows(rows, 0, n, 1), v2 = encodeRows(rows, 0, n, 2);
        assert.equal(new DataView(v2.buffer).getUint32(32, true), stored);
        assert.equal(
          v1.byteLength - v2.byteLength,
          8 * (n * w - stored) - 8 * n * Math.ceil(w / 32) - 8, // 8 more header bytes
        );
        // Shifted as a fetched buffer holds records: 8-aligned, 4-aligned, and neither.
        for (const encoded of [v1, v2]) {
          for (const shift of [0, 1, 4, 6]) {
            const buffer = new Uint8Array(encoded.byteLength + shift);
            buffer.set(encoded, shift);
            const record = buffer.subarray(shift);
            const into = new RowBatch(schema, { capacity: 1 });
            into.addEvent(5, 5, 0, 0, 1, "before", 1); // a row ahead: decoding appends
            into.denseRow(0).fill(7);
            decodeRows(record, into);
            assert.deepEqual(denseBits(into).slice(2 * w), denseBits(rows), `shift ${shift}`);
            assert.deepEqual([...into.denseRow(0)], new Array(w).fill(7));
          }
        }
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("a version-1 record (as an older featurizer wrote it) decodes to the rows of version 2", () => {
  const schema = { featureSet: 4, denseWidth: 32, sparseWidth: 64 };
  const rows = new RowBatch(schema);
  for (let i = 0; i < 50; i++) {
    rows.addEvent(i % 6, 100 + i, i % 4, i % 7 === 0 ? 12.5 : 0, 1 + i, `sess-${i % 9}`, 1.7e9 + i);
    const dense = rows.denseRow(i);
    dense[i % 12] = 1;
    dense[12 + (i % 12)] = 1;
    dense[24] = i / 50;
    dense[25] = Math.sin(i);
    rows.addSparse(i % 64, i % 2 === 0 ? 1 : -1);
  }
  const v1 = encodeRows(rows, 0, rows.length, 1), v2 = encodeRows(rows);
  assert.ok(v2.byteLength < v1.byteLength / 2, `${v2.byteLength} vs ${v1.byteLength} bytes`);
  const a = new RowBatch(schema), b = new RowBatch(schema);
  decodeRows(v1, a);
  decodeRows(v2, b);
  for (let i = 0; i < rows.length; i++) {
    assertSameRow(plain(a, i), plain(rows, i), `v1 row ${i}`);
    assertSameRow(plain(b, i), plain(rows, i), `v2 row ${i}`);
  }
  assert.deepEqual(encodeRows(a, 0, a.length, 1), v1);
  assert.deepEqual(encodeRows(b), v2);
});

Deno.test("decoding without session ids leaves them empty and the rest the same", () => {
  const schema = { featureSet: 1, denseWidth: 3 };
  const rows = new RowBatch(schema);
  rows.addEvent(1, 7, 0, 0, 3, "ünïcode", 1);
  rows.addEvent(1, 8, 0, 0, 3, "ascii", 2);
  rows.denseRow(1).set([1, 0, 0.5]);
  for (const version of ROW_FORMAT_VERSIONS) {
    const into = new RowBatch(schema);
    assert.equal(decodeRows(encodeRows(rows, 0, 2, version), into, { sessionIds: false }), 2);
    assert.deepEqual(into.sessionId.slice(0, 2), ["", ""]);
    for (let r = 0; r < 2; r++) {
      assertSameRow({ ...plain(into, r), sessionId: rows.sessionId[r] }, plain(rows, r), `${r}`);
    }
  }
});

Deno.test("version-2 dense bitmaps that do not add up are refused, naming what", () => {
  const schema = { featureSet: 3, denseWidth: 5 };
  const rows = new RowBatch(schema);
  rows.addEvent(0, 0, 0, 0, 1, "s", 1);
  rows.denseRow(0).set([1, 0, 0.25, 0, 0]);
  const bytes = encodeRows(rows);
  const masksAt = bytes.byteLength - 3 - 1 - 8; // kind, action, reason, "s"; 2 words before
  const words = (record: Uint8Array) => new DataView(record.buffer, masksAt, 8);
  assert.equal(words(bytes).getUint32(0, true), 0b101); // nonzero: coordinates 0 and 2
  assert.equal(words(bytes).getUint32(4, true), 0b001); // ones: coordinate 0
  const cases: [number, number, RegExp][] = [
    [4, 0b011, /row 0 marks a 1 where it marks no nonzero value/],
    [0, 0b100101, /row 0 marks a value past its width 5/],
    [4, 0b101, /its rows store 0 dense values, the header says 1/],
  ];
  for (const [at, value, pattern] of cases) {
    const bad = bytes.slice();
    words(bad).setUint32(at, value, true);
    const into = new RowBatch(schema);
    assert.throws(() => decodeRows(bad, into), (e: unknown) => {
      assert.ok(e instanceof RowCodecError);
      assert.equal(e.field, "dense");
      assert.match(e.message, pattern);
      return true;
    });
    assert.equal(into.length, 0, "nothing appended");
  }
  const short = bytes.slice(0, 36);
  assert.throws(
    () => decodeRows(short, new RowBatch(schema)),
    /shorter than version 2's 40-byte header/,
  );
});

Deno.test("a sparse index outside the sparse width, or a row kind, action class or reason unknown, is refused", () => {
  const schema = { featureSet: 3, denseWidth: 2, sparseWidth: 5 };
  const rows = new RowBatch(schema);
  rows.addEvent(0, 0, 0, 0, 1, "s", 1);
  rows.addSparse(4, 0.5);
  rows.addEvent(0, 1, 0, 0, 1, "s", 2);
  rows.addSparse(1, 2);
  for (const version of ROW_FORMAT_VERSIONS) {
    const bytes = encodeRows(rows, 0, rows.length, version);
    const k = version === 1 ? 2 * 2 : new DataView(bytes.buffer).getUint32(32, true);
    const l = layout(version, 2, 2, 2, 2, k);
    const cases: [(bad: Uint8Array) => void, string, RegExp][] = [
      [
        (bad) => new DataView(bad.buffer).setUint32(l.sparseIndex + 4, 5, true),
        "sparse",
        /row 1's sparse entry 0 has index 5, outside the sparse width 5/,
      ],
      [
        (bad) => new DataView(bad.buffer).setUint32(l.sparseIndex, 0xffffffff, true),
        "sparse",
        /row 0's sparse entry 0 has index 4294967295, outside the sparse width 5/,
      ],
      [
        (bad) => (bad[l.action + 1] = 4),
        "action",
        /row 1 is an event of action class 4, not one of the 4/,
      ],
      [(bad) => (bad[l.action] = NONE), "action", /row 0 is an event of action class 255/],
      // An event's reason is NONE: made a marker, it has no reason.
      [
        (bad) => (bad[l.kind + 1] = ROW_DEAD_LETTER),
        "reason",
        /row 1 is a dead-letter marker of reason 255, not one of the/,
      ],
      [
        (bad) => (bad[l.kind + 1] = 7),
        "kind",
        /row 1 is of kind 7, neither an event \(0\) nor a dead-letter marker \(1\)/,
      ],
    ];
    for (const [spoil, field, pattern] of cases) {
      const bad = bytes.slice();
      spoil(bad);
      const into = new RowBatch(schema);
      assert.throws(() => decodeRows(bad, into), (e: unknown) => {
        assert.ok(e instanceof RowCodecError, `version ${version}: ${e}`);
        assert.equal(e.field, field);
        assert.match(e.message, pattern);
        return true;
      });
      assert.equal(into.length, 0, "nothing appended");
    }
    assert.equal(decodeRows(bytes, new RowBatch(schema)), 2, "the unspoilt record decodes");
  }
});

Deno.test("packRows splits a batch into consecutive runs within the row and byte bounds", () => {
  const schema = { featureSet: 1, denseWidth: 4 };
  const rows = new RowBatch(schema);
  for (let i = 0; i < 1000; i++) rows.addEvent(i % 3, i, 0, 0, i, `s${i}`, i);
  // Version 1: all 4 dense values; version 2: no value stored (all +0), 2 bitmap words.
  const perRow = (version: RowFormatVersion) => (version === 1 ? 8 * 4 : 4 * 2) + 8 * 5 + 4 * 3 + 3; // + the session id's bytes
  const bounds = ROW_FORMAT_VERSIONS.flatMap((version) =>
    [[64, 1 << 20], [5000, 20 * (perRow(version) + 4)], [1, 41]].map(([maxRows, maxBytes]) =>
      [version, maxRows, maxBytes] as const
    )
  );
  for (const [version, maxRows, maxBytes] of bounds) {
    const records = packRows(rows, { maxRows, maxBytes, version });
    const into = new RowBatch(schema);
    for (const record of records) {
      const n = rowCount(record);
      assert.ok(n >= 1 && n <= maxRows, `${n} rows, bound ${maxRows}`);
      assert.ok(n === 1 || record.byteLength <= maxBytes, `${record.byteLength} bytes`);
      // Filled to the byte bound: one more row would not have fitted.
      if (maxBytes < 1 << 20 && n < maxRows && into.length + n < 1000) {
        assert.ok(record.byteLength + perRow(version) + 4 > maxBytes, `${n} rows`);
      }
      decodeRows(record, into);
    }
    assert.equal(into.length, 1000);
    assert.deepEqual([...into.offset.subarray(0, 1000)], [...rows.offset.subarray(0, 1000)]);
    assert.deepEqual(into.sessionId, rows.sessionId);
  }
  assert.equal(packRows(new RowBatch(schema)).length, 0);
  assert.throws(() => packRows(rows, { maxRows: 0 }), /maxRows 0/);
  assert.throws(() => packRows(rows, { maxBytes: 40 }), /maxBytes 40: expected an integer > 40/);
  assert.throws(
    () => packRows(rows, { maxBytes: ROW_HEADER_BYTES, version: 1 }),
    /maxBytes 32: expected an integer > 32/,
  );
  assert.throws(() => packRows(rows, { version: 3 as RowFormatVersion }), /format version 3/);
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
      `format version ${ROW_FORMAT_VERSION + 1}; this program reads versions 1 and 2`,
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
