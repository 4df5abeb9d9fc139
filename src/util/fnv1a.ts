/**
 * FNV-1a, 32 bits, over a slice of bytes: the hash of session-id bytes that the byte decoder
 * (`src/events/byte_decoder.ts`) writes per row and that a byte-keyed index
 * (`src/learn/byte_key_index.ts`) is probed with. A function of the bytes alone, so the same id
 * hashes the same whichever path decoded it. Not a defence against chosen collisions: the index
 * compares the key bytes on every hash match, so a collision costs a probe, never a merge.
 *
 * @module
 */

/** The FNV-1a 32-bit offset basis. */
export const FNV1A_OFFSET = 0x811c9dc5;
/** The FNV-1a 32-bit prime. */
export const FNV1A_PRIME = 0x01000193;

/**
 * The FNV-1a 32-bit hash of `bytes[start .. start + length)`, as an unsigned 32-bit integer.
 * Allocates nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fnv1a32 } from "./fnv1a.ts";
 *
 * assert.equal(fnv1a32(new TextEncoder().encode("abc"), 0, 3), 0x1a47e90b);
 * assert.equal(fnv1a32(new TextEncoder().encode("xabcx"), 1, 3), 0x1a47e90b); // a slice
 * ```
 */
export function fnv1a32(bytes: Uint8Array, start: number, length: number): number {
  let h = FNV1A_OFFSET;
  const end = start + length;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV1A_PRIME);
  return h >>> 0;
}
