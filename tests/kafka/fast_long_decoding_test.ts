/** The fast varlong decoding and the Long.fromValue cache give kafkajs' own values. */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import Decoder from "kafkajs/src/protocol/decoder.js";
import Long from "kafkajs/src/utils/long.js";
import { fastLongDecodingInstalled } from "../../src/kafka/fast_long_decoding.ts";
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

Deno.test("readVarLong reads every varlong as the BigInt reference does, short and long", () => {
  assert.ok(fastLongDecodingInstalled());
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
});

Deno.test("readVarLong at the end of the buffer behaves like kafkajs' own", () => {
  const cut = Buffer.from([0x80, 0x80]); // a varlong cut short
  const decoder = new Dec(cut);
  const long = decoder.readVarLong();
  assert.equal(long.value, 0n); // kafkajs reads the missing bytes as 0
  assert.equal(decoder.offset, 3);
});

Deno.test("Long.fromValue returns the value of every input, cached strings included", () => {
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
});
