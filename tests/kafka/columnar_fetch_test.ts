/**
 * The columnar fetch decodes exactly what an unpatched copy of kafkajs does
 * (`_pristine_kafkajs.ts`: its own `decodeMessages`, `Batch`, `Decoder` and `Long`), on random
 * record sets of several batches written by kafkajs' own encoder: keys and values `null`, empty
 * or not, headers single, repeated and unicode, timestamp deltas of any sign, offsets and
 * timestamps near and past 2^53, log-append time, gzip, control and transactional batches, a
 * partial batch at the end. The messages kafkajs would make, its `Batch`'s answers and the
 * consumer's records (`batchRecords`) are compared; the counters say which path was taken.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import fc from "fast-check";
import {
  batchRecords,
  columnarFetchCalls,
  columnarFetchInstalled,
  fetchedColumns,
  fetchedRecords,
} from "../../src/kafka/columnar_fetch.ts";
import {
  type ConsumedRecord,
  toRecord,
  valueBytes,
  ViewRecord,
} from "../../src/kafka/consumed_record.ts";
import type { KafkaMessage } from "../../src/kafka/kafkajs.ts";
import "../../src/kafka/kafkajs.ts"; // the gate installs the patches
import { pristineKafkaJs } from "./_pristine_kafkajs.ts";

type Args = Record<string, unknown>;
type DecoderClass = new (buffer: Buffer) => { offset: number };
type DecodeMessages = (decoder: { offset: number }) => Promise<unknown[]>;
type BatchLike = Record<string, () => unknown> & {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
};
type BatchClass = new (topic: string, fetchedOffset: string, data: Args) => BatchLike;

const require = createRequire(import.meta.url);
const DECODE = "src/protocol/requests/fetch/v4/decodeMessages.js";
const patched = {
  Decoder: require("kafkajs/src/protocol/decoder.js") as DecoderClass,
  decodeMessages: require(`kafkajs/${DECODE}`) as DecodeMessages,
  Batch: require("kafkajs/src/consumer/batch.js") as BatchClass,
};
const pristine = {
  Decoder: pristineKafkaJs("src/protocol/decoder.js") as DecoderClass,
  decodeMessages: pristineKafkaJs(DECODE) as DecodeMessages,
  Batch: pristineKafkaJs("src/consumer/batch.js") as BatchClass,
};
const Record = pristineKafkaJs("src/protocol/recordBatch/record/v0/index.js") as (
  a: Args,
) => unknown;
const { RecordBatch } = pristineKafkaJs("src/protocol/recordBatch/v0/index.js") as {
  RecordBatch: (args: Args) => Promise<{ buffer: Buffer }>;
};
const Long = pristineKafkaJs("src/utils/long.js") as { fromValue(v: unknown): unknown };

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.constant(Buffer.alloc(0)),
);
const field = fc.oneof(
  { weight: 4, arbitrary: bytes },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.constant(null) },
);
const name = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("é€😀", "", "h"));
const headers = fc.option(
  fc.dictionary(name, fc.oneof(bytes, fc.array(bytes, { minLength: 1, maxLength: 3 })), {
    maxKeys: 3,
  }),
  { nil: undefined, freq: 3 },
);
const record = fc.record({
  key: field,
  value: field,
  headers,
  timestampDelta: fc.oneof(
    { weight: 20, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
    { weight: 20, arbitrary: fc.integer({ min: 0, max: 300 }) },
    // A varlong longer than 7 bytes: kafkajs' own.
    { weight: 1, arbitrary: fc.integer({ min: 2 ** 50, max: 2 ** 52 }) },
  ),
}, { requiredKeys: ["key", "value"] });
/** Attribute bits set on the written batch: log-append time, transactional, control. */
const FLAGS = [0x08, 0x10, 0x20];
const batch = fc.record({
  records: fc.array(record, { maxLength: 12 }),
  firstOffset: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 2 ** 40 }) },
    { weight: 1, arbitrary: fc.constant(2 ** 53 - 5) }, // offsets past 2^53 in the batch
  ),
  firstTimestamp: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 2 ** 45 }) },
    { weight: 1, arbitrary: fc.constant(2 ** 53 - 10) }, // a timestamp past 2^53 with a delta
  ),
  maxTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  producerId: fc.integer({ min: -1, max: 2 ** 40 }),
  gzip: fc.boolean(),
  flags: fc.subarray(FLAGS, { maxLength: 2 }),
}, { requiredKeys: ["records", "firstOffset", "firstTimestamp", "maxTimestamp", "producerId"] });
/** One written batch, as the tests describe it. */
interface BatchSpec {
  records: Args[];
  firstOffset: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  gzip?: boolean;
  flags?: number[];
}

/** Mostly plain batches, so most record sets take the columnar path. */
const plainBatch = batch.map((b) => ({ ...b, gzip: false, flags: [] as number[] }));

async function batchBytes(b: BatchSpec): Promise<Buffer> {
  const bytes = Buffer.from(
    (await RecordBatch({
      compression: b.gzip ? 1 : 0,
      firstOffset: Long.fromValue(String(b.firstOffset)),
      firstTimestamp: b.firstTimestamp,
      maxTimestamp: b.maxTimestamp,
      producerId: Long.fromValue(b.producerId),
      lastOffsetDelta: Math.max(0, b.records.length - 1),
      records: b.records.map((r, i) => Record({ ...r, offsetDelta: i })),
    })).buffer,
  );
  // The decoder does not check CRCs: flip the flag bits in the attributes' low byte.
  for (const flag of b.flags ?? []) bytes[22] |= flag;
  return bytes;
}

/** A fetch response's record set field: its size, the batches (cut by `cut` bytes), a tail. */
async function recordSet(batches: BatchSpec[], cut: number): Promise<Buffer> {
  const all = Buffer.concat(await Promise.all(batches.map(batchBytes)));
  const body = all.subarray(0, Math.max(0, all.length - cut));
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body, Buffer.from([7, 7, 7])]);
}

const sets = fc.tuple(
  fc.array(fc.oneof({ weight: 5, arbitrary: plainBatch }, { weight: 2, arbitrary: batch }), {
    maxLength: 4,
  }),
  fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(80) }),
);

/** Both decoders' messages, or both their errors (which must be the same). */
async function decodeBoth(set: Buffer) {
  const outcome = async (decode: DecodeMessages, d: { offset: number }) => {
    try {
      return { messages: await decode(d), offset: d.offset };
    } catch (error) {
      return { error: String(error) };
    }
  };
  const want = await outcome(pristine.decodeMessages, new pristine.Decoder(set));
  const got = await outcome(patched.decodeMessages, new patched.Decoder(set));
  if ("error" in want) {
    assert.deepStrictEqual(got, want, "kafkajs' own error");
    return undefined;
  }
  assert.ok(
    "messages" in got,
    `kafkajs decoded this record set, the patch threw ${"error" in got ? got.error : ""}`,
  );
  assert.equal(got.offset, want.offset, "the decoder ends where kafkajs' does");
  return { want: want.messages, got: got.messages };
}

/** A consumed record's fields as a plain object (a `ViewRecord` reads them through getters). */
function plain(r: ConsumedRecord): ConsumedRecord {
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    key: r.key,
    value: r.value,
    headers: { ...r.headers },
    timestamp: r.timestamp,
  };
}

const BATCH_METHODS = [
  "isEmpty",
  "isEmptyIncludingFiltered",
  "isEmptyDueToFiltering",
  "isEmptyControlRecord",
  "isEmptyDueToLogCompactedMessages",
  "firstOffset",
  "lastOffset",
  "offsetLag",
  "offsetLagLow",
];

Deno.test("the columnar fetch is installed in place of kafkajs' decodeMessages and Batch", () => {
  assert.ok(columnarFetchInstalled());
  assert.notEqual(patched.decodeMessages, pristine.decodeMessages);
  assert.notEqual(patched.Batch, pristine.Batch);
});

Deno.test("random record sets: kafkajs' messages, Batch and the consumer's records", async () => {
  const before = columnarFetchCalls();
  let columnar = 0;
  let own = 0;
  await fc.assert(
    fc.asyncProperty(
      sets,
      fc.nat(),
      fc.integer({ min: -3, max: 3 }),
      async ([batches, cut], pick, shift) => {
        const set = await recordSet(batches, cut);
        const both = await decodeBoth(set);
        if (both === undefined) return;
        const { want, got } = both;
        assert.deepStrictEqual(Array.from(got), want, "the messages kafkajs would make");
        assert.equal(got.length, want.length);
        // A fetched offset around one of the records (or none): kafkajs' Batch filters by it.
        const offsets = want.map((m) => Number((m as KafkaMessage).offset));
        const fetched = offsets.length === 0 ? 0 : offsets[pick % offsets.length] + shift;
        const data = (messages: unknown[]) => ({
          partition: 3,
          highWatermark: String((offsets.at(-1) ?? 0) + 5),
          abortedTransactions: [],
          messages,
        });
        const wantBatch = new pristine.Batch("t", String(fetched), data(want));
        const gotBatch = new patched.Batch("t", String(fetched), data(got));
        for (const method of BATCH_METHODS) {
          assert.deepStrictEqual(gotBatch[method](), wantBatch[method](), method);
        }
        assert.deepStrictEqual(Array.from(gotBatch.messages), wantBatch.messages);
        const position = offsets.length === 0 ? 0 : offsets[(pick >> 3) % offsets.length];
        assert.deepStrictEqual(
          batchRecords(gotBatch, position).map(plain),
          wantBatch.messages.map((m) => toRecord("t", 3, m)).filter((r) => r.offset >= position),
          "the consumer's records",
        );
        const lazy = fetchedRecords(gotBatch, position);
        const each = Array.from({ length: lazy.length }, (_, i) => lazy.at(i)!);
        assert.deepStrictEqual(each.map(plain), batchRecords(gotBatch, position).map(plain));
        assert.equal(lazy.at(lazy.length), undefined, "nothing past the end");
        for (const r of each) {
          assert.equal(valueBytes(r), r.value === null ? 0 : r.value.byteLength, "valueBytes");
          if (r instanceof ViewRecord) {
            assert.notEqual(r.value ?? 0, r.value ?? 1, "a new view each time: none kept");
            const copy = new Uint8Array(r.valueLength);
            assert.equal(r.copyValueTo(copy, 0), r.value === null ? -1 : r.valueLength);
            if (r.value !== null) assert.deepEqual(copy, r.value, "copyValueTo copies the value");
          }
        }
        if (fetchedColumns(gotBatch) !== undefined) columnar++;
        else own++;
      },
    ),
    { numRuns: 1000 },
  );
  const after = columnarFetchCalls();
  console.log(`record sets: ${columnar} as columns, ${own} by kafkajs' own decoder`);
  assert.ok(columnar > 200, `most record sets took the columnar path (${columnar})`);
  assert.ok(own > 50, `some fell back to kafkajs' own decoder (${own})`);
  assert.ok(after.decodeMessages - before.decodeMessages >= columnar);
  assert.ok(after.Batch - before.Batch >= columnar);
});

Deno.test("what falls back: gzip, control, transactional batches, offsets past 2^53", async () => {
  const plain = {
    records: [{ key: null, value: Buffer.from("v") }],
    firstOffset: 10,
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_000,
    producerId: -1,
  };
  const cases: [string, Args, boolean][] = [
    ["plain", {}, true],
    ["log-append time", { flags: [0x08] }, true],
    ["gzip", { gzip: true }, false],
    ["transactional", { flags: [0x10] }, false],
    ["control", { flags: [0x20] }, false],
    ["offset past 2^53", { firstOffset: 2 ** 53 }, false],
    ["log-append time, a timestamp delta past 7 bytes", {
      flags: [0x08],
      // Found by the property above: the delta's 8th byte and the next read as other fields.
      records: [
        ...Array.from({ length: 7 }, () => ({ key: null, value: null })),
        { key: Buffer.alloc(6), value: Buffer.alloc(0), timestampDelta: 2 ** 50 },
      ],
    }, false],
    ["timestamp delta past 7 bytes", {
      records: [{ key: null, value: null, timestampDelta: 2 ** 50 }],
    }, false],
  ];
  for (const [what, change, columnar] of cases) {
    const set = await recordSet([{ ...plain, ...change } as BatchSpec], 0);
    const { want, got } = (await decodeBoth(set))!;
    assert.deepStrictEqual(Array.from(got), want, what);
    const gotBatch = new patched.Batch("t", "0", {
      partition: 0,
      highWatermark: "20",
      messages: got,
    });
    assert.equal(fetchedColumns(gotBatch) !== undefined, columnar, what);
  }
});

Deno.test("a message is made only when kafkajs reads it, and once", async () => {
  const set = await recordSet([{
    records: [1, 2, 3].map((n) => ({ key: null, value: Buffer.from([n]) })),
    firstOffset: 0,
    firstTimestamp: 1,
    maxTimestamp: 1,
    producerId: -1,
  } as BatchSpec], 0);
  const { got } = (await decodeBoth(set))!;
  const view = fetchedColumns({ messages: got })!;
  assert.equal(view.columns.messages.filter((m) => m !== undefined).length, 0);
  assert.equal(got[2], got[2], "the same object each time");
  assert.deepEqual([0, 1, 2].map((i) => view.columns.messages[i] !== undefined), [
    false,
    false,
    true,
  ]);
  assert.deepEqual(Object.keys(got), ["0", "1", "2"]);
});
