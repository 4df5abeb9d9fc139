/**
 * Writing the feature log's records (`row_codec.ts` describes the format and re-exports this):
 * a run of rows into one record value, and a whole batch into as few records as the bounds allow.
 *
 * @module
 */

import type { RowBatch } from "./row_batch.ts";
import {
  headerBytes,
  layout,
  put,
  ROW_FORMAT_VERSION,
  ROW_FORMAT_VERSIONS,
  ROW_MAGIC,
  rowBytes,
  type RowFormatVersion,
  utf8Length,
} from "./row_layout.ts";
import { denseMasks, gatherValues, halves, maskWords } from "./row_dense.ts";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();

/** Bounds of the records {@linkcode packRows} makes. */
export interface PackOptions {
  /** Rows per record at most. Default `2000`. */
  maxRows?: number;
  /** Bytes per record at most (a single larger row gets a record of its own). Default `262144`. */
  maxBytes?: number;
  /** The format version to write. Default {@linkcode ROW_FORMAT_VERSION} (2). */
  version?: RowFormatVersion;
}

/**
 * Packs rows `[start, end)` of `rows` into one record value of format `version` (see
 * `row_codec.ts`).
 *
 * @throws {RangeError} if the range is not within the batch, or the version is not one of
 *   {@linkcode ROW_FORMAT_VERSIONS}
 */
export function encodeRows(
  rows: RowBatch,
  start = 0,
  end: number = rows.length,
  version: RowFormatVersion = ROW_FORMAT_VERSION,
): Uint8Array {
  checkVersion(version);
  if (
    !(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end &&
      end <= rows.length)
  ) {
    throw new RangeError(
      `Cannot encode rows ${start} .. ${end} of a batch of ${rows.length}: not a range within it.`,
    );
  }
  if (version === 1) return encodeRun(rows, start, end, 1, null, 0);
  const masks = new Uint32Array(2 * maskWords(rows.denseWidth) * (end - start));
  const k = denseMasks(halves(rows.dense), start, end, rows.denseWidth, masks);
  return encodeRun(rows, start, end, version, masks, k);
}

/**
 * {@linkcode encodeRows} of a range known to be within the batch; for version 2 with the range's
 * dense bitmaps and its count of stored values (`masks` is `null` for version 1).
 */
function encodeRun(
  rows: RowBatch,
  start: number,
  end: number,
  version: RowFormatVersion,
  masks: Uint32Array | null,
  stored: number,
): Uint8Array {
  const n = end - start;
  const w = rows.denseWidth;
  const sparseBase = start === 0 ? 0 : rows.sparseEnd[start - 1];
  const sparseTop = n === 0 ? sparseBase : rows.sparseEnd[end - 1];
  const s = sparseTop - sparseBase;
  const lengths = new Uint32Array(n);
  let b = 0;
  for (let i = 0; i < n; i++) b += lengths[i] = utf8Length(rows.sessionId[start + i]);
  const k = masks === null ? n * w : stored;
  const l = layout(version, n, w, s, b, k);
  const bytes = new Uint8Array(l.total);
  const header = new DataView(bytes.buffer);
  header.setUint32(0, ROW_MAGIC, true);
  header.setUint16(4, version, true);
  header.setUint32(8, rows.featureSet, true);
  header.setUint32(12, w, true);
  header.setUint32(16, rows.sparseWidth, true);
  header.setUint32(20, n, true);
  header.setUint32(24, s, true);
  header.setUint32(28, b, true);
  if (version !== 1) header.setUint32(32, k, true);
  put(bytes, l.offset, rows.offset.subarray(start, end));
  put(bytes, l.eventTime, rows.eventTime.subarray(start, end));
  put(bytes, l.amount, rows.amount.subarray(start, end));
  put(bytes, l.userId, rows.userId.subarray(start, end));
  put(bytes, l.truth, rows.truth.subarray(start, end));
  const dense = halves(rows.dense);
  if (masks === null) put(bytes, l.dense, rows.dense.subarray(start * w, end * w));
  else if (LITTLE_ENDIAN) {
    gatherValues(dense, start, w, masks, n, new Uint32Array(bytes.buffer, l.dense, 2 * k));
  } else {
    const values = new Float64Array(k);
    gatherValues(dense, start, w, masks, n, halves(values));
    put(bytes, l.dense, values);
  }
  put(bytes, l.sparseValue, rows.sparseValue.subarray(sparseBase, sparseTop));
  put(bytes, l.partition, rows.partition.subarray(start, end));
  const extents = new Uint32Array(n);
  for (let i = 0; i < n; i++) extents[i] = rows.sparseEnd[start + i] - sparseBase;
  put(bytes, l.sparseEnd, extents);
  put(bytes, l.sparseIndex, rows.sparseIndex.subarray(sparseBase, sparseTop));
  put(bytes, l.sessionLength, lengths);
  if (masks !== null) put(bytes, l.denseMask, masks);
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
 * @throws {RangeError} on a bound that is not an integer ≥ 1 (`maxBytes` > the header), or a
 *   version not among {@linkcode ROW_FORMAT_VERSIONS}
 */
export function packRows(rows: RowBatch, options: PackOptions = {}): Uint8Array[] {
  const maxRows = options.maxRows ?? 2000;
  const maxBytes = options.maxBytes ?? 262_144;
  const version = options.version ?? ROW_FORMAT_VERSION;
  checkVersion(version);
  const header = headerBytes(version);
  if (!Number.isInteger(maxRows) || maxRows < 1) {
    throw new RangeError(`Cannot pack rows with maxRows ${maxRows}: expected an integer ≥ 1.`);
  }
  if (!Number.isInteger(maxBytes) || maxBytes <= header) {
    throw new RangeError(
      `Cannot pack rows with maxBytes ${maxBytes}: expected an integer > ${header}.`,
    );
  }
  const out: Uint8Array[] = [];
  // Version 2: every row's bitmaps and stored count once, for the sizes and the records.
  const words = version === 1 ? 0 : 2 * maskWords(rows.denseWidth);
  const masks = new Uint32Array(words * rows.length);
  const stored = new Uint32Array(version === 1 ? 0 : rows.length);
  if (version !== 1) denseMasks(halves(rows.dense), 0, rows.length, rows.denseWidth, masks, stored);
  let start = 0, bytes = header, k = 0;
  const emit = (end: number) => {
    const run = version === 1 ? null : masks.subarray(start * words, end * words);
    out.push(encodeRun(rows, start, end, version, run, k));
  };
  for (let i = 0; i < rows.length; i++) {
    const size = rowBytes(rows, i, version, version === 1 ? 0 : stored[i]);
    if (i > start && (i - start >= maxRows || bytes + size > maxBytes)) {
      emit(i);
      start = i;
      bytes = header;
      k = 0;
    }
    bytes += size;
    if (version !== 1) k += stored[i];
  }
  if (rows.length > start) emit(rows.length);
  return out;
}

function checkVersion(version: number): void {
  if (!(ROW_FORMAT_VERSIONS as readonly number[]).includes(version)) {
    throw new RangeError(
      `Cannot write rows in format version ${version}: expected one of ${
        ROW_FORMAT_VERSIONS.join(", ")
      }.`,
    );
  }
}
