/**
 * The feature log's record format: a run of rows of a {@linkcode RowBatch} packed into ONE
 * Kafka record value, and back. Versioned binary, little-endian, self-describing. Version 2 is
 * written; versions 1 and 2 are read (a feature log is retained: records of either may be in it).
 *
 * ```
 * header (32 bytes; 40 in version 2)
 *   0  u32  magic "CSRW" (0x43 0x53 0x52 0x57)
 *   4  u16  format version (1 or 2)
 *   6  u16  reserved, 0
 *   8  u32  feature-set id
 *  12  u32  denseWidth (w)
 *  16  u32  sparseWidth
 *  20  u32  rows (n)
 *  24  u32  sparse entries (s)
 *  28  u32  session-id bytes (b)
 *  32  u32  (version 2) stored dense values (k)
 *  36  u32  (version 2) reserved, 0
 * columns, widest first, so that each starts aligned to its element size
 *   f64 × n   offset, eventTime, amount, userId, truth (each a column of n)
 *   f64 × n·w dense, row-major (version 1); f64 × k the stored dense values (version 2)
 *   f64 × s   sparse values
 *   i32 × n   partition
 *   u32 × n   sparse extents: the end of each row's entries, counted from this record's first
 *   u32 × s   sparse indices
 *   u32 × n   session-id lengths in bytes
 *   u32 × 2n·⌈w/32⌉ (version 2) the dense bitmaps: per row, which coordinates are not +0, then
 *             which are exactly 1 (`row_dense.ts`); the others are the stored values, in order
 *   u8  × n   kind, action, reason (each a column of n)
 *   u8  × b   the session ids, UTF-8, one after the other (each one's length is above)
 * ```
 *
 * The size is exact: version 1 `32 + 8·(5n + n·w + s) + 4·(3n + s) + 3n + b`, version 2
 * `40 + 8·(5n + k + s) + 4·(3n + s + 2n·⌈w/32⌉) + 3n + b`. A `shop` row (32 dense features, most
 * of them one-hots, + a hashed url) is ≈ 320–330 bytes in version 1 and ≈ 170–190 in version 2
 * (≈ 10 of its dense values are stored; the rest are bitmap bits), which is what `learn`
 * fetches, copies and collects per row. Values are copied bit for bit (the `Float64` numbers the
 * featurize stage computed, `-0` and `NaN` payloads included on this platform). The columns are ordered by width rather than as the row's table lists them, so a
 * decoder copies each column with one typed-array `set`; the session ids are length-prefixed as a
 * column of lengths ahead of their bytes, for the same reason.
 *
 * Decoding appends to a reusable {@linkcode RowBatch} (no object per row besides the session-id
 * strings, which a caller that does not need them can leave out) and refuses, with a
 * {@linkcode RowCodecError} naming both values, a record of an unknown format version or of
 * another feature set or widths than the batch's, a record whose length, extents or dense
 * bitmaps do not add up, and one with a sparse index outside the sparse width, a row kind that
 * is neither an event nor a dead-letter marker, an event's unknown action class or a marker's
 * unknown reason. The layout's arithmetic and the column copies are in `row_layout.ts`,
 * the dense bitmaps in `row_dense.ts`.
 *
 * @module
 */

import { EVENT_ERROR_REASONS } from "../events/errors.ts";
import { ACTIONS } from "../events/wire.ts";
import { ROW_DEAD_LETTER, ROW_EVENT, type RowBatch } from "./row_batch.ts";
import {
  headerBytes,
  layout,
  ROW_FORMAT_VERSION,
  ROW_FORMAT_VERSIONS,
  ROW_HEADER_BYTES,
  ROW_MAGIC,
  type RowFormatVersion,
  take,
} from "./row_layout.ts";
import { checkMasks, maskWords, scatterValues } from "./row_dense.ts";

export { encodeRows, type PackOptions, packRows } from "./row_encode.ts";

export {
  ROW_FORMAT_VERSION,
  ROW_FORMAT_VERSIONS,
  ROW_HEADER_BYTES,
  ROW_MAGIC,
  type RowFormatVersion,
} from "./row_layout.ts";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** What a {@linkcode RowCodecError} is about. */
export type RowCodecField =
  | "magic"
  | "version"
  | "featureSet"
  | "denseWidth"
  | "sparseWidth"
  | "length"
  | "sparse"
  | "dense"
  | "kind"
  | "action"
  | "reason"
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

/** Options of {@linkcode decodeRows}. */
export interface DecodeOptions {
  /**
   * Whether to decode the session ids (else each row's is `""`, and the bytes are only checked
   * to add up): the learner needs them only for predictions. Default `true`.
   */
  sessionIds?: boolean;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The number of rows a record holds, read from its header (0 if it has no header). */
export function rowCount(bytes: Uint8Array): number {
  if (bytes.byteLength < headerBytes(1)) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(20, true);
}

/**
 * Reused buffers of a record's 32-bit columns while it is decoded (its dense bitmaps, sparse
 * extents, session-id lengths, and its stored dense values when they do not sit 8-aligned): a
 * fresh typed array of each per record would be an off-heap allocation, several per fetch.
 */
const scratch = {
  masks: new Uint32Array(0),
  extents: new Uint32Array(0),
  lengths: new Uint32Array(0),
};
let valuesScratch = new Float64Array(0);

/** The first `n` words of `scratch[name]`, grown first if needed (contents unspecified). */
function words(name: keyof typeof scratch, n: number): Uint32Array {
  if (scratch[name].length < n) {
    scratch[name] = new Uint32Array(Math.max(n, 2 * scratch[name].length));
  }
  return scratch[name].subarray(0, n);
}

/**
 * The stored dense values of a record (`k` little-endian `Float64`s at byte `at` of `bytes`): a
 * view of the record when they sit 8-aligned, else a copy in a reused buffer (valid until the next
 * call). On a big-endian platform, a copy read value by value.
 */
function storedValues(bytes: Uint8Array, at: number, k: number): Float64Array {
  if (LITTLE_ENDIAN && (bytes.byteOffset + at) % 8 === 0) {
    return new Float64Array(bytes.buffer, bytes.byteOffset + at, k);
  }
  if (valuesScratch.length < k) {
    valuesScratch = new Float64Array(Math.max(k, 2 * valuesScratch.length));
  }
  take(bytes, at, k, valuesScratch, 0);
  return valuesScratch.subarray(0, k);
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
 * @throws {RowCodecError} if the record is not of a format version this module reads, not of
 *   `into`'s feature set and widths, its length, extents or dense bitmaps do not add up, a
 *   sparse index is outside the sparse width, or a row's kind, an event's action class or a
 *   marker's reason is unknown (`into` is then unchanged)
 */
export function decodeRows(
  record: Uint8Array,
  into: RowBatch,
  options: DecodeOptions = {},
): number {
  if (record.byteLength < ROW_HEADER_BYTES) {
    throw new RowCodecError(
      "length",
      record.byteLength,
      ROW_HEADER_BYTES,
      `it is ${record.byteLength} bytes, shorter than the ${ROW_HEADER_BYTES}-byte header.`,
    );
  }
  // The record is read where it is (at any alignment): `take` copies each column's bytes.
  const bytes = record;
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
  const version = h.getUint16(4, true) as RowFormatVersion;
  if (!ROW_FORMAT_VERSIONS.includes(version)) {
    throw new RowCodecError(
      "version",
      version,
      ROW_FORMAT_VERSION,
      `format version ${version}; this program reads versions ${
        ROW_FORMAT_VERSIONS.join(" and ")
      }.`,
    );
  }
  if (bytes.byteLength < headerBytes(version)) {
    throw new RowCodecError(
      "length",
      bytes.byteLength,
      headerBytes(version),
      `it is ${bytes.byteLength} bytes, shorter than version ${version}'s ${
        headerBytes(version)
      }-byte header.`,
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
  const w = into.denseWidth;
  const k = version === 1 ? n * w : h.getUint32(32, true);
  const l = layout(version, n, w, s, b, k);
  if (l.total !== bytes.byteLength) {
    const stored = version === 1 ? "" : `, ${k} stored dense values`;
    throw new RowCodecError(
      "length",
      bytes.byteLength,
      l.total,
      `it is ${bytes.byteLength} bytes, its header (${n} rows, ${s} sparse entries${stored}, ${b} session-id bytes) says ${l.total}.`,
    );
  }
  let masks: Uint32Array | null = null;
  if (version !== 1) {
    masks = words("masks", 2 * maskWords(w) * n);
    take(bytes, l.denseMask, masks.length, masks, 0);
    const wrong = checkMasks(masks, n, w, k);
    if (wrong !== null) {
      throw new RowCodecError("dense", k, k, `its dense bitmaps do not add up: ${wrong}.`);
    }
  }
  const extents = words("extents", n);
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
  // A sparse index past the width would read past the learner's weights (NaN, silently).
  for (let i = 0, e = 0; i < n; i++) {
    for (; e < extents[i]; e++) {
      const index = h.getUint32(l.sparseIndex + 4 * e, true);
      if (index >= into.sparseWidth) {
        throw new RowCodecError(
          "sparse",
          index,
          into.sparseWidth,
          `row ${i}'s sparse entry ${
            e - (i === 0 ? 0 : extents[i - 1])
          } has index ${index}, outside the sparse width ${into.sparseWidth}.`,
        );
      }
    }
  }
  // The learn stage reads an event's action class and a marker's reason by their codes.
  for (let i = 0; i < n; i++) {
    const kind = bytes[l.kind + i];
    if (kind === ROW_EVENT) {
      const action = bytes[l.action + i];
      if (action >= ACTIONS.length) {
        throw new RowCodecError(
          "action",
          action,
          ACTIONS.length,
          `row ${i} is an event of action class ${action}, not one of the ${ACTIONS.length} (0 .. ${
            ACTIONS.length - 1
          }).`,
        );
      }
    } else if (kind === ROW_DEAD_LETTER) {
      const reason = bytes[l.reason + i];
      if (reason >= EVENT_ERROR_REASONS.length) {
        throw new RowCodecError(
          "reason",
          reason,
          EVENT_ERROR_REASONS.length,
          `row ${i} is a dead-letter marker of reason ${reason}, not one of the ${EVENT_ERROR_REASONS.length} (0 .. ${
            EVENT_ERROR_REASONS.length - 1
          }).`,
        );
      }
    } else {
      throw new RowCodecError(
        "kind",
        kind,
        ROW_EVENT,
        `row ${i} is of kind ${kind}, neither an event (${ROW_EVENT}) nor a dead-letter marker (${ROW_DEAD_LETTER}).`,
      );
    }
  }
  const lengths = words("lengths", n);
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
  const withIds = options.sessionIds ?? true;
  const ids = withIds ? sessionIds(bytes.subarray(l.sessions, l.sessions + b), lengths) : "";
  into.reserve(n, s);
  const at = into.length;
  take(bytes, l.offset, n, into.offset, at);
  take(bytes, l.eventTime, n, into.eventTime, at);
  take(bytes, l.amount, n, into.amount, at);
  take(bytes, l.userId, n, into.userId, at);
  take(bytes, l.truth, n, into.truth, at);
  if (masks === null) take(bytes, l.dense, n * w, into.dense, at * w);
  else scatterValues(into.dense, at, w, masks, n, storedValues(bytes, l.dense, k));
  take(bytes, l.sparseValue, s, into.sparseValue, into.sparseLength);
  take(bytes, l.partition, n, into.partition, at);
  take(bytes, l.sparseIndex, s, into.sparseIndex, into.sparseLength);
  into.kind.set(bytes.subarray(l.kind, l.kind + n), at);
  into.action.set(bytes.subarray(l.action, l.action + n), at);
  into.reason.set(bytes.subarray(l.reason, l.reason + n), at);
  const base = into.sparseLength;
  for (let i = 0; i < n; i++) into.sparseEnd[at + i] = base + extents[i];
  if (!withIds) {
    for (let i = 0; i < n; i++) into.sessionId[at + i] = "";
  } else if (typeof ids === "string") {
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
