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

/**
 * The string whose WTF-8 bytes (as {@linkcode encodeWtf8Into} writes them) are
 * `bytes[start .. start + length)`: the inverse of the encoding, lone surrogates included.
 * Allocates the string (and, past 4096 code units, its pieces).
 *
 * @throws {RangeError} when the slice is not inside `bytes`, or is not WTF-8
 */
export function decodeWtf8(bytes: Uint8Array, start: number, length: number): string {
  const end = start + length;
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0) {
    throw new RangeError(`Cannot decode WTF-8 at start ${start}, length ${length}.`);
  }
  if (end > bytes.length) {
    throw new RangeError(
      `Cannot decode WTF-8 at start ${start}, length ${length}: only ${bytes.length} bytes.`,
    );
  }
  let s = "", n = 0;
  const units = decodeUnits;
  for (let p = start; p < end;) {
    const b = bytes[p];
    let c: number, size: number;
    if (b < 0x80) c = b, size = 1;
    else if (b >= 0xc2 && b < 0xe0) c = b & 0x1f, size = 2;
    else if (b >= 0xe0 && b < 0xf0) c = b & 0x0f, size = 3;
    else if (b >= 0xf0 && b < 0xf5) c = b & 0x07, size = 4;
    else throw notWtf8(bytes, start, length, p);
    if (p + size > end) throw notWtf8(bytes, start, length, p);
    for (let k = 1; k < size; k++) {
      const x = bytes[p + k];
      if ((x & 0xc0) !== 0x80) throw notWtf8(bytes, start, length, p);
      c = (c << 6) | (x & 0x3f);
    }
    if (size === 3 && c < 0x800 || size === 4 && (c < 0x10000 || c > 0x10ffff)) {
      throw notWtf8(bytes, start, length, p);
    }
    p += size;
    if (c >= 0x10000) {
      c -= 0x10000;
      units[n++] = 0xd800 + (c >> 10);
      units[n++] = 0xdc00 + (c & 0x3ff);
    } else {
      units[n++] = c;
    }
    if (n >= DECODE_CHUNK) {
      s += String.fromCharCode.apply(null, units.subarray(0, n) as unknown as number[]);
      n = 0;
    }
  }
  if (n === 0) return s;
  return s + String.fromCharCode.apply(null, units.subarray(0, n) as unknown as number[]);
}

const DECODE_CHUNK = 4096;
/** Code units of a decode, flushed into the string every {@linkcode DECODE_CHUNK} (+1 spare). */
const decodeUnits = new Uint16Array(DECODE_CHUNK + 1);

function notWtf8(bytes: Uint8Array, start: number, length: number, at: number): RangeError {
  return new RangeError(
    `Cannot decode WTF-8 at start ${start}, length ${length}: byte ${at - start} (0x${
      bytes[at].toString(16)
    }) does not begin a well-formed sequence.`,
  );
}
