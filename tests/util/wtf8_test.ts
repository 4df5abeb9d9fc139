import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeWtf8Into } from "../../src/util/wtf8.ts";

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
