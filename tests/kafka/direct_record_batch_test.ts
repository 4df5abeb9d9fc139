/**
 * The direct record batch writes exactly the bytes of an unpatched copy of kafkajs
 * (`_pristine_kafkajs.ts`: its own `Record`, `RecordBatch`, `Encoder` and crc32C) on random
 * records — keys and values as `Buffer`s, strings (unicode, lone surrogates), `null` and empty;
 * headers, single and repeated; deltas in and out of 32 bits; values kafkajs would encode oddly —
 * and random batch fields, uncompressed and gzip; a whole produce request included. kafkajs'
 * produce request encodes through it (its counters move), and kafkajs' own errors stay.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import fc from "fast-check";
import {
  DescribedRecord,
  directRecordBatchCalls,
  directRecordBatchInstalled,
} from "../../src/kafka/direct_record_batch.ts";
import "../../src/kafka/kafkajs.ts"; // the gate installs the patches
import { pristineKafkaJs } from "./_pristine_kafkajs.ts";

type Args = Record<string, unknown>;
interface EncoderLike {
  buffer: Buffer;
}
type RecordFn = (args: Args) => unknown;
type RecordBatchFn = (args: Args) => Promise<EncoderLike>;
type ProduceRequest = (args: Args) => { encode: () => Promise<EncoderLike> };

const require = createRequire(import.meta.url);
const patched = {
  Record: require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as RecordFn,
  RecordBatch: (require("kafkajs/src/protocol/recordBatch/v0/index.js") as {
    RecordBatch: RecordBatchFn;
  }).RecordBatch,
  produce: require("kafkajs/src/protocol/requests/produce/v3/request.js") as ProduceRequest,
};
const pristine = {
  Record: pristineKafkaJs("src/protocol/recordBatch/record/v0/index.js") as RecordFn,
  RecordBatch: (pristineKafkaJs("src/protocol/recordBatch/v0/index.js") as {
    RecordBatch: RecordBatchFn;
  }).RecordBatch,
  produce: pristineKafkaJs("src/protocol/requests/produce/v3/request.js") as ProduceRequest,
};
const GZIP = 1;

/** Strings with any UTF-16 code unit: unicode, and lone surrogates. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.constant(""),
  fc.constant("é€😀"),
);
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.constant(Buffer.alloc(0)),
  // A slice of a larger buffer, as the load generator's keys and values are.
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat()).map(([b, n]) =>
    Buffer.from(b.buffer, n % b.length, b.length - (n % b.length))
  ),
);
const field = fc.oneof(
  { weight: 4, arbitrary: bytes },
  { weight: 3, arbitrary: text },
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  // kafkajs writes a Uint8Array that is not a Buffer as String(array): the fallback keeps that.
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 5 }) },
);
const headerValue = fc.oneof(bytes, text);
const headers = fc.option(
  fc.dictionary(
    text,
    fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })),
    { maxKeys: 4 },
  ),
  { nil: undefined },
);
const timestampDelta = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 300 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  // Beyond 32 bits: kafkajs' own varlong.
  { weight: 1, arbitrary: fc.integer({ min: 2 ** 31, max: 2 ** 45 }) },
);
const record = fc.record(
  { key: field, value: field, headers, timestampDelta },
  { requiredKeys: [] },
);
const batchFields = fc.record({
  firstTimestamp: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.constant("1700000000000")),
  maxTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  firstOffset: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 2 ** 40 })),
  partitionLeaderEpoch: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
  transactional: fc.oneof(fc.constant(undefined), fc.boolean()),
  producerId: fc.oneof(fc.constant(undefined), fc.integer({ min: -1, max: 2 ** 40 })),
  producerEpoch: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 32767 })),
  firstSequence: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
});

/** Drops the keys whose value is `undefined`: "not given", as kafkajs' defaults see it. */
function given(args: Args): Args {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
}

async function batchBytes(
  impl: typeof patched,
  records: Args[],
  fields: Args,
  compression: number,
): Promise<Buffer> {
  const encoded = records.map((r, i) => impl.Record({ ...r, offsetDelta: i }));
  const batch = await impl.RecordBatch(given({
    ...fields,
    compression,
    records: encoded,
    lastOffsetDelta: records.length - 1,
  }));
  return batch.buffer;
}

Deno.test("the direct record batch is installed, and Record() describes records", () => {
  assert.ok(directRecordBatchInstalled());
  // The copy really is unpatched: its Encoder is not the one the gate gave the fast varints.
  const prototype = (encoderClass: unknown) => (encoderClass as { prototype: Args }).prototype;
  assert.notEqual(
    prototype(pristineKafkaJs("src/protocol/encoder.js")).writeUVarInt,
    prototype(require("kafkajs/src/protocol/encoder.js")).writeUVarInt,
  );
  assert.ok(patched.Record({ key: Buffer.from("k"), value: null }) instanceof DescribedRecord);
  assert.ok(!(pristine.Record({ key: Buffer.from("k"), value: null }) instanceof DescribedRecord));
});

Deno.test("random uncompressed batches: the bytes of unpatched kafkajs", async () => {
  const before = directRecordBatchCalls();
  let batches = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(record, { maxLength: 30 }), batchFields, async (records, fields) => {
      const want = await batchBytes(pristine, records, fields, 0);
      const got = await batchBytes(patched, records, fields, 0);
      assert.deepEqual(got, want);
      batches++;
    }),
    { numRuns: 1500 },
  );
  const after = directRecordBatchCalls();
  assert.equal(after.RecordBatch - before.RecordBatch, batches, "every batch was written directly");
  assert.ok(after.Record - before.Record > batches, "records went through the replaced Record");
});

Deno.test("random gzip batches (kafkajs' own RecordBatch): the bytes of unpatched kafkajs", async () => {
  const before = directRecordBatchCalls();
  await fc.assert(
    fc.asyncProperty(fc.array(record, { maxLength: 10 }), batchFields, async (records, fields) => {
      const want = await batchBytes(pristine, records, fields, GZIP);
      const got = await batchBytes(patched, records, fields, GZIP);
      assert.deepEqual(got, want);
    }),
    { numRuns: 200 },
  );
  assert.equal(directRecordBatchCalls().RecordBatch, before.RecordBatch, "none written directly");
});

Deno.test("random produce requests (several topics and partitions): the same bytes", async () => {
  const message = fc.record({
    key: fc.oneof(bytes, text, fc.constant(null)),
    value: fc.oneof(bytes, text, fc.constant(null)),
    headers,
    // Every message has its timestamp: kafkajs reads the clock for those without one.
    timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }).map(String),
  }, { requiredKeys: ["timestamp"] });
  const partitions = fc.array(
    fc.record({
      partition: fc.nat(100),
      firstSequence: fc.nat(1000),
      messages: fc.array(message, { minLength: 1, maxLength: 20 }),
    }),
    { minLength: 1, maxLength: 3 },
  );
  const topicData = fc.array(fc.record({ topic: fc.string({ minLength: 1 }), partitions }), {
    minLength: 1,
    maxLength: 2,
  });
  await fc.assert(
    fc.asyncProperty(topicData, fc.constantFrom(0, GZIP), async (data, compression) => {
      const args = { acks: 1, timeout: 30000, compression, topicData: data };
      const want = (await pristine.produce(args).encode()).buffer;
      const got = (await patched.produce(args).encode()).buffer;
      assert.deepEqual(got, want);
    }),
    { numRuns: 300 },
  );
});

Deno.test("kafkajs' errors stay kafkajs': a null header value, a number as value", async () => {
  for (
    const bad of [{ headers: { h: null } }, { value: 5 }, { headers: { h: [Buffer.from("x"), 7] } }]
  ) {
    const args = { key: Buffer.from("k"), value: Buffer.from("v"), ...bad };
    assert.throws(() => pristine.Record(args), `kafkajs throws on ${JSON.stringify(bad)}`);
    let kafkajsError: unknown;
    try {
      pristine.Record(args);
    } catch (e) {
      kafkajsError = e;
    }
    assert.throws(() => patched.Record(args), (e: Error) => {
      assert.equal(e.message, (kafkajsError as Error).message);
      return true;
    });
  }
  const fields = { firstTimestamp: 1, maxTimestamp: 1, producerEpoch: 1 << 20 };
  const records = [{ key: Buffer.from("k"), value: Buffer.from("v") }];
  await assert.rejects(batchBytes(pristine, records, fields, 0), RangeError);
  await assert.rejects(batchBytes(patched, records, fields, 0), RangeError);
});
