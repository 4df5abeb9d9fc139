/**
 * The byte layout of one feature-log record (see `row_codec.ts` for the format as a whole): the
 * header's constants, where each column starts for a given number of rows, sparse entries and
 * session-id bytes, how many bytes a row takes, and the little-endian copy of a typed column
 * into and out of the record (one typed-array `set` per column on a little-endian platform, a
 * `DataView` loop elsewhere).
 *
 * @module
 */

import type { RowBatch } from "./row_batch.ts";

import { maskWords } from "./row_dense.ts";

/** The format version this module writes (it reads every one of {@linkcode ROW_FORMAT_VERSIONS}). */
export const ROW_FORMAT_VERSION = 2;
/** The format versions this module reads (and writes, when asked). */
export const ROW_FORMAT_VERSIONS: readonly RowFormatVersion[] = [1, 2];
/** A format version: 1 (every dense value a `Float64`), 2 (the dense part as bitmaps + values). */
export type RowFormatVersion = 1 | 2;
/** The first four bytes of every record: `CSRW`. */
export const ROW_MAGIC = 0x57525343;
/** Bytes of the header of version 1 (the shortest record there is). */
export const ROW_HEADER_BYTES = 32;
/** Bytes of the header by version: version 2 adds the count of stored dense values (and 4 reserved). */
export function headerBytes(version: RowFormatVersion): number {
  return version === 1 ? 32 : 40;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** UTF-8 length of `s`. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
        i++;
      } else n += 2; // a lone surrogate becomes U+FFFD, 3 bytes
    } else n += 2;
  }
  return n;
}

/**
 * The bytes one row takes in a record of `version` (its share of every column); for version 2,
 * `stored` is how many of its dense values it stores (`row_dense.ts`).
 */
export function rowBytes(
  rows: RowBatch,
  i: number,
  version: RowFormatVersion,
  stored: number,
): number {
  const start = i === 0 ? 0 : rows.sparseEnd[i - 1];
  const sparse = rows.sparseEnd[i] - start;
  const w = rows.denseWidth;
  const densePart = version === 1 ? 8 * w : 8 * stored + 4 * 2 * maskWords(w);
  return densePart + 8 * (5 + sparse) + 4 * (3 + sparse) + 3 + utf8Length(rows.sessionId[i]);
}

/** Where everything of one record is: its counts, and the byte offset of every column. */
export interface Layout {
  /** Rows. */
  n: number;
  /** Dense values per row. */
  w: number;
  /** Sparse entries. */
  s: number;
  /** Session-id bytes. */
  b: number;
  /** Dense values stored as `Float64` (version 1: all `n·w`). */
  k: number;
  /** Byte offsets of the columns, in the record's order. */
  offset: number;
  /** Byte offset of the event times. */
  eventTime: number;
  /** Byte offset of the amounts. */
  amount: number;
  /** Byte offset of the user ids. */
  userId: number;
  /** Byte offset of the truths. */
  truth: number;
  /** Version 1: every dense value; version 2: the stored ones (`row_dense.ts`). */
  dense: number;
  /** Byte offset of the sparse values. */
  sparseValue: number;
  /** Byte offset of the partitions. */
  partition: number;
  /** Byte offset of the sparse extents. */
  sparseEnd: number;
  /** Byte offset of the sparse indices. */
  sparseIndex: number;
  /** Byte offset of the session ids' lengths. */
  sessionLength: number;
  /** Version 2: the dense bitmaps, `2·ceil(w/32)` words a row (version 1: none, 0 bytes). */
  denseMask: number;
  /** Byte offset of the row kinds. */
  kind: number;
  /** Byte offset of the actions. */
  action: number;
  /** Byte offset of the reasons. */
  reason: number;
  /** Byte offset of the session ids' bytes. */
  sessions: number;
  /** The record's length in bytes. */
  total: number;
}

/**
 * The layout of a record of `version` of `n` rows of width `w`, `s` sparse entries, `b`
 * session-id bytes and (version 2) `k` stored dense values.
 */
export function layout(
  version: RowFormatVersion,
  n: number,
  w: number,
  s: number,
  b: number,
  k = 0,
): Layout {
  let at = headerBytes(version);
  const stored = version === 1 ? n * w : k;
  const take = (bytes: number) => {
    const here = at;
    at += bytes;
    return here;
  };
  return {
    n,
    w,
    s,
    b,
    k: stored,
    offset: take(8 * n),
    eventTime: take(8 * n),
    amount: take(8 * n),
    userId: take(8 * n),
    truth: take(8 * n),
    dense: take(8 * stored),
    sparseValue: take(8 * s),
    partition: take(4 * n),
    sparseEnd: take(4 * n),
    sparseIndex: take(4 * s),
    sessionLength: take(4 * n),
    denseMask: take(version === 1 ? 0 : 4 * 2 * maskWords(w) * n),
    kind: take(n),
    action: take(n),
    reason: take(n),
    sessions: take(b),
    total: at, // evaluated last: the end of the last column
  };
}

/** A column the record holds as 4- or 8-byte numbers. */
export type Column = Float64Array | Int32Array | Uint32Array;
type ColumnType = Float64ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor;

/** Copies `from` into `bytes` at `at` (aligned), little-endian. */
export function put(bytes: Uint8Array, at: number, from: Column): void {
  if (from.length === 0) return;
  const Type = from.constructor as ColumnType;
  if (LITTLE_ENDIAN) {
    new Type(bytes.buffer as ArrayBuffer, bytes.byteOffset + at, from.length).set(from as never);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, from.byteLength);
  for (let i = 0; i < from.length; i++) {
    if (Type === Float64Array) view.setFloat64(8 * i, from[i], true);
    else if (Type === Int32Array) view.setInt32(4 * i, from[i], true);
    else view.setUint32(4 * i, from[i], true);
  }
}

/**
 * Copies `n` elements at `at` of `bytes`, little-endian, into `into` at `intoAt`. On a
 * little-endian platform the column's bytes are copied as they are (one `set`): through a view of
 * its own type when `bytes.byteOffset + at` is aligned to its element size, else byte for byte
 * into `into`'s bytes — a record can sit anywhere in a fetched buffer, and no aligned copy of
 * the whole record is needed.
 */
export function take(bytes: Uint8Array, at: number, n: number, into: Column, intoAt: number): void {
  if (n === 0) return;
  const Type = into.constructor as ColumnType;
  if (LITTLE_ENDIAN) {
    const size = Type.BYTES_PER_ELEMENT, from = bytes.byteOffset + at;
    if (from % size === 0) {
      into.set(new Type(bytes.buffer as ArrayBuffer, from, n) as never, intoAt);
    } else {
      // The same bounds as the aligned path's `set` (a view of `into`'s buffer would not stop at
      // its end, nor a subarray of `bytes` complain at its own).
      if (intoAt < 0 || intoAt + n > into.length || at < 0 || at + n * size > bytes.length) {
        throw new RangeError(
          `Cannot take ${n} elements at byte ${at} of ${bytes.length} into index ${intoAt} of a column of ${into.length}.`,
        );
      }
      new Uint8Array(into.buffer, into.byteOffset + intoAt * size, n * size)
        .set(bytes.subarray(at, at + n * size));
    }
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, n * Type.BYTES_PER_ELEMENT);
  for (let i = 0; i < n; i++) {
    into[intoAt + i] = Type === Float64Array
      ? view.getFloat64(8 * i, true)
      : Type === Int32Array
      ? view.getInt32(4 * i, true)
      : view.getUint32(4 * i, true);
  }
}
