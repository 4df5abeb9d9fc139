/**
 * The fast varlong decoding and the Long.fromValue cache give kafkajs' own values, and kafkajs'
 * own decoder — its record batch decoder included, the one its consumer calls on every fetched
 * batch — runs them (their call counters move), so a patch that stopped being used would fail
 * here.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import Decoder from "kafkajs/src/protocol/decoder.js";
import RecordBatchDecoder from "kafkajs/src/protocol/recordBatch/v0/decoder.js";
import Long from "kafkajs/src/utils/long.js";
import {
  type FastLongDecodingCalls,
  fastLongDecodingCalls,
} from "../../src/kafka/fast_long_decoding.ts";
import "../../src/kafka/kafkajs.ts"; // the gate installs the patches
import { zigzagBytes } from "./_zigzag.ts";

// deno-lint-ignore no-explicit-any
const Dec = Decoder as any;
// deno-lint-ignore no-explicit-any
const L = Long as any;

const EDGES: bigint[] = [0n, 1n, -1n, 63n, -64n, 64n, -65n, 8191n, -8192n, 8192n];
for (let bits = 13; bits <= 62; bits++) {
  const p = 1n << BigInt(bits);
  EDGES.push(p - 1n, p, -p, -p - 1n);
}
EDGES.push((1n << 63n) - 1n, -(1n << 63n));

/** The counters' increase since `before`. */
function since(before: FastLongDecodingCalls): FastLongDecodingCalls {
  const now = fastLongDecodingCalls();
  return {
    readVarLong: now.readVarLong - before.readVarLong,
    fromValue: now.fromValue - before.fromValue,
    fromValueCached: now.fromValueCached - before.fromValueCached,
  };
}

Deno.test("readVarLong reads every varlong as the BigInt reference does, short and long", () => {
  const before = fastLongDecodingCalls();
  let seed = 12345n;
  const random: bigint[] = [];
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    random.push(BigInt.asIntN(64, seed) >> BigInt(i % 64)); // every magnitude
  }
  const values = [...EDGES, ...random];
  // Several values back to back, so the offset after each one is checked too.
  const bytes = Buffer.from(values.flatMap(zigzagBytes));
  const decoder = new Dec(bytes);
  for (const value of values) {
    const long = decoder.readVarLong();
    assert.ok(long instanceof L, "a kafkajs Long");
    assert.equal(long.value, value, `varlong ${value}`);
  }
  assert.equal(decoder.offset, bytes.length);
  assert.equal(since(before).readVarLong, values.length, "kafkajs' Decoder ran the patched one");
});

Deno.test("readVarLong at the end of the buffer behaves like kafkajs' own", () => {
  const cut = Buffer.from([0x80, 0x80]); // a varlong cut short
  const decoder = new Dec(cut);
  const long = decoder.readVarLong();
  assert.equal(long.value, 0n); // kafkajs reads the missing bytes as 0
  assert.equal(decoder.offset, 3);
});

Deno.test("Long.fromValue returns the value of every input, cached strings included", () => {
  const before = fastLongDecodingCalls();
  const inputs = ["42", "1732550000123", "42", "1732550000123", "-7", "42", "0", "NaN"];
  for (const s of inputs) {
    assert.equal(L.fromValue(s).value, s === "NaN" ? 0n : BigInt(s), s);
  }
  assert.equal(L.fromValue(5).value, 5n);
  assert.equal(L.fromValue(5n).value, 5n);
  assert.equal(L.fromValue(L.fromValue("9")).value, 9n);
  const a = L.fromValue("100");
  assert.equal(a.add(1).toString(), "101");
  assert.equal(L.fromValue("100").value, 100n, "the cached Long was not changed by add()");
  const calls = since(before);
  // (kafkajs' Long also calls fromValue itself, in add() for one)
  assert.ok(
    calls.fromValue >= inputs.length + 6,
    `only ${calls.fromValue} patched fromValue calls`,
  );
  // the second "42" and "1732550000123" (the last two strings), then the second "100"
  assert.equal(calls.fromValueCached, 3, "answers from the cache");
});

/** Kafka's record batch (magic 2, uncompressed) of `records`, every varint from the reference. */
function recordBatch(
  firstOffset: bigint,
  firstTimestamp: bigint,
  records: { timestampDelta: bigint; key: string; value: string }[],
): Buffer {
  const body = records.map(({ timestampDelta, key, value }, i) => {
    const record = [
      0, // attributes
      ...zigzagBytes(timestampDelta),
      ...zigzagBytes(BigInt(i)), // offset delta
      ...zigzagBytes(BigInt(key.length)),
      ...Buffer.from(key),
      ...zigzagBytes(BigInt(value.length)),
      ...Buffer.from(value),
      ...zigzagBytes(0n), // no headers
    ];
    return [...zigzagBytes(BigInt(record.length)), ...record];
  }).flat();
  const after = Buffer.alloc(4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4);
  let o = 0;
  o = after.writeInt32BE(0, o); // partition leader epoch
  o = after.writeInt8(2, o); // magic
  o = after.writeInt32BE(0, o); // crc (kafkajs does not check it)
  o = after.writeInt16BE(0, o); // attributes: no compression, create time
  o = after.writeInt32BE(records.length - 1, o); // last offset delta
  o = after.writeBigInt64BE(firstTimestamp, o);
  o = after.writeBigInt64BE(firstTimestamp, o); // max timestamp
  o = after.writeBigInt64BE(-1n, o); // producer id
  o = after.writeInt16BE(-1, o); // producer epoch
  o = after.writeInt32BE(-1, o); // first sequence
  after.writeInt32BE(records.length, o); // record count
  const batch = Buffer.concat([after, Buffer.from(body)]);
  const head = Buffer.alloc(12);
  head.writeBigInt64BE(firstOffset, 0);
  head.writeInt32BE(batch.length, 8);
  return Buffer.concat([head, batch]);
}

Deno.test("kafkajs' record batch decoder (what its consumer calls per fetched batch) reads through the patches", async () => {
  const firstOffset = 7_000_000_123n, firstTimestamp = 1_764_000_000_123n;
  const deltas = [0n, 1n, 250n, -3n, 86_400_000n, 1n << 50n]; // the last one: kafkajs' own path
  const input = deltas.map((timestampDelta, i) => ({
    timestampDelta,
    key: `sess${i}`,
    value: `{"n":${i}}`,
  }));
  const before = fastLongDecodingCalls();
  const batch = await RecordBatchDecoder(new Dec(recordBatch(firstOffset, firstTimestamp, input)));
  const calls = since(before);
  const records = (batch as {
    records: { timestamp: string; offset: string; key: Buffer; value: Buffer }[];
  }).records;
  assert.deepEqual(
    records.map((r) => ({
      timestamp: r.timestamp,
      offset: r.offset,
      key: r.key.toString(),
      value: r.value.toString(),
    })),
    input.map(({ timestampDelta, key, value }, i) => ({
      timestamp: String(firstTimestamp + timestampDelta),
      offset: String(firstOffset + BigInt(i)),
      key,
      value,
    })),
  );
  assert.equal(calls.readVarLong, deltas.length, "one patched readVarLong per record");
  // per record at least Long.fromValue(firstTimestamp) and Long.fromValue(firstOffset)
  assert.ok(
    calls.fromValue >= 2 * deltas.length,
    `only ${calls.fromValue} patched fromValue calls`,
  );
  assert.ok(
    calls.fromValueCached >= 2 * (deltas.length - 1),
    `only ${calls.fromValueCached} of ${2 * deltas.length} answered from the cache`,
  );
});
