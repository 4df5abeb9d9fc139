/**
 * The fast varints write exactly the bytes of the zigzag LEB128 reference, and kafkajs' own
 * encoder — its record encoder included, the one its producer calls — runs them (their call
 * counters move), so a patch that stopped being used would fail here.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import Encoder from "kafkajs/src/protocol/encoder.js";
import RecordEncoder from "kafkajs/src/protocol/recordBatch/record/v0/index.js";
import { type FastVarintsCalls, fastVarintsCalls } from "../../src/kafka/fast_varints.ts";
import "../../src/kafka/kafkajs.ts"; // the gate installs the patches
import { zigzagBytes } from "./_zigzag.ts";

// deno-lint-ignore no-explicit-any
const Enc = Encoder as any;

const reference = zigzagBytes;

const VALUES = [
  0,
  1,
  -1,
  63,
  64,
  -64,
  -65,
  127,
  128,
  300,
  -300,
  16383,
  16384,
  2 ** 20,
  2 ** 30 - 1,
  2 ** 30,
  -(2 ** 30),
  2 ** 31 - 1,
  -(2 ** 31),
];

/** The counters' increase since `before`. */
function since(before: FastVarintsCalls): FastVarintsCalls {
  const now = fastVarintsCalls();
  return {
    writeUVarInt: now.writeUVarInt - before.writeUVarInt,
    writeVarLong: now.writeVarLong - before.writeVarLong,
    sizeOfVarLong: now.sizeOfVarLong - before.sizeOfVarLong,
  };
}

Deno.test("kafkajs' Encoder runs the fast varints and they write the reference bytes", async (t) => {
  await t.step("writeVarInt()", () => {
    const before = fastVarintsCalls();
    for (const v of VALUES) {
      const bytes = [...new Enc().writeVarInt(v).buffer];
      assert.deepEqual(bytes, reference(BigInt(v)), `varint ${v}`);
      assert.equal(Enc.sizeOfVarInt(v), bytes.length);
    }
    assert.equal(since(before).writeUVarInt, VALUES.length, "writeVarInt() went through the patch");
  });
  await t.step("writeVarLong(), 32-bit fast path and 64-bit fallback", () => {
    const longs = [...VALUES, 2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 5, -(2 ** 45), 1_764_000_000_123];
    const before = fastVarintsCalls();
    for (const v of longs) {
      const bytes = [...new Enc().writeVarLong(v).buffer];
      assert.deepEqual(bytes, reference(BigInt(v)), `varlong ${v}`);
      assert.equal(Enc.sizeOfVarLong(v), bytes.length, `size of varlong ${v}`);
    }
    const calls = since(before);
    assert.equal(calls.writeVarLong, longs.length, "writeVarLong() is the patched one");
    assert.equal(calls.sizeOfVarLong, longs.length, "sizeOfVarLong() is the patched one");
    assert.equal(calls.writeUVarInt, VALUES.length, "the 32-bit values took the fast path");
  });
  await t.step("several writes append in order", () => {
    const bytes = [...new Enc().writeVarInt(300).writeVarLong(-1).writeVarIntBytes(null).buffer];
    assert.deepEqual(bytes, [...reference(300n), ...reference(-1n), ...reference(-1n)]);
  });
});

Deno.test("kafkajs' record encoder (what its producer calls per record) writes through the fast varints", () => {
  const key = Buffer.from("sess000042");
  const value = Buffer.from('{"user_id":42,"action":"click"}');
  const cases = [
    { offsetDelta: 300, timestampDelta: 1_764_000 }, // a 32-bit delta: the fast path
    { offsetDelta: 5, timestampDelta: 2 ** 40 + 7 }, // beyond 32 bits: kafkajs' Long fallback
  ];
  for (const { offsetDelta, timestampDelta } of cases) {
    const before = fastVarintsCalls();
    const encoded = RecordEncoder({
      offsetDelta,
      timestampDelta,
      key,
      value,
      headers: { source: Buffer.from("test") },
    });
    const calls = since(before);
    const bytes = [...(encoded as { buffer: Uint8Array }).buffer];
    // Kafka's record v2 layout, every varint from the BigInt reference.
    const body = [
      0, // attributes
      ...reference(BigInt(timestampDelta)),
      ...reference(BigInt(offsetDelta)),
      ...reference(BigInt(key.length)),
      ...key,
      ...reference(BigInt(value.length)),
      ...value,
      ...reference(1n), // one header
      ...reference(6n),
      ...Buffer.from("source"),
      ...reference(4n),
      ...Buffer.from("test"),
    ];
    assert.deepEqual(
      bytes,
      [...reference(BigInt(body.length)), ...body],
      `delta ${timestampDelta}`,
    );
    assert.equal(
      calls.sizeOfVarLong,
      1,
      "the record's size went through the patched sizeOfVarLong",
    );
    assert.equal(
      calls.writeVarLong,
      1,
      "the timestamp delta went through the patched writeVarLong",
    );
    // length, offset delta, key and value lengths, header count, header key and value lengths
    assert.ok(calls.writeUVarInt >= 7, `only ${calls.writeUVarInt} varints went through the patch`);
  }
});
