/**
 * UTF-8 extended to lone surrogates (WTF-8): the encoding the byte decoder's arena
 * (`src/events/byte_decoder.ts`) and the session store's keys (`src/learn/session_store.ts`)
 * share. For a well-formed string it is exactly UTF-8 — the bytes a record carries — and it is
 * injective over all JavaScript strings, lone surrogates included (`"\ud800"` and `"\ud801"`
 * get different bytes, where `TextEncoder` would turn both into U+FFFD).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeWtf8Into } from "./wtf8.ts";
 *
 * const out = new Uint8Array(12);
 * assert.equal(encodeWtf8Into("é", out, 0), 2);
 * assert.deepEqual([...out.subarray(0, 2)], [0xc3, 0xa9]);
 * assert.equal(encodeWtf8Into("\ud800", out, 0), 3); // a lone surrogate: three bytes
 * ```
 *
 * @module
 */

/**
 * Writes `s` as WTF-8 into `out` from `at`; returns the number of bytes written. Allocates
 * nothing. `out` must have room for `3 * s.length` bytes from `at` (the most any string takes).
 *
 * @throws {RangeError} when `out` has less room than that
 */
export function encodeWtf8Into(s: string, out: Uint8Array, at: number): number {
  if (at + 3 * s.length > out.length) {
    throw new RangeError(
      `Cannot encode a string of ${s.length} code units at ${at} into ${out.length} bytes: it needs up to ${
        3 * s.length
      }.`,
    );
  }
  let p = at;
  for (let k = 0; k < s.length; k++) {
    let c = s.charCodeAt(k);
    if (c < 0x80) {
      out[p++] = c;
    } else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && k + 1 < s.length) {
        const d = s.charCodeAt(k + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          k++;
          out[p++] = 0xf0 | (c >> 18);
          out[p++] = 0x80 | ((c >> 12) & 0x3f);
          out[p++] = 0x80 | ((c >> 6) & 0x3f);
          out[p++] = 0x80 | (c & 0x3f);
          continue;
        }
      }
      // Three bytes: any other BMP unit, a lone surrogate included.
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 0x3f);
      out[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p - at;
}
