/**
 * A decoder of record values that allocates nothing per event: it reads the six fields of the
 * wire format (docs/design.md "Wire format") straight from a record's bytes into the typed-array
 * columns of a reusable {@linkcode DecodedBatch}, and sends every record it does not recognise
 * as plainly valid to the full path of `schema.ts` (`TextDecoder` + `JSON.parse` + zod), whose
 * verdict, error reason, field and message it keeps unchanged. Verdicts never come from the fast
 * path: it only ever says "this is valid, and here are its fields" or "ask the full path".
 *
 * ## The acceptance rule of the fast path
 *
 * A record takes the fast path when, and only when, all of the following hold; each condition
 * is one that `JSON.parse` + the schema would also accept, with the same field values:
 *
 * - the value is present and at most `MAX_RECORD_BYTES` long;
 * - it is one JSON object, optionally surrounded and interspersed by JSON whitespace (space,
 *   tab, LF, CR — exactly the four `JSON.parse` skips), with nothing after the closing brace;
 * - every key is one of `user_id`, `url`, `action`, `session_id`, `timestamp`, `amount`,
 *   written without escapes, and appears at most once;
 * - every string (key or value) is ASCII without control characters (bytes 0x20..0x7f) and has
 *   no backslash, so its bytes are its characters;
 * - `user_id` is digits only, no leading zero, at most `Number.MAX_SAFE_INTEGER`;
 * - `timestamp` is digits only, no leading zero, within `MIN_TIMESTAMP..MAX_TIMESTAMP`;
 * - `url` has 1..`MAX_URL_LENGTH` and `session_id` 1..`MAX_ID_LENGTH` characters;
 * - `action` is `click`, `view`, `scroll` or `purchase`;
 * - `amount` is present exactly on a purchase, written as `int` or `int.frac` (`int` is `0` or
 *   starts with 1..9) with at most 16 digits in all whose digits `M` (the number without its
 *   point) are `0 < M <= Number.MAX_SAFE_INTEGER`: then `M` and `10^f` (`f` the fraction's
 *   length, at most 15) are exact doubles and one IEEE division `M / 10^f` gives the correctly
 *   rounded value, which is what `JSON.parse` returns (Clinger's fast path).
 *
 * ## What falls back, and why
 *
 * Everything else goes to `tryDecodeEvents`, one call per batch for its fallback rows:
 *
 * - **a missing value (tombstone) or one over 64 KiB**: the full path names the reason
 *   (`not_json`, `too_large`);
 * - **any byte >= 0x80** (non-ASCII text, a byte-order mark, invalid UTF-8): UTF-8 decoding
 *   decides what the characters are, whether the text is valid (`not_utf8`), and `TextDecoder`
 *   drops a leading BOM, which the full path then accepts;
 * - **a backslash in a string**: an escape (`\u0041`, `\/`, `\ud800`) means the characters are
 *   not the bytes; also an escaped key may spell a known key;
 * - **control characters in a string, other whitespace (form feed, NBSP, ...), truncated or
 *   malformed JSON, text after the object**: `JSON.parse` rejects them, with its own message;
 * - **a key other than the six**: extra fields are valid and ignored by the schema, but their
 *   values could be anything; rather than skip arbitrary JSON, the full path parses them;
 * - **a key twice**: `JSON.parse` keeps the last value, so the first one must not be taken;
 * - **numbers in other forms** — exponents (`1e3` is a valid integer 1000), fractions (`7.0`
 *   is the integer 7, `7.5` is a `wrong_type`), `-0` and other negatives, leading zeros (not
 *   JSON), more digits than the exact range (`9007199254740993` parses to a rounded value), an
 *   amount with more than 16 digits: the value `JSON.parse` gives is not obvious from the bytes,
 *   or the record is invalid and zod must say how;
 * - **values of another type** (`null`, booleans, arrays, objects, strings for numbers and
 *   numbers for strings), an array or scalar instead of an object, missing fields, values out
 *   of range, strings too short or too long, an unknown action, an amount on a non-purchase or
 *   none on a purchase: all are invalid records, and the error must be zod's.
 *
 * ## Output
 *
 * Per row: `status` ({@linkcode ROW_FAST}, {@linkcode ROW_FALLBACK_VALID} or
 * {@linkcode ROW_INVALID}; {@linkcode ROW_NEEDS_FALLBACK} only between the two passes), and for
 * valid rows `userId`, `action` (the index in `ACTIONS`: click 0, view 1, scroll 2,
 * purchase 3), `timestamp`, `amount` (`NaN` when absent), and `url` and `session_id` as
 * start/length into {@linkcode DecodedBatch.bytes} of the row — the record's own bytes (indices
 * into the `Uint8Array` view, whatever its `byteOffset`) for a fast row, the batch's side arena
 * for a fallback row, which holds the strings the full path produced, re-encoded. The arena
 * encoding is UTF-8 extended to lone surrogates (WTF-8): the same bytes as the record for any
 * well-formed id, so an id decodes to the same key on either path, and injective over all
 * strings `JSON.parse` can produce, so two distinct ids (even `"\ud800"` and `"\ud801"`) never
 * share a key. `sessionHash` is FNV-1a 32 (`src/util/fnv1a.ts`) over those key bytes. The full
 * path's event or error is kept in a side list indexed by row (allocation only on the unusual
 * path). `bench/decode_alloc.ts` measures what each path allocates, and
 * `tests/events/byte_decoder_bench.ts` their speed.
 *
 * @module
 */

import type { EventValidationError } from "./errors.ts";
import { type DecodeResult, MAX_ID_LENGTH, MAX_URL_LENGTH, tryDecodeEvents } from "./schema.ts";
import { ACTIONS, MAX_RECORD_BYTES, MAX_TIMESTAMP, MIN_TIMESTAMP, type WireEvent } from "./wire.ts";
import { fnv1a32, FNV1A_OFFSET, FNV1A_PRIME } from "../util/fnv1a.ts";
import { encodeWtf8Into } from "../util/wtf8.ts";

/** Row status: decoded by the fast path; fields in the columns, strings in the record's bytes. */
export const ROW_FAST = 0;
/** Row status: the fast path declined it; only seen between the fast pass and the fallback. */
export const ROW_NEEDS_FALLBACK = 1;
/** Row status: valid, decoded by the full path; strings re-encoded into the batch's arena. */
export const ROW_FALLBACK_VALID = 2;
/** Row status: not a valid event; {@linkcode DecodedBatch.error} has the full path's error. */
export const ROW_INVALID = 3;

/** One of the `ROW_*` constants. */
export type RowStatus =
  | typeof ROW_FAST
  | typeof ROW_NEEDS_FALLBACK
  | typeof ROW_FALLBACK_VALID
  | typeof ROW_INVALID;

/** The action column's code of a purchase (its index in `ACTIONS`). */
export const ACTION_PURCHASE_CODE: number = ACTIONS.indexOf("purchase");

const K_USER_ID = 0, K_URL = 1, K_ACTION = 2, K_SESSION_ID = 3, K_TIMESTAMP = 4, K_AMOUNT = 5;
const REQUIRED = (1 << K_USER_ID) | (1 << K_URL) | (1 << K_ACTION) | (1 << K_SESSION_ID) |
  (1 << K_TIMESTAMP);

const SPACE = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d;
const QUOTE = 0x22, BACKSLASH = 0x5c, COLON = 0x3a, COMMA = 0x2c, DOT = 0x2e;
const OPEN = 0x7b, CLOSE = 0x7d, ZERO = 0x30, ONE = 0x31, NINE = 0x39;

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const KEY_USER_ID = ascii("user_id");
const KEY_URL = ascii("url");
const KEY_ACTION = ascii("action");
const KEY_SESSION_ID = ascii("session_id");
const KEY_TIMESTAMP = ascii("timestamp");
const KEY_AMOUNT = ascii("amount");
const ACTION_BYTES = ACTIONS.map(ascii);
/** Exact powers of ten, 10^0 .. 10^22 (all exact doubles). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

// The scanners below return the index after what they read, or -1, and write the value they
// read straight into its column: a number kept in a module variable would be boxed (a heap
// number per event), an element of a typed array is not.

function skipWs(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i];
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
    i++;
  }
  return i;
}

/** Per byte, inside a string: 0 a plain character, 1 the closing quote, 2 anything else. */
const STRING_CLASS = Uint8Array.from(
  { length: 256 },
  (_, c) => c === QUOTE ? 1 : c === BACKSLASH || c < SPACE || c > 0x7f ? 2 : 0,
);

/** Scans a plain string's body from `i` (just after the opening quote) to its closing quote. */
function scanString(b: Uint8Array, i: number, n: number): number {
  const cls = STRING_CLASS;
  while (i < n) {
    const k = cls[b[i]];
    if (k !== 0) return k === 1 ? i : -1;
    i++;
  }
  return -1;
}

/** {@linkcode scanString} that also writes the FNV-1a hash of the body to `out[row]`. */
function scanHashedString(
  b: Uint8Array,
  i: number,
  n: number,
  out: Uint32Array,
  row: number,
): number {
  const cls = STRING_CLASS;
  let h = FNV1A_OFFSET;
  while (i < n) {
    const c = b[i];
    const k = cls[c];
    if (k !== 0) {
      if (k !== 1) return -1;
      out[row] = h;
      return i;
    }
    h = Math.imul(h ^ c, FNV1A_PRIME);
    i++;
  }
  return -1;
}

/**
 * A positive integer without sign, fraction, exponent or leading zero, at most 16 digits,
 * written to `out[row]`.
 */
function scanInteger(b: Uint8Array, i: number, n: number, out: Float64Array, row: number): number {
  if (i >= n) return -1;
  let c = b[i];
  if (c < ONE || c > NINE) return -1;
  let v = c - ZERO;
  const limit = i + 16;
  for (i++; i < n; i++) {
    c = b[i];
    if (c < ZERO || c > NINE) break;
    if (i === limit) return -1;
    v = v * 10 + (c - ZERO);
  }
  // Exact when the true value is at most MAX_SAFE_INTEGER; otherwise the rounded value is at
  // least 2^53, which every caller's range check rejects.
  out[row] = v;
  return i;
}

/**
 * `int` or `int.frac` with at most 16 digits whose value is exactly `M / 10^f`, `0 < M < 2^53`,
 * written to `out[row]`.
 */
function scanAmount(b: Uint8Array, i: number, n: number, out: Float64Array, row: number): number {
  if (i >= n) return -1;
  let c = b[i];
  let m = 0;
  let digits = 1;
  if (c === ZERO) {
    i++;
    if (i < n && b[i] >= ZERO && b[i] <= NINE) return -1; // a leading zero: not JSON
  } else if (c >= ONE && c <= NINE) {
    m = c - ZERO;
    for (i++; i < n; i++) {
      c = b[i];
      if (c < ZERO || c > NINE) break;
      if (++digits > 16) return -1;
      m = m * 10 + (c - ZERO);
    }
  } else {
    return -1;
  }
  let frac = 0;
  if (i < n && b[i] === DOT) {
    for (i++; i < n; i++) {
      c = b[i];
      if (c < ZERO || c > NINE) break;
      if (++digits > 16) return -1;
      m = m * 10 + (c - ZERO);
      frac++;
    }
    if (frac === 0) return -1; // "1." is not JSON
  }
  if (m === 0 || m > Number.MAX_SAFE_INTEGER) return -1;
  out[row] = frac === 0 ? m : m / POW10[frac];
  return i;
}

function equalBytes(b: Uint8Array, start: number, literal: Uint8Array): boolean {
  for (let k = 0; k < literal.length; k++) if (b[start + k] !== literal[k]) return false;
  return true;
}

/** Whether `b[i ..]` is `literal` then the closing quote (`literal`: plain, no quote). */
function keyThenQuote(b: Uint8Array, i: number, n: number, literal: Uint8Array): boolean {
  const len = literal.length;
  if (i + len >= n || b[i + len] !== QUOTE) return false;
  for (let k = 0; k < len; k++) if (b[i + k] !== literal[k]) return false;
  return true;
}

/**
 * The key id of the key whose body starts at `b[i]` (just after its opening quote), or -1: the
 * known key whose bytes are followed by the closing quote there. The same answer as scanning the
 * string to its closing quote ({@linkcode scanString}) and then comparing the body with each
 * known key of its length — a body that is exactly a known key is plain and ends at that quote —
 * in one pass over the key.
 */
function keyAt(b: Uint8Array, i: number, n: number): number {
  if (i >= n) return -1;
  switch (b[i]) {
    case 0x75: // u
      if (keyThenQuote(b, i, n, KEY_USER_ID)) return K_USER_ID;
      return keyThenQuote(b, i, n, KEY_URL) ? K_URL : -1;
    case 0x61: // a
      if (keyThenQuote(b, i, n, KEY_ACTION)) return K_ACTION;
      return keyThenQuote(b, i, n, KEY_AMOUNT) ? K_AMOUNT : -1;
    case 0x73: // s
      return keyThenQuote(b, i, n, KEY_SESSION_ID) ? K_SESSION_ID : -1;
    case 0x74: // t
      return keyThenQuote(b, i, n, KEY_TIMESTAMP) ? K_TIMESTAMP : -1;
    default:
      return -1;
  }
}

/** The key lengths by key id. */
const KEY_LENGTH = [KEY_USER_ID, KEY_URL, KEY_ACTION, KEY_SESSION_ID, KEY_TIMESTAMP, KEY_AMOUNT]
  .map((k) => k.length);

/** The action code of the plain string `b[start .. start + len)`, or -1. */
function actionCode(b: Uint8Array, start: number, len: number): number {
  // click 5, view 4, scroll 6, purchase 8: the lengths tell them apart.
  const code = len === 5 ? 0 : len === 4 ? 1 : len === 6 ? 2 : len === 8 ? 3 : -1;
  return code >= 0 && equalBytes(b, start, ACTION_BYTES[code]) ? code : -1;
}

/**
 * The fast path for one record value: when the record is in the plain form of the module doc,
 * writes its fields into row `row` of `batch` (which must be below `batch.capacity`), sets the
 * row's status to {@linkcode ROW_FAST} and returns `true`; otherwise sets it to
 * {@linkcode ROW_NEEDS_FALLBACK} and returns `false` (the columns of the row are then
 * unspecified). `bytes` may be any view (any `byteOffset`); offsets written are indices into it.
 * Allocates nothing. {@linkcode DecodedBatch.decode} is the entry point that also settles the
 * fallback rows.
 */
export function decodeRecord(
  bytes: Uint8Array | null | undefined,
  batch: DecodedBatch,
  row: number,
): boolean {
  if (bytes === null || bytes === undefined) {
    batch.status[row] = ROW_NEEDS_FALLBACK;
    return false;
  }
  return decodeRecordIn(bytes, 0, bytes.length, batch, row);
}

/**
 * {@linkcode decodeRecord} of the value `b[start .. end)` (one of many in a shared buffer): the
 * offsets written are indices into `b`. Allocates nothing.
 */
function decodeRecordIn(
  b: Uint8Array,
  start: number,
  end: number,
  batch: DecodedBatch,
  row: number,
): boolean {
  const status = batch.status;
  status[row] = ROW_NEEDS_FALLBACK;
  const n = end;
  if (n - start > MAX_RECORD_BYTES) return false;
  let i = skipWs(b, start, n);
  if (i >= n || b[i] !== OPEN) return false;
  i = skipWs(b, i + 1, n);
  let seen = 0;
  let action = -1;
  for (;;) {
    if (i >= n || b[i] !== QUOTE) return false;
    const key = keyAt(b, i + 1, n);
    if (key < 0) return false;
    const keyEnd = i + 1 + KEY_LENGTH[key];
    const bit = 1 << key;
    if ((seen & bit) !== 0) return false;
    seen |= bit;
    i = skipWs(b, keyEnd + 1, n);
    if (i >= n || b[i] !== COLON) return false;
    i = skipWs(b, i + 1, n);
    if (i >= n) return false;
    switch (key) {
      case K_USER_ID: {
        const userId = batch.userId;
        i = scanInteger(b, i, n, userId, row);
        if (i < 0 || userId[row] > Number.MAX_SAFE_INTEGER) return false;
        break;
      }
      case K_TIMESTAMP: {
        const timestamp = batch.timestamp;
        i = scanInteger(b, i, n, timestamp, row);
        if (i < 0 || timestamp[row] < MIN_TIMESTAMP || timestamp[row] > MAX_TIMESTAMP) {
          return false;
        }
        break;
      }
      case K_AMOUNT:
        i = scanAmount(b, i, n, batch.amount, row);
        if (i < 0) return false;
        break;
      case K_URL: {
        if (b[i] !== QUOTE) return false;
        const end = scanString(b, i + 1, n);
        const len = end - i - 1;
        if (end < 0 || len < 1 || len > MAX_URL_LENGTH) return false;
        batch.urlStart[row] = i + 1;
        batch.urlLength[row] = len;
        i = end + 1;
        break;
      }
      case K_SESSION_ID: {
        if (b[i] !== QUOTE) return false;
        const end = scanHashedString(b, i + 1, n, batch.sessionHash, row);
        const len = end - i - 1;
        if (end < 0 || len < 1 || len > MAX_ID_LENGTH) return false;
        batch.sessionStart[row] = i + 1;
        batch.sessionLength[row] = len;
        i = end + 1;
        break;
      }
      default: { // K_ACTION
        if (b[i] !== QUOTE) return false;
        const end = scanString(b, i + 1, n);
        if (end < 0) return false;
        action = actionCode(b, i + 1, end - i - 1);
        if (action < 0) return false;
        i = end + 1;
      }
    }
    i = skipWs(b, i, n);
    if (i >= n) return false;
    const c = b[i];
    if (c === COMMA) {
      i = skipWs(b, i + 1, n);
    } else if (c === CLOSE) {
      break;
    } else {
      return false;
    }
  }
  if (skipWs(b, i + 1, n) !== n) return false;
  if ((seen & REQUIRED) !== REQUIRED) return false;
  const hasAmount = (seen & (1 << K_AMOUNT)) !== 0;
  if (action === ACTION_PURCHASE_CODE) {
    if (!hasAmount) return false;
  } else {
    if (hasAmount) return false;
    batch.amount[row] = NaN;
  }
  batch.action[row] = action;
  status[row] = ROW_FAST;
  return true;
}

/** Options of {@linkcode DecodedBatch}. */
export interface DecodedBatchOptions {
  /**
   * Rows preallocated; a larger batch grows the columns (amortized).
   *
   * @default {1024}
   */
  capacity?: number;
}

const latin1 = new TextDecoder("latin1");

/** What a batch of {@linkcode DecodedBatch.decodeIn} has as its values: none of its own. */
const NO_VALUES: readonly Uint8Array[] = Object.freeze([]);

/**
 * The reusable, columnar output of the decoder: one row per record value of the last
 * {@linkcode DecodedBatch.decode} call, in order. Columns are typed arrays of `capacity` rows
 * (read rows `0 .. length - 1`); they are replaced when the batch grows, so fetch them after
 * `decode`. A batch refers to the record values it decoded (the offsets point into them) until
 * the next `decode`: do not modify them meanwhile.
 *
 * @example Columns of a batch of record values
 * ```ts
 * import assert from "node:assert/strict";
 * import { ACTION_PURCHASE_CODE, DecodedBatch, ROW_FAST, ROW_INVALID } from "./byte_decoder.ts";
 *
 * const text = new TextEncoder();
 * const values = [
 *   text.encode(
 *     '{"user_id":7,"url":"/cart","action":"purchase","session_id":"s1",' +
 *       '"timestamp":1764000000,"amount":19.99}',
 *   ),
 *   text.encode('{"user_id":7}'),
 * ];
 * const batch = new DecodedBatch().decode(values);
 * assert.equal(batch.length, 2);
 *
 * assert.equal(batch.status[0], ROW_FAST);
 * assert.equal(batch.action[0], ACTION_PURCHASE_CODE);
 * assert.equal(batch.amount[0], 19.99);
 * const start = batch.sessionStart[0];
 * const key = batch.bytes(0).subarray(start, start + batch.sessionLength[0]); // no copy
 * assert.equal(new TextDecoder().decode(key), "s1");
 *
 * assert.equal(batch.status[1], ROW_INVALID);
 * assert.equal(batch.error(1)?.reason, "missing_field");
 * ```
 */
export class DecodedBatch {
  #length = 0;
  #capacity: number;
  #status: Uint8Array;
  #userId: Float64Array;
  #action: Uint8Array;
  #timestamp: Float64Array;
  #amount: Float64Array;
  #urlStart: Int32Array;
  #urlLength: Int32Array;
  #sessionStart: Int32Array;
  #sessionLength: Int32Array;
  #sessionHash: Uint32Array;
  #values: readonly (Uint8Array | null | undefined)[] = [];
  /** The one buffer of the last {@linkcode DecodedBatch.decodeIn}'s values, else `null`. */
  #buffer: Uint8Array | null = null;
  #arena = new Uint8Array(4096);
  #arenaUsed = 0;
  /** The full path's result of each fallback row (undefined elsewhere). */
  #side: (DecodeResult | undefined)[] = [];
  #sideRows: number[] = [];
  #fast = 0;
  #invalid = 0;

  /**
   * Creates an empty batch.
   *
   * @param options See {@linkcode DecodedBatchOptions}.
   * @throws {RangeError} when `capacity` is not a positive integer
   */
  constructor(options: DecodedBatchOptions = {}) {
    const capacity = options.capacity ?? 1024;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot create a DecodedBatch with capacity ${capacity}: expected a positive integer.`,
      );
    }
    this.#capacity = capacity;
    this.#status = new Uint8Array(capacity);
    this.#userId = new Float64Array(capacity);
    this.#action = new Uint8Array(capacity);
    this.#timestamp = new Float64Array(capacity);
    this.#amount = new Float64Array(capacity);
    this.#urlStart = new Int32Array(capacity);
    this.#urlLength = new Int32Array(capacity);
    this.#sessionStart = new Int32Array(capacity);
    this.#sessionLength = new Int32Array(capacity);
    this.#sessionHash = new Uint32Array(capacity);
  }

  /** Rows of the last `decode`. */
  get length(): number {
    return this.#length;
  }
  /** Rows the columns hold without growing. */
  get capacity(): number {
    return this.#capacity;
  }
  /** Rows of the last `decode` taken by the fast path. */
  get fastCount(): number {
    return this.#fast;
  }
  /** Rows of the last `decode` that went to the full path (valid or not). */
  get fallbackCount(): number {
    return this.#length - this.#fast;
  }
  /** Rows of the last `decode` that are not valid events. */
  get invalidCount(): number {
    return this.#invalid;
  }

  /** Per row, one of the `ROW_*` constants. */
  get status(): Uint8Array {
    return this.#status;
  }
  /** Per valid row, `user_id`. */
  get userId(): Float64Array {
    return this.#userId;
  }
  /** Per valid row, the action's index in `ACTIONS` (click 0, view 1, scroll 2, purchase 3). */
  get action(): Uint8Array {
    return this.#action;
  }
  /** Per valid row, `timestamp` (epoch seconds). */
  get timestamp(): Float64Array {
    return this.#timestamp;
  }
  /** Per valid row, `amount`, or `NaN` when the event has none. */
  get amount(): Float64Array {
    return this.#amount;
  }
  /** Per valid row, where `url` starts in {@linkcode DecodedBatch.bytes}. */
  get urlStart(): Int32Array {
    return this.#urlStart;
  }
  /** Per valid row, the length of `url`'s bytes. */
  get urlLength(): Int32Array {
    return this.#urlLength;
  }
  /** Per valid row, where `session_id` starts in {@linkcode DecodedBatch.bytes}. */
  get sessionStart(): Int32Array {
    return this.#sessionStart;
  }
  /** Per valid row, the length of `session_id`'s bytes. */
  get sessionLength(): Int32Array {
    return this.#sessionLength;
  }
  /** Per valid row, FNV-1a 32 of `session_id`'s bytes (`src/util/fnv1a.ts`). */
  get sessionHash(): Uint32Array {
    return this.#sessionHash;
  }

  /**
   * Decodes `values` into rows `0 .. values.length - 1`: the fast path for each, then one
   * `tryDecodeEvents` call for the rows it declined, whose results (valid or the
   * `EventValidationError`) are exactly that function's. Allocates nothing per fast row (the
   * columns grow, amortized, when `values` is longer than the capacity). Returns this batch.
   */
  decode(values: readonly (Uint8Array | null | undefined)[]): this {
    const n = values.length;
    if (n > this.#capacity) this.#grow(n);
    this.#begin(values, n);
    let fallbackRows: number[] | undefined;
    let fallbackValues: (Uint8Array | null | undefined)[] | undefined;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (!decodeRecord(v, this, i)) {
        if (fallbackRows === undefined) {
          fallbackRows = [];
          fallbackValues = [];
        }
        fallbackRows.push(i);
        fallbackValues!.push(v);
      }
    }
    this.#settleAll(n, fallbackRows, fallbackValues);
    return this;
  }

  /** Forgets the last decode's side results; the next one is of `values` (`n` rows). */
  #begin(values: readonly (Uint8Array | null | undefined)[], n: number): void {
    const sideRows = this.#sideRows;
    for (let k = 0; k < sideRows.length; k++) this.#side[sideRows[k]] = undefined;
    this.#sideRows.length = 0;
    this.#values = values;
    this.#buffer = null;
    this.#length = n;
    this.#arenaUsed = 0;
  }

  /** The full path for the rows the fast one declined (one call for them all). */
  #settleAll(
    n: number,
    fallbackRows: number[] | undefined,
    fallbackValues: (Uint8Array | null | undefined)[] | undefined,
  ): void {
    this.#fast = n;
    this.#invalid = 0;
    if (fallbackRows !== undefined) {
      this.#fast = n - fallbackRows.length;
      const results = tryDecodeEvents(fallbackValues!);
      for (let k = 0; k < fallbackRows.length; k++) this.#settle(fallbackRows[k], results[k]);
    }
  }

  /**
   * {@linkcode DecodedBatch.decode} of `n` record values that lie in one buffer: row `i` is
   * `buffer[start[from + i] .. start[from + i] + length[from + i])`, or a missing value (a
   * tombstone) when that length is negative. A fast row's offsets are indices into `buffer`
   * (its {@linkcode DecodedBatch.bytes}); no view is made per record but for the rows the fast
   * path declines. The batch refers to `buffer` until the next decode. Returns this batch.
   */
  decodeIn(
    buffer: Uint8Array,
    start: Int32Array,
    length: Int32Array,
    from: number,
    n: number,
  ): this {
    if (n > this.#capacity) this.#grow(n);
    this.#begin(NO_VALUES, n);
    this.#buffer = buffer;
    let fallbackRows: number[] | undefined;
    let fallbackValues: (Uint8Array | null)[] | undefined;
    for (let i = 0; i < n; i++) {
      const at = start[from + i], len = length[from + i];
      if (len >= 0 && decodeRecordIn(buffer, at, at + len, this, i)) continue;
      this.#status[i] = ROW_NEEDS_FALLBACK;
      if (fallbackRows === undefined) {
        fallbackRows = [];
        fallbackValues = [];
      }
      fallbackRows.push(i);
      fallbackValues!.push(len < 0 ? null : buffer.subarray(at, at + len));
    }
    this.#settleAll(n, fallbackRows, fallbackValues);
    return this;
  }

  /**
   * The bytes that row `row`'s `urlStart` / `sessionStart` index: the record value itself (or
   * the buffer of {@linkcode DecodedBatch.decodeIn}) for a fast row, the batch's arena for a
   * valid fallback row. No allocation.
   * @throws {RangeError} when the row is not a valid event of the last `decode`
   */
  bytes(row: number): Uint8Array {
    const s = this.#checkValid(row);
    return s === ROW_FAST ? this.#buffer ?? this.#values[row]! : this.#arena;
  }

  /** Whether row `row` is a valid event (fast or fallback). */
  isValid(row: number): boolean {
    if (!(row >= 0 && row < this.#length)) return false;
    const s = this.#status[row];
    return s === ROW_FAST || s === ROW_FALLBACK_VALID;
  }

  /** The full path's error of an invalid row, else `undefined`. */
  error(row: number): EventValidationError | undefined {
    if (!(row >= 0 && row < this.#length)) return undefined;
    const r = this.#side[row];
    return r !== undefined && !r.ok ? r.error : undefined;
  }

  /**
   * Row `row`'s `url` as a string (allocates: for logs, side outputs and tests).
   * @throws {RangeError} when the row is not a valid event of the last `decode`
   */
  url(row: number): string {
    if (this.#checkValid(row) === ROW_FAST) {
      const start = this.#urlStart[row];
      const bytes = this.#buffer ?? this.#values[row]!;
      return latin1.decode(bytes.subarray(start, start + this.#urlLength[row]));
    }
    return (this.#side[row] as { event: WireEvent }).event.url;
  }

  /**
   * Row `row`'s `session_id` as a string (allocates: for logs, side outputs and tests).
   * @throws {RangeError} when the row is not a valid event of the last `decode`
   */
  sessionId(row: number): string {
    if (this.#checkValid(row) === ROW_FAST) {
      const start = this.#sessionStart[row];
      const bytes = this.#buffer ?? this.#values[row]!;
      return latin1.decode(bytes.subarray(start, start + this.#sessionLength[row]));
    }
    return (this.#side[row] as { event: WireEvent }).event.session_id;
  }

  /**
   * Row `row` as a fresh {@linkcode WireEvent}, equal to what `tryDecodeEvent` gives for the
   * record (allocates).
   * @throws {RangeError} when the row is not a valid event of the last `decode`
   */
  event(row: number): WireEvent {
    const fields = {
      user_id: this.#userId[row],
      url: this.url(row),
      session_id: this.sessionId(row),
      timestamp: this.#timestamp[row],
    };
    const action = ACTIONS[this.#action[row]];
    return action === "purchase"
      ? { ...fields, action, amount: this.#amount[row] }
      : { ...fields, action };
  }

  /** The status of a valid row, or a RangeError naming the row. */
  #checkValid(row: number): number {
    if (!(row >= 0 && row < this.#length)) {
      throw new RangeError(`Row ${row} is not in the batch: it has ${this.#length} rows.`);
    }
    const s = this.#status[row];
    if (s !== ROW_FAST && s !== ROW_FALLBACK_VALID) {
      throw new RangeError(`Row ${row} is not a valid event (status ${s}).`);
    }
    return s;
  }

  #settle(row: number, result: DecodeResult): void {
    this.#side[row] = result;
    this.#sideRows.push(row);
    if (!result.ok) {
      this.#status[row] = ROW_INVALID;
      this.#invalid++;
      this.#userId[row] = NaN;
      this.#timestamp[row] = NaN;
      this.#amount[row] = NaN;
      this.#urlStart[row] = this.#urlLength[row] = 0;
      this.#sessionStart[row] = this.#sessionLength[row] = this.#sessionHash[row] = 0;
      return;
    }
    const e = result.event;
    this.#status[row] = ROW_FALLBACK_VALID;
    this.#userId[row] = e.user_id;
    this.#action[row] = ACTIONS.indexOf(e.action);
    this.#timestamp[row] = e.timestamp;
    this.#amount[row] = e.amount ?? NaN;
    this.#urlStart[row] = this.#arenaUsed;
    this.#urlLength[row] = this.#append(e.url);
    const start = this.#arenaUsed;
    const len = this.#append(e.session_id);
    this.#sessionStart[row] = start;
    this.#sessionLength[row] = len;
    this.#sessionHash[row] = fnv1a32(this.#arena, start, len);
  }

  /** Appends `s` to the arena as WTF-8 (see the module doc); returns its length in bytes. */
  #append(s: string): number {
    const need = this.#arenaUsed + 3 * s.length;
    if (need > this.#arena.length) {
      const arena = new Uint8Array(Math.max(need, 2 * this.#arena.length));
      arena.set(this.#arena.subarray(0, this.#arenaUsed));
      this.#arena = arena;
    }
    const len = encodeWtf8Into(s, this.#arena, this.#arenaUsed);
    this.#arenaUsed += len;
    return len;
  }

  /** Columns for at least `rows` rows; the old contents are not kept (decode rewrites them). */
  #grow(rows: number): void {
    const cap = Math.max(rows, 2 * this.#capacity);
    this.#status = new Uint8Array(cap);
    this.#userId = new Float64Array(cap);
    this.#action = new Uint8Array(cap);
    this.#timestamp = new Float64Array(cap);
    this.#amount = new Float64Array(cap);
    this.#urlStart = new Int32Array(cap);
    this.#urlLength = new Int32Array(cap);
    this.#sessionStart = new Int32Array(cap);
    this.#sessionLength = new Int32Array(cap);
    this.#sessionHash = new Uint32Array(cap);
    this.#capacity = cap;
  }
}
