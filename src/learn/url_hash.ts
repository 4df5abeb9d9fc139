/**
 * The hashing trick over an event's url: its path — the url cut at the first `?` or `#`, so the
 * query string and the fragment are never part of it — goes through MurmurHash3 x86 32 with seed
 * 0 (`src/util/murmur3.ts`) over its UTF-8 bytes, and the hash `h` gives one signed feature:
 *
 * - **bucket** `h & (buckets − 1)`, its low bits (`buckets` a power of two, default
 *   {@linkcode DEFAULT_URL_BUCKETS} = 2^12);
 * - **value** `+1` when bit 31 of `h` (its top bit) is 0, `−1` when it is 1 — a bit no bucket
 *   count up to {@linkcode MAX_URL_BUCKETS} reads, so the sign is independent of the bucket and
 *   two paths that share a bucket cancel rather than add half the time.
 *
 * One function of the bytes: the featurize stage hashes straight from a record's bytes
 * ({@linkcode hashUrlBytes}: the byte decoder's url offsets, no string), the in-process path
 * hashes the UTF-8 of the url string ({@linkcode hashUrl}; well-formed strings are the same
 * bytes, lone surrogates get WTF-8's, as the byte decoder's arena does), and both give the same
 * feature for the same url (`tests/learn/url_hash_test.ts` holds them equal on arbitrary urls,
 * non-ASCII and query strings included).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashUrl, urlBucket, urlSign } from "./url_hash.ts";
 *
 * const h = hashUrl("/product/17?ref=home");
 * assert.equal(h, hashUrl("/product/17")); // the query string is not part of it
 * assert.ok(urlBucket(h, 4096) < 4096);
 * assert.ok(urlSign(h) === 1 || urlSign(h) === -1);
 * ```
 *
 * @module
 */

import { murmur3_32, murmur3_32Ascii } from "../util/murmur3.ts";
import { encodeWtf8Into } from "../util/wtf8.ts";

/** The default number of hashed url buckets: 2^12. */
export const DEFAULT_URL_BUCKETS = 4096;
/** The most buckets allowed: 2^24 (bit 31, the sign's, is never a bucket bit). */
export const MAX_URL_BUCKETS = 1 << 24;

const QUESTION = 0x3f, HASH = 0x23;

/**
 * The length of the path of the url `bytes[start .. start + length)`: up to (not including)
 * its first `?` or `#`.
 */
export function urlPathLength(bytes: Uint8Array, start: number, length: number): number {
  for (let i = 0; i < length; i++) {
    const c = bytes[start + i];
    if (c === QUESTION || c === HASH) return i;
  }
  return length;
}

/**
 * The murmur3_32 (seed 0) hash of the path of the url whose UTF-8 bytes are
 * `bytes[start .. start + length)`. Allocates nothing.
 */
export function hashUrlBytes(bytes: Uint8Array, start: number, length: number): number {
  return murmur3_32(bytes, start, urlPathLength(bytes, start, length), 0);
}

let scratch = new Uint8Array(3 * 2048);

/**
 * The murmur3_32 (seed 0) hash of the path of `url`, over its UTF-8 bytes (WTF-8 for lone
 * surrogates): {@linkcode hashUrlBytes} of the url's bytes. A path of ASCII alone — its code
 * units are its bytes — is hashed from the string's code units, with no copy; any other is
 * encoded first. Allocates only for a url longer than any seen before.
 */
export function hashUrl(url: string): number {
  const n = url.length;
  let path = n;
  for (let i = 0; i < n; i++) {
    const c = url.charCodeAt(i);
    if (c === QUESTION || c === HASH) {
      path = i;
      break;
    }
    if (c >= 0x80) {
      if (3 * n > scratch.length) scratch = new Uint8Array(3 * n);
      return hashUrlBytes(scratch, 0, encodeWtf8Into(url, scratch, 0));
    }
  }
  return murmur3_32Ascii(url, path);
}

/** The bucket of hash `h` among `buckets` (a power of two): its low bits. */
export function urlBucket(h: number, buckets: number): number {
  return h & (buckets - 1);
}

/** The signed value of hash `h`: `+1` when its bit 31 is 0, `−1` when it is 1. */
export function urlSign(h: number): number {
  return h >>> 31 === 0 ? 1 : -1;
}

/**
 * Checks a bucket count: a power of two from 2 to {@linkcode MAX_URL_BUCKETS}.
 * @throws {RangeError} naming the value otherwise
 */
export function checkUrlBuckets(buckets: number): number {
  if (
    !Number.isInteger(buckets) || buckets < 2 || buckets > MAX_URL_BUCKETS ||
    (buckets & (buckets - 1)) !== 0
  ) {
    throw new RangeError(
      `Invalid url bucket count ${buckets}: expected a power of two from 2 to ${MAX_URL_BUCKETS}.`,
    );
  }
  return buckets;
}
