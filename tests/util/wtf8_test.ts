import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeWtf8, encodeWtf8Into } from "../../src/util/wtf8.ts";

const encode = (s: string) => {
  const out = new Uint8Array(3 * s.length + 2);
  const n = encodeWtf8Into(s, out, 2);
  return out.slice(2, 2 + n);
};

Deno.test("encodeWtf8Into() gives TextEncoder's UTF-8 bytes for every well-formed string", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), (s) => {
      assert.deepEqual(encode(s), new TextEncoder().encode(s));
    }),
    { numRuns: 500 },
  );
});

/** Any UTF-16 strings, lone surrogates included, from a small alphabet so that they collide. */
const units = fc.array(fc.constantFrom(0x61, 0xe9, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfffd), {
  maxLength: 4,
}).map((codes) => String.fromCharCode(...codes));

Deno.test("encodeWtf8Into() is injective over strings with lone surrogates", () => {
  fc.assert(
    fc.property(units, units, (a, b) => {
      const ea = encode(a), eb = encode(b);
      assert.equal(ea.length === eb.length && ea.every((x, i) => x === eb[i]), a === b);
    }),
    { numRuns: 500 },
  );
  assert.deepEqual([...encode("\ud800")], [0xed, 0xa0, 0x80]);
  assert.deepEqual([...encode("\udc00\ud800")], [0xed, 0xb0, 0x80, 0xed, 0xa0, 0x80]);
});

Deno.test("encodeWtf8Into() refuses a buffer without room for three bytes a code unit, naming the sizes", () => {
  assert.throws(
    () => encodeWtf8Into("abc", new Uint8Array(8), 0),
    /string of 3 code units at 0 into 8 bytes: it needs up to 9/,
  );
});

Deno.test("decodeWtf8() inverts encodeWtf8Into() on every string, lone surrogates included", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.nat(4), (s, pad) => {
      const out = new Uint8Array(pad + 3 * s.length);
      const n = encodeWtf8Into(s, out, pad);
      assert.equal(decodeWtf8(out, pad, n), s);
    }),
    { numRuns: 2000 },
  );
  for (const s of ["\ud800", "\udc00x", "a\ud83d\ude00b", "x".repeat(9000) + "\ud801é"]) {
    assert.equal(decodeWtf8(encode(s), 0, encode(s).length), s);
  }
});

Deno.test("decodeWtf8() refuses bytes that are no WTF-8, naming the byte", () => {
  assert.throws(() => decodeWtf8(new Uint8Array([0x61, 0xff]), 0, 2), /byte 1 \(0xff\)/);
  assert.throws(() => decodeWtf8(new Uint8Array([0xe0, 0x80, 0x80]), 0, 3), /byte 0 \(0xe0\)/);
  assert.throws(() => decodeWtf8(new Uint8Array([0xc3]), 0, 1), /byte 0/);
  assert.throws(() => decodeWtf8(new Uint8Array(2), 1, 2), /only 2 bytes/);
});
