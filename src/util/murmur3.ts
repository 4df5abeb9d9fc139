/**
 * MurmurHash3, x86, 32 bits (Austin Appleby's `MurmurHash3_x86_32`), over a slice of bytes: the
 * hash of the hashing trick's url features (`src/learn/url_hash.ts`). It reads
 * `bytes[start .. start + length)` in place, so the featurize stage hashes a url straight from a
 * record's bytes — no string, no view, no allocation. The blocks are read little-endian, as the
 * reference does on x86, so the result is the published one on every platform: `""` → `0`,
 * `"hello"` → `0x248bfa47`, `"The quick brown fox jumps over the lazy dog"` → `0x2e4ff723`
 * (seed 0; checked against Python `mmh3` and npm `murmurhash3js-revisited` in
 * `tests/util/murmur3_test.ts`).
 *
 * Written here rather than taken from npm: the packages that hash bytes
 * (`murmurhash3js-revisited`, unmaintained since 2019) take a whole array, so a record's url would
 * need a view per event, and the others hash a string's UTF-16 code units, not its UTF-8 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { murmur3_32 } from "./murmur3.ts";
 *
 * const bytes = new TextEncoder().encode("xhellox");
 * assert.equal(murmur3_32(bytes, 1, 5), 0x248bfa47); // "hello", a slice
 * assert.equal(murmur3_32(bytes, 0, 0), 0);
 * ```
 *
 * @module
 */

const C1 = 0xcc9e2d51, C2 = 0x1b873593;

/** A block's or the tail's `k`, scrambled. */
function scramble(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

/** `h` after one 4-byte block `k`. */
function mixBlock(h: number, k: number): number {
  h ^= scramble(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The final avalanche of `h` over `length` bytes, unsigned. */
function finish(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The MurmurHash3 x86 32-bit hash of `bytes[start .. start + length)` with `seed` (default 0),
 * as an unsigned 32-bit integer. Allocates nothing.
 */
export function murmur3_32(bytes: Uint8Array, start: number, length: number, seed = 0): number {
  let h = seed | 0;
  const end = start + length, blocks = start + (length & ~3);
  let i = start;
  for (; i < blocks; i += 4) {
    h = mixBlock(h, bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
  }
  const tail = end - i;
  if (tail > 0) {
    let k = bytes[i];
    if (tail > 1) k ^= bytes[i + 1] << 8;
    if (tail > 2) k ^= bytes[i + 2] << 16;
    h ^= scramble(k);
  }
  return finish(h, length);
}

/**
 * {@linkcode murmur3_32} of the bytes of `s[0 .. length)` with `seed` (default 0), for code units
 * that are all below 0x80 (each its own UTF-8 byte; the caller checks): the same steps over
 * `charCodeAt`, with no bytes made.
 */
export function murmur3_32Ascii(s: string, length: number, seed = 0): number {
  let h = seed | 0;
  const blocks = length & ~3;
  let i = 0;
  for (; i < blocks; i += 4) {
    h = mixBlock(
      h,
      s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) |
        (s.charCodeAt(i + 3) << 24),
    );
  }
  const tail = length - i;
  if (tail > 0) {
    let k = s.charCodeAt(i);
    if (tail > 1) k ^= s.charCodeAt(i + 1) << 8;
    if (tail > 2) k ^= s.charCodeAt(i + 2) << 16;
    h ^= scramble(k);
  }
  return finish(h, length);
}
