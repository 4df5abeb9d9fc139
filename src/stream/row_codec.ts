/**
 * The feature log's record format: a run of rows of a {@linkcode RowBatch} packed into ONE
 * Kafka record value, and back. Versioned binary, little-endian, self-describing:
 *
 * ```
 * header (32 bytes)
 *   0  u32  magic "CSRW" (0x43 0x53 0x52 0x57)
 *   4  u16  format version (1)
 *   6  u16  reserved, 0
 *   8  u32  feature-set id
 *  12  u32  denseWidth (w)
 *  16  u32  sparseWidth
 *  20  u32  rows (n)
 *  24  u32  sparse entries (s)
 *  28  u32  session-id bytes (b)
 * columns, widest first, so that each starts aligned to its element size
 *   f64 × n   offset, eventTime, amount, userId, truth (each a column of n)
 *   f64 × n·w dense, row-major
 *   f64 × s   sparse values
 *   i32 × n   partition
 *   u32 × n   sparse extents: the end of each row's entries, counted from this record's first
 *   u32 × s   sparse indices
 *   u32 × n   session-id lengths in bytes
 *   u8  × n   kind, action, reason (each a column of n)
 *   u8  × b   the session ids, UTF-8, one after the other (each one's length is above)
 * ```
 *
 * The size is exact: `32 + 8·(5n + n·w + s) + 4·(3n + s) + 3n + b`. Values are copied bit for
 * bit (the `Float64` numbers the featurize stage computed, `NaN` payloads included on this
 * platform). The columns are ordered by width rather than as the row's table lists them, so a
 * decoder copies each column with one typed-array `set`; the session ids are length-prefixed as a
 * column of lengths ahead of their bytes, for the same reason.
 *
 * Decoding appends to a reusable {@linkcode RowBatch} (no object per row besides the session-id
 * strings) and refuses, with a {@linkcode RowCodecError} naming both values, a record of an
 * unknown format version or of another feature set or widths than the batch's, and a record
 * whose length or extents do not add up. The layout's arithmetic and the column copies are in
 * `row_layout.ts`.
 *
 * @module
 */

import type { RowBatch } from "./row_batch.ts";
import {
  layout,
  put,
  ROW_FORMAT_VERSION,
  ROW_HEADER_BYTES,
  ROW_MAGIC,
  rowBytes,
  take,
  utf8Length,
} from "./row_layout.ts";

export { ROW_FORMAT_VERSION, ROW_HEADER_BYTES, ROW_MAGIC } from "./row_layout.ts";

/** What a {@linkcode RowCodecError} is about. */
export type RowCodecField =
  | "magic"
  | "version"
  | "featureSet"
  | "denseWidth"
  | "sparseWidth"
  | "length"
  | "sparse"
  | "sessions";

/** A record that is not rows this decoder can read into the batch given; names what and why. */
export class RowCodecError extends Error {
  /** What disagrees. */
  readonly field: RowCodecField;
  /** The record's value of it. */
  readonly actual: number;
  /** The value expected. */
  readonly expected: number;
  /** Creates the error. */
  constructor(field: RowCodecField, actual: number, expected: number, message: string) {
    super(`Cannot decode a feature-log record: ${message}`);
    this.name = "RowCodecError";
    this.field = field;
    this.actual = actual;
    this.expected = expected;
  }
}

/** Bounds of the records {@linkcode packRows} makes. */
export interface PackOptions {
  /** Rows per record at most. Default `2000`. */
  maxRows?: number;
  /** Bytes per record at most (a single larger row gets a record of its own). Default `262144`. */
  maxBytes?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Packs rows `[start, end)` of `rows` into one record value (see the module documentation).
 *
 * @throws {RangeError} if the range is not within the batch
 */
export function encodeRows(rows: RowBatch, start = 0, end: number = rows.length): Uint8Array {
  if (
    !(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end &&
      end <= rows.length)
  ) {
    throw new RangeError(
      `Cannot encode rows ${start} .. ${end} of a batch of ${rows.length}: not a range within it.`,
    );
  }
  const n = end - start;
  const w = rows.denseWidth;
  const sparseBase = start === 0 ? 0 : rows.sparseEnd[start - 1];
  const sparseTop = n === 0 ? sparseBase : rows.sparseEnd[end - 1];
  const s = sparseTop - sparseBase;
  const lengths = new Uint32Array(n);
  let b = 0;
  for (let i = 0; i < n; i++) b += lengths[i] = utf8Length(rows.sessionId[start + i]);
  const l = layout(n, w, s, b);
  const bytes = new Uint8Array(l.total);
  const header = new DataView(bytes.buffer);
  header.setUint32(0, ROW_MAGIC, true);
  header.setUint16(4, ROW_FORMAT_VERSION, true);
  header.setUint32(8, rows.featureSet, true);
  header.setUint32(12, w, true);
  header.setUint32(16, rows.sparseWidth, true);
  header.setUint32(20, n, true);
  header.setUint32(24, s, true);
  header.setUint32(28, b, true);
  put(bytes, l.offset, rows.offset.subarray(start, end));
  put(bytes, l.eventTime, rows.eventTime.subarray(start, end));
  put(bytes, l.amount, rows.amount.subarray(start, end));
  put(bytes, l.userId, rows.userId.subarray(start, end));
  put(bytes, l.truth, rows.truth.subarray(start, end));
  put(bytes, l.dense, rows.dense.subarray(start * w, end * w));
  put(bytes, l.sparseValue, rows.sparseValue.subarray(sparseBase, sparseTop));
  put(bytes, l.partition, rows.partition.subarray(start, end));
  const extents = new Uint32Array(n);
  for (let i = 0; i < n; i++) extents[i] = rows.sparseEnd[start + i] - sparseBase;
  put(bytes, l.sparseEnd, extents);
  put(bytes, l.sparseIndex, rows.sparseIndex.subarray(sparseBase, sparseTop));
  put(bytes, l.sessionLength, lengths);
  bytes.set(rows.kind.subarray(start, end), l.kind);
  bytes.set(rows.action.subarray(start, end), l.action);
  bytes.set(rows.reason.subarray(start, end), l.reason);
  let at = l.sessions;
  for (let i = 0; i < n; i++) {
    const id = rows.sessionId[start + i];
    const len = lengths[i];
    if (len === id.length) {
      for (let k = 0; k < len; k++) bytes[at + k] = id.charCodeAt(k);
    } else {
      encoder.encodeInto(id, bytes.subarray(at, at + len));
    }
    at += len;
  }
  return bytes;
}

/**
 * Packs all rows of `rows` into as few records as the bounds allow, in order: each record holds
 * a run of consecutive rows, at most `maxRows` of them and at most `maxBytes` bytes.
 *
 * @throws {RangeError} on a bound that is not an integer ≥ 1 (`maxBytes` ≥ the header)
 */
export function packRows(rows: RowBatch, options: PackOptions = {}): Uint8Array[] {
  const maxRows = options.maxRows ?? 2000;
  const maxBytes = options.maxBytes ?? 262_144;
  if (!Number.isInteger(maxRows) || maxRows < 1) {
    throw new RangeError(`Cannot pack rows with maxRows ${maxRows}: expected an integer ≥ 1.`);
  }
  if (!Number.isInteger(maxBytes) || maxBytes <= ROW_HEADER_BYTES) {
    throw new RangeError(
      `Cannot pack rows with maxBytes ${maxBytes}: expected an integer > ${ROW_HEADER_BYTES}.`,
    );
  }
  const out: Uint8Array[] = [];
  let start = 0;
  let bytes = ROW_HEADER_BYTES;
  for (let i = 0; i < rows.length; i++) {
    const size = rowBytes(rows, i);
    if (i > start && (i - start >= maxRows || bytes + size > maxBytes)) {
      out.push(encodeRows(rows, start, i));
      start = i;
      bytes = ROW_HEADER_BYTES;
    }
    bytes += size;
  }
  if (rows.length > start) out.push(encodeRows(rows, start, rows.length));
  return out;
}

/** The number of rows a record holds, read from its header (0 if it has no header). */
export function rowCount(bytes: Uint8Array): number {
  if (bytes.byteLength < ROW_HEADER_BYTES) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(20, true);
}

let scratch = new Uint8Array(0);

/** `bytes` itself when 8-aligned, else a copy in a reused aligned buffer. */
function aligned(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset % 8 === 0) return bytes;
  if (scratch.byteLength < bytes.byteLength) {
    scratch = new Uint8Array(Math.max(bytes.byteLength, scratch.byteLength * 2));
  }
  scratch.set(bytes);
  return scratch.subarray(0, bytes.byteLength);
}

/**
 * The session ids of a record: one string of them all when they are ASCII (slice it by the
 * lengths), else one string each.
 *
 * @throws {RowCodecError} when they are not UTF-8
 */
function sessionIds(bytes: Uint8Array, lengths: Uint32Array): string | string[] {
  try {
    const all = decoder.decode(bytes);
    if (all.length === bytes.byteLength) return all;
    const ids: string[] = [];
    for (let i = 0, from = 0; i < lengths.length; i++) {
      ids.push(decoder.decode(bytes.subarray(from, from += lengths[i])));
    }
    return ids;
  } catch (cause) {
    if (!(cause instanceof TypeError)) throw cause;
    throw new RowCodecError(
      "sessions",
      bytes.byteLength,
      bytes.byteLength,
      `its session ids are not UTF-8 (${cause.message}).`,
    );
  }
}

/**
 * Appends the rows of one record to `into` and returns how many it held.
 *
 * @throws {RowCodecError} if the record is not of this format version, not of `into`'s
 *   feature set and widths, or its length or extents do not add up (`into` is then unchanged)
 */
export function decodeRows(record: Uint8Array, into: RowBatch): number {
  if (record.byteLength < ROW_HEADER_BYTES) {
    throw new RowCodecError(
      "length",
      record.byteLength,
      ROW_HEADER_BYTES,
      `it is ${record.byteLength} bytes, shorter than the ${ROW_HEADER_BYTES}-byte header.`,
    );
  }
  const bytes = aligned(record);
  const h = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = h.getUint32(0, true);
  if (magic !== ROW_MAGIC) {
    throw new RowCodecError(
      "magic",
      magic,
      ROW_MAGIC,
      `it starts with 0x${magic.toString(16)}, not the rows' magic "CSRW" (0x${
        ROW_MAGIC.toString(16)
      }).`,
    );
  }
  const version = h.getUint16(4, true);
  if (version !== ROW_FORMAT_VERSION) {
    throw new RowCodecError(
      "version",
      version,
      ROW_FORMAT_VERSION,
      `format version ${version}; this program reads version ${ROW_FORMAT_VERSION}.`,
    );
  }
  const checks = [
    ["featureSet", h.getUint32(8, true), into.featureSet, "feature set"],
    ["denseWidth", h.getUint32(12, true), into.denseWidth, "dense width"],
    ["sparseWidth", h.getUint32(16, true), into.sparseWidth, "sparse width"],
  ] as const;
  for (const [field, actual, expected, what] of checks) {
    if (actual !== expected) {
      throw new RowCodecError(
        field,
        actual,
        expected,
        `its rows are of ${what} ${actual}, this learner's of ${what} ${expected} (feature set ${into.featureSet}, dense width ${into.denseWidth}, sparse width ${into.sparseWidth}).`,
      );
    }
  }
  const n = h.getUint32(20, true);
  const s = h.getUint32(24, true);
  const b = h.getUint32(28, true);
  const l = layout(n, into.denseWidth, s, b);
  if (l.total !== bytes.byteLength) {
    throw new RowCodecError(
      "length",
      bytes.byteLength,
      l.total,
      `it is ${bytes.byteLength} bytes, its header (${n} rows, ${s} sparse entries, ${b} session-id bytes) says ${l.total}.`,
    );
  }
  const extents = new Uint32Array(n);
  take(bytes, l.sparseEnd, n, extents, 0);
  for (let i = 0, last = 0; i < n; i++) {
    if (extents[i] < last || extents[i] > s) {
      throw new RowCodecError(
        "sparse",
        extents[i],
        s,
        `row ${i}'s sparse extent ends at ${extents[i]}, outside ${last} .. ${s}.`,
      );
    }
    last = extents[i];
  }
  if (n > 0 && extents[n - 1] !== s) {
    throw new RowCodecError(
      "sparse",
      extents[n - 1],
      s,
      `the last row's sparse extent ends at ${extents[n - 1]}, the header says ${s} entries.`,
    );
  }
  const lengths = new Uint32Array(n);
  take(bytes, l.sessionLength, n, lengths, 0);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += lengths[i];
  if (sum !== b) {
    throw new RowCodecError(
      "sessions",
      sum,
      b,
      `its session-id lengths add up to ${sum} bytes, the header says ${b}.`,
    );
  }
  const ids = sessionIds(bytes.subarray(l.sessions, l.sessions + b), lengths);
  into.reserve(n, s);
  const at = into.length;
  const w = into.denseWidth;
  take(bytes, l.offset, n, into.offset, at);
  take(bytes, l.eventTime, n, into.eventTime, at);
  take(bytes, l.amount, n, into.amount, at);
  take(bytes, l.userId, n, into.userId, at);
  take(bytes, l.truth, n, into.truth, at);
  take(bytes, l.dense, n * w, into.dense, at * w);
  take(bytes, l.sparseValue, s, into.sparseValue, into.sparseLength);
  take(bytes, l.partition, n, into.partition, at);
  take(bytes, l.sparseIndex, s, into.sparseIndex, into.sparseLength);
  into.kind.set(bytes.subarray(l.kind, l.kind + n), at);
  into.action.set(bytes.subarray(l.action, l.action + n), at);
  into.reason.set(bytes.subarray(l.reason, l.reason + n), at);
  const base = into.sparseLength;
  for (let i = 0; i < n; i++) into.sparseEnd[at + i] = base + extents[i];
  if (typeof ids === "string") {
    // All ASCII (the usual case): one decode, then slices.
    for (let i = 0, from = 0; i < n; i++) {
      into.sessionId[at + i] = ids.slice(from, from += lengths[i]);
    }
  } else {
    for (let i = 0; i < n; i++) into.sessionId[at + i] = ids[i];
  }
  into.length = at + n;
  into.sparseLength = base + s;
  return n;
}
