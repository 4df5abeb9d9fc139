/** The fast varints write exactly the bytes of the zigzag LEB128 reference (and of kafkajs). */
import assert from "node:assert/strict";
import Encoder from "kafkajs/src/protocol/encoder.js";
import { fastVarintsInstalled } from "../../src/kafka/fast_varints.ts";
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

Deno.test("fast varints are installed and write the reference bytes", async (t) => {
  assert.ok(fastVarintsInstalled());
  await t.step("writeVarInt()", () => {
    for (const v of VALUES) {
      const bytes = [...new Enc().writeVarInt(v).buffer];
      assert.deepEqual(bytes, reference(BigInt(v)), `varint ${v}`);
      assert.equal(Enc.sizeOfVarInt(v), bytes.length);
    }
  });
  await t.step("writeVarLong(), 32-bit fast path and 64-bit fallback", () => {
    for (
      const v of [...VALUES, 2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 5, -(2 ** 45), 1_764_000_000_123]
    ) {
      const bytes = [...new Enc().writeVarLong(v).buffer];
      assert.deepEqual(bytes, reference(BigInt(v)), `varlong ${v}`);
      assert.equal(Enc.sizeOfVarLong(v), bytes.length, `size of varlong ${v}`);
    }
  });
  await t.step("several writes append in order", () => {
    const bytes = [...new Enc().writeVarInt(300).writeVarLong(-1).writeVarIntBytes(null).buffer];
    assert.deepEqual(bytes, [...reference(300n), ...reference(-1n), ...reference(-1n)]);
  });
});
