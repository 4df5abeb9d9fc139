import assert from "node:assert/strict";
import fc from "fast-check";
import murmurhash3 from "murmurhash3js-revisited";
import { murmur3_32 } from "../../src/util/murmur3.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const hash = (s: string, seed = 0) => {
  const b = utf8(s);
  return murmur3_32(b, 0, b.length, seed);
};

Deno.test("murmur3_32() gives the published x86 32-bit vectors (checked with Python mmh3 5.3.1)", () => {
  // mmh3.hash(s.encode(), seed, signed=False) for each of these.
  const vectors: [string, number, number][] = [
    ["", 0, 0],
    ["hello", 0, 0x248bfa47],
    ["The quick brown fox jumps over the lazy dog", 0, 0x2e4ff723],
    ["a", 0, 0x3c2569b2],
    ["abc", 0, 0xb3dd93fa],
    ["abcd", 0, 0x43ed676a],
    ["/product/1234", 0, 0x25aac6b8],
    ["/café/ü?x=1", 0, 0x3dca5409],
    ["hello", 1, 0xbb4abcad],
  ];
  for (const [s, seed, want] of vectors) {
    assert.equal(hash(s, seed), want, `${JSON.stringify(s)} seed ${seed}`);
  }
});

Deno.test("murmur3_32() equals npm murmurhash3js-revisited's x86.hash32 on any bytes and seed", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), (bytes, seed) => {
      assert.equal(murmur3_32(bytes, 0, bytes.length, seed), murmurhash3.x86.hash32(bytes, seed));
    }),
    { numRuns: 1000 },
  );
});

Deno.test("murmur3_32() hashes a slice in place: the same as the slice copied out", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(40), fc.nat(40), (bytes, a, b) => {
      const start = Math.min(a, bytes.length), length = Math.min(b, bytes.length - start);
      const copy = bytes.slice(start, start + length);
      assert.equal(murmur3_32(bytes, start, length), murmur3_32(copy, 0, copy.length));
    }),
  );
});
