/**
 * The records of one fetched partition as columns over the fetch response's bytes: offsets and
 * timestamps as numbers, keys and values as byte ranges of the record set, no object per record.
 * `columnar_fetch.ts` (installed by the kafkajs gate) decodes every fetched record set it can
 * into a {@linkcode RecordColumns}; `EventConsumer` makes its records straight from them
 * ({@linkcode columnRecord}), and kafkajs' own code, which still wants a message object here and
 * there (the last one of a batch), gets exactly the one kafkajs would have made
 * ({@linkcode kafkaJsMessage}).
 *
 * {@linkcode decodeRecordColumns} takes only record sets it can decode exactly as kafkajs 2.2.4's
 * `decodeMessages` (fetch v4+) and `RecordBatchDecoder` would, and returns `undefined` for
 * anything else, which then goes to kafkajs' own decoder: a compressed, control or transactional
 * batch (kafkajs decompresses the first and filters the other two, by aborted transaction and
 * control flag), an offset or timestamp beyond 2^53, a varint longer than kafkajs reads the
 * same way, a record whose fields do not end where its length says, or a batch that does not end
 * where its records do. A partial batch at the end (the broker cuts the record set at `maxBytes`)
 * ends the set, as in kafkajs.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { type ConsumedRecord, type FetchedRun, toRecord, ViewRecord } from "./consumed_record.ts";
import type { KafkaMessage } from "./kafkajs.ts";

/** kafkajs' `RECORD_BATCH_OVERHEAD`: a record set shorter than this holds no further batch. */
const RECORD_BATCH_OVERHEAD = 49;
/** Batch attribute bits kafkajs looks at. */
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_MASK = 0x08;
const TRANSACTIONAL_MASK = 0x10;
const CONTROL_MASK = 0x20;
/** Where the records start, from the batch's first offset: the fixed fields of the batch. */
const RECORDS_AT = 61;
const TWO_32 = 2 ** 32;

/** The records of one fetched record set; see the module documentation. */
export class RecordColumns {
  /** The record set: a slice of the fetch response, as kafkajs' decoder reads it. */
  readonly bytes: Buffer;
  /** How many records. */
  readonly count: number;
  /** Each record's offset. */
  readonly offsets: Float64Array;
  /** Each record's timestamp, epoch ms (the batch's max timestamp under log-append time). */
  readonly timestamps: Float64Array;
  /** Each record's key: its start in {@linkcode bytes}, and its length (-1 for a null key). */
  readonly keyStart: Int32Array;
  /** Each record's key length in bytes (-1 for a null key). */
  readonly keyLength: Int32Array;
  /** Each record's value, the same way (-1 for a tombstone). */
  readonly valueStart: Int32Array;
  /** Each record's value length in bytes (-1 for a tombstone). */
  readonly valueLength: Int32Array;
  /** How many headers each record has. */
  readonly headerCount: Int32Array;
  /** Where each record's body starts (its attributes byte). */
  readonly recordStart: Int32Array;
  /** Each record's batch: the position in {@linkcode bytes} of the batch's first offset. */
  readonly batchStart: Int32Array;
  /** kafkajs' message objects made so far, by record (shared by every view of these records). */
  readonly messages: (KafkaMessage | undefined)[] = [];
  #contexts = new Map<number, Record<string, unknown>>();

  /** Empty columns for `count` records of `bytes`; {@linkcode decodeRecordColumns} fills them. */
  constructor(bytes: Buffer, count: number) {
    this.bytes = bytes;
    this.count = count;
    this.offsets = new Float64Array(count);
    this.timestamps = new Float64Array(count);
    this.keyStart = new Int32Array(count);
    this.keyLength = new Int32Array(count);
    this.valueStart = new Int32Array(count);
    this.valueLength = new Int32Array(count);
    this.headerCount = new Int32Array(count);
    this.recordStart = new Int32Array(count);
    this.batchStart = new Int32Array(count);
  }

  /** kafkajs' `batchContext` of the batch at `start` (one object per batch, as kafkajs makes). */
  batchContext(start: number): Record<string, unknown> {
    let context = this.#contexts.get(start);
    if (context === undefined) {
      const b = this.bytes;
      const attributes = b.readInt16BE(start + 21);
      // kafkajs' recordContext, in its order, then the magic byte decodeRecords adds.
      context = {
        firstOffset: b.readBigInt64BE(start).toString(),
        firstTimestamp: b.readBigInt64BE(start + 27).toString(),
        partitionLeaderEpoch: b.readInt32BE(start + 12),
        inTransaction: (attributes & TRANSACTIONAL_MASK) > 0,
        isControlBatch: (attributes & CONTROL_MASK) > 0,
        lastOffsetDelta: b.readInt32BE(start + 23),
        producerId: b.readBigInt64BE(start + 43).toString(),
        producerEpoch: b.readInt16BE(start + 51),
        firstSequence: b.readInt32BE(start + 53),
        maxTimestamp: b.readBigInt64BE(start + 35).toString(),
        timestampType: (attributes & TIMESTAMP_TYPE_MASK) > 0 ? 1 : 0,
        magicByte: b.readInt8(start + 16),
      };
      this.#contexts.set(start, context);
    }
    return context;
  }
}

/** A signed 64-bit big-endian integer at `o` as a number, or `NaN` beyond 2^53. */
function int64(b: Buffer, o: number): number {
  const hi = b.readInt32BE(o);
  if (hi >= 0x200000 || hi < -0x200000) return NaN;
  return hi * TWO_32 + b.readUInt32BE(o + 4);
}

/** The decoding position, and a varint's value (a zigzag int, computed as kafkajs does). */
let at = 0;
/** Reads a varint at `at` exactly as kafkajs' `readVarInt`; `NaN` past `end` or over 5 bytes. */
function varInt(b: Buffer, end: number): number {
  let result = 0;
  for (let i = 0; i < 35; i += 7) {
    if (at >= end) return NaN;
    const byte = b[at++];
    result += (byte & 0x7f) << i;
    if (byte < 0x80) return (result >>> 1) ^ -(result & 1);
  }
  return NaN;
}

/** Reads a zigzag varlong at `at` as a number (up to 7 bytes, as `fast_long_decoding.ts`); else `NaN`. */
function varLong(b: Buffer, end: number): number {
  let unsigned = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (at >= end) return NaN;
    const byte = b[at++];
    unsigned += (byte & 0x7f) * scale;
    if (byte < 0x80) return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
    scale *= 128;
  }
  return NaN;
}

/** Skips a length-prefixed byte field at `at` (length -1: null); `false` when it does not fit. */
function skipBytes(b: Buffer, end: number): boolean {
  const n = varInt(b, end);
  if (n === -1) return true;
  if (!(n >= 0) || at + n > end) return false;
  at += n;
  return true;
}

/**
 * The records of a fetched record set (magic 2), or `undefined` when kafkajs' own decoder must
 * read it (see the module documentation).
 */
export function decodeRecordColumns(bytes: Buffer): RecordColumns | undefined {
  const size = bytes.length;
  // First the batch headers: which batches are whole, and how many records they hold.
  let count = 0;
  let pos = 0;
  let wholeEnd = 0;
  while (size - pos >= RECORD_BATCH_OVERHEAD) {
    const length = bytes.readInt32BE(pos + 8);
    if (length < RECORDS_AT - 12) return undefined;
    if (size - (pos + 12) < length) break; // a partial batch: the end of the set, as in kafkajs
    const attributes = bytes.readInt16BE(pos + 21);
    if ((attributes & (COMPRESSION_MASK | TRANSACTIONAL_MASK | CONTROL_MASK)) !== 0) {
      return undefined;
    }
    if (bytes.readInt8(pos + 16) !== 2) return undefined;
    const records = bytes.readInt32BE(pos + 57);
    if (records < 0) return undefined;
    count += records;
    pos += 12 + length;
    wholeEnd = pos;
  }
  const columns = new RecordColumns(bytes, count);
  let r = 0;
  for (pos = 0; pos < wholeEnd;) {
    const end = pos + 12 + bytes.readInt32BE(pos + 8);
    const firstOffset = int64(bytes, pos);
    const firstTimestamp = int64(bytes, pos + 27);
    const maxTimestamp = int64(bytes, pos + 35);
    if (!(firstOffset >= 0) || Number.isNaN(firstTimestamp) || Number.isNaN(maxTimestamp)) {
      return undefined;
    }
    const logAppendTime = (bytes.readInt16BE(pos + 21) & TIMESTAMP_TYPE_MASK) !== 0;
    const records = bytes.readInt32BE(pos + 57);
    at = pos + RECORDS_AT;
    for (let i = 0; i < records; i++, r++) {
      const length = varInt(bytes, end);
      if (!(length >= 0) || at + length > end) return undefined;
      const recordEnd = at + length;
      columns.recordStart[r] = at;
      at++; // attributes
      const timestampDelta = varLong(bytes, recordEnd);
      // Read under log-append time too (kafkajs reads it, then takes the max timestamp).
      if (Number.isNaN(timestampDelta)) return undefined;
      const offsetDelta = varInt(bytes, recordEnd);
      const timestamp = logAppendTime ? maxTimestamp : firstTimestamp + timestampDelta;
      const offset = firstOffset + offsetDelta;
      if (!Number.isSafeInteger(timestamp) || !Number.isSafeInteger(offset)) return undefined;
      const keyAt = at;
      if (!skipBytes(bytes, recordEnd)) return undefined;
      const valueAt = at;
      if (!skipBytes(bytes, recordEnd)) return undefined;
      const headers = varInt(bytes, recordEnd);
      if (!(headers >= -1)) return undefined;
      for (let h = 0; h < headers; h++) {
        if (!skipBytes(bytes, recordEnd) || !skipBytes(bytes, recordEnd)) return undefined;
      }
      if (at !== recordEnd) return undefined;
      // The key and value again, now that the record is known to be whole.
      at = keyAt;
      const keyLength = varInt(bytes, recordEnd);
      columns.keyStart[r] = at;
      columns.keyLength[r] = keyLength;
      at = valueAt;
      const valueLength = varInt(bytes, recordEnd);
      columns.valueStart[r] = at;
      columns.valueLength[r] = valueLength;
      columns.headerCount[r] = headers > 0 ? headers : 0;
      columns.offsets[r] = offset;
      columns.timestamps[r] = timestamp;
      columns.batchStart[r] = pos;
      at = recordEnd;
    }
    if (at !== end) return undefined;
    pos = end;
  }
  return columns;
}

/** A length-prefixed field at `at` as kafkajs' `readVarIntBytes` returns it (a `Buffer` slice or null). */
function kafkaJsBytes(b: Buffer): Buffer | null {
  const n = varInt(b, b.length);
  if (n === -1) return null;
  const slice = b.slice(at, at + n);
  at += n;
  return slice;
}

/**
 * Record `i` of `columns` as the message object kafkajs' record decoder makes (strings for
 * offset and timestamp, `Buffer` slices, headers grouped as kafkajs groups them), made once and
 * kept.
 */
export function kafkaJsMessage(columns: RecordColumns, i: number): KafkaMessage {
  const made = columns.messages[i];
  if (made !== undefined) return made;
  const b = columns.bytes;
  const batchContext = columns.batchContext(columns.batchStart[i]);
  const start = columns.recordStart[i];
  const attributes = b.readInt8(start);
  const keyStart = columns.keyStart[i];
  const keyLength = columns.keyLength[i];
  const valueStart = columns.valueStart[i];
  const valueLength = columns.valueLength[i];
  at = valueStart + Math.max(0, valueLength);
  const headerCount = varInt(b, b.length);
  const list: { key: string; value: Buffer | null }[] = [];
  for (let h = 0; h < headerCount; h++) {
    const name = kafkaJsBytes(b);
    list.push({
      key: name === null ? null as unknown as string : name.toString("utf8"),
      value: kafkaJsBytes(b),
    });
  }
  // kafkajs' own grouping (a repeated header becomes an array), in its words.
  const headers = list.reduce(
    (obj: Record<string, unknown>, { key, value }) => ({
      ...obj,
      [key]: obj[key] === undefined
        ? value
        : Array.isArray(obj[key])
        ? (obj[key] as unknown[]).concat([value])
        : [obj[key], value],
    }),
    {},
  );
  const message = {
    magicByte: batchContext.magicByte,
    attributes,
    timestamp: String(columns.timestamps[i]),
    offset: String(columns.offsets[i]),
    key: keyLength === -1 ? null : b.slice(keyStart, keyStart + keyLength),
    value: valueLength === -1 ? null : b.slice(valueStart, valueStart + valueLength),
    headers,
    isControlRecord: false,
    batchContext,
  } as unknown as KafkaMessage;
  columns.messages[i] = message;
  return message;
}

/** A fetched record set of one partition over its {@linkcode RecordColumns}. */
export interface ColumnsRun extends FetchedRun {
  /** The record set's columns. */
  readonly columns: RecordColumns;
}

/**
 * Record `i` of `run` as the consumer hands it out: the same {@linkcode ConsumedRecord} as
 * `toRecord()` of kafkajs' message, without the message — a {@linkcode ViewRecord} over the fetch
 * response (a plain record through kafkajs' message only for a record with headers).
 */
export function columnRecord(run: ColumnsRun, i: number): ConsumedRecord {
  const columns = run.columns;
  if (columns.headerCount[i] > 0) {
    return toRecord(run.topic, run.partition, kafkaJsMessage(columns, i));
  }
  return new ViewRecord(run, i);
}
