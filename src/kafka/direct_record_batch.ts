/**
 * A byte-identical rewrite of how kafkajs 2.2.4 lays out an uncompressed record batch, installed
 * by the kafkajs gate (`src/kafka/kafkajs.ts`). kafkajs encodes every record into an `Encoder`
 * of its own, whose buffer starts as a zero-filled `Buffer.alloc(512)` however small the record
 * (about 200 ns and an off-heap allocation per record: with the encoder itself, a fifth of a load
 * generator worker's CPU, and then the garbage collector's work), copies each record into the
 * batch's body (which grows by doubling, zero-filling and copying again), the body into the
 * batch, and the batch into the produce request's partition.
 *
 * Here the two modules its produce request takes when it loads are replaced:
 *
 * - `Record` (`src/protocol/recordBatch/record/v0/index.js`) measures the record and returns a
 *   {@linkcode DescribedRecord}: its fields and its exact size, no bytes yet.
 * - `RecordBatch` (`src/protocol/recordBatch/v0/index.js`) adds the sizes, allocates the batch
 *   once at its exact size (`Buffer.allocUnsafe`: every byte is written), writes the fixed fields
 *   with kafkajs' own `Encoder` (so an offset or timestamp of any type kafkajs accepts comes out
 *   as kafkajs writes it), every record straight into place, and the CRC32C of the body through
 *   kafkajs' crc32C module (the gate has made that `fast_crc32c.ts`). It returns an `Encoder`
 *   holding that buffer.
 *
 * Anything off the path the program takes is handed to kafkajs' own code, so kafkajs' behaviour,
 * errors included, is unchanged: a record whose key, value or header values are not a `Buffer`
 * or a string (or `null` for key and value), or whose deltas do not fit in 32 bits, is encoded by
 * kafkajs' `Record`; a compressed batch, or one with records that are neither, by kafkajs'
 * `RecordBatch` (after turning the described records into kafkajs' encoders).
 *
 * `tests/kafka/direct_record_batch_test.ts` checks the bytes against an unpatched copy of
 * kafkajs on random records (headers, null keys, empty values, unicode) and batch fields;
 * {@linkcode directRecordBatchCalls} counts the replacements' calls.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** An instance of kafkajs' `Encoder` (the parts used here). */
interface EncoderInstance {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  size(): number;
  writeInt8(value: number): EncoderInstance;
  writeInt16(value: number): EncoderInstance;
  writeInt32(value: number): EncoderInstance;
  writeInt64(value: unknown): EncoderInstance;
}

/** kafkajs' `Encoder` class. */
export interface EncoderClass {
  /** `new Encoder(initialSize)`. */
  new (initialSize?: number): EncoderInstance;
}

/** kafkajs' `Long` (the factory methods used for `RecordBatch`'s defaults). */
export interface LongClass {
  /** `Long.fromInt(n)`. */
  fromInt(value: number): unknown;
  /** `Long.fromValue(v)`. */
  fromValue(value: unknown): unknown;
}

/** What kafkajs' `Record` takes. */
interface RecordArgs {
  offsetDelta?: unknown;
  timestampDelta?: unknown;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown>;
}

/** What kafkajs' `RecordBatch` takes. */
interface RecordBatchArgs {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: unknown;
  maxTimestamp?: unknown;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: unknown[];
}

type RecordFunction = (args: RecordArgs) => unknown;
type RecordBatchFunction = (args: RecordBatchArgs) => Promise<EncoderInstance>;

/** kafkajs' record batch module: its exports object (`{ RecordBatch, MAGIC_BYTE }`). */
export interface RecordBatchModule {
  /** kafkajs' `RecordBatch`. */
  RecordBatch: unknown;
  /** The record batch format's magic byte (2). */
  MAGIC_BYTE: number;
}

/** The CommonJS cache entry of a module (`require.cache[path]`). */
export interface CommonJsModuleEntry {
  /** What `require()` of it returns. */
  exports: unknown;
}

/** How many times each replacement has run in this process (see {@linkcode directRecordBatchCalls}). */
export interface DirectRecordBatchCalls {
  /** `Record`: records described (the ones handed to kafkajs' own `Record` included). */
  Record: number;
  /** `RecordBatch`: batches written directly (not those handed to kafkajs' own). */
  RecordBatch: number;
}

const calls: DirectRecordBatchCalls = { Record: 0, RecordBatch: 0 };

/** A copy of the call counters: how often kafkajs' produce request has run the replacements. */
export function directRecordBatchCalls(): DirectRecordBatchCalls {
  return { ...calls };
}

/** kafkajs' compression codec mask and the attribute bits of `RecordBatch`. */
const COMPRESSION_CODEC_MASK = 0x07;
const COMPRESSION_NONE = 0;
const TRANSACTIONAL_MASK = 16;
/** Bytes before the body: first offset (8), batch length (4), leader epoch (4), magic (1), CRC (4). */
const PREFIX_BYTES = 21;
/** The body's fixed fields: attributes … first sequence (40), and the record count (4). */
const BODY_HEAD_BYTES = 44;

/** The zigzag varint size of a 32-bit integer, as kafkajs' `Encoder.sizeOfVarInt`. */
function sizeOfVarInt(value: number): number {
  let v = (value << 1) ^ (value >> 31);
  let bytes = 1;
  while ((v & 0xffffff80) !== 0) {
    bytes++;
    v >>>= 7;
  }
  return bytes;
}

/** Writes `value` as a zigzag varint at `o`, returns the offset after it. */
function writeVarInt(buf: Uint8Array, o: number, value: number): number {
  let v = (value << 1) ^ (value >> 31);
  while ((v & 0xffffff80) !== 0) {
    buf[o++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[o++] = v;
  return o;
}

/** A key, value or header value the direct path writes: its bytes' length, or -1 for null. */
function bytesLength(value: Buffer | string | null | undefined): number {
  if (value == null) return -1;
  return typeof value === "string" ? Buffer.byteLength(value, "utf8") : value.length;
}

/** Writes a length-prefixed key, value or header field (kafkajs' `writeVarIntBytes`). */
function writeField(
  buf: Buffer,
  o: number,
  value: Buffer | string | null | undefined,
  length: number,
): number {
  o = writeVarInt(buf, o, length);
  if (length <= 0) return o;
  if (typeof value === "string") buf.write(value, o, length, "utf8");
  else buf.set(value as Buffer, o);
  return o + length;
}

const isInt32 = (v: unknown): v is number => typeof v === "number" && (v | 0) === v;
const isBytes = (v: unknown): v is Buffer | string => typeof v === "string" || Buffer.isBuffer(v);

/**
 * One record as the replaced `Record` returns it: what to write and how many bytes it takes
 * (the length prefix included). kafkajs' own code never sees one: the replaced `RecordBatch`
 * writes it, or turns it into kafkajs' encoder first.
 */
export class DescribedRecord {
  /** The arguments `Record` was called with (for kafkajs' own encoder, when it has to). */
  readonly args: RecordArgs;
  /** The record's offset delta from the batch's base offset. */
  readonly offsetDelta: number;
  /** The record's timestamp delta from the batch's first timestamp, in ms. */
  readonly timestampDelta: number;
  /** The key as given (`null`/`undefined`: none). */
  readonly key: Buffer | string | null | undefined;
  /** The key's length in bytes (-1 without a key). */
  readonly keyLength: number;
  /** The value as given (`null`/`undefined`: a tombstone). */
  readonly value: Buffer | string | null | undefined;
  /** The value's length in bytes (-1 for a tombstone). */
  readonly valueLength: number;
  /** Header keys and values, flattened as kafkajs does (`[key, value, key, value, ...]`). */
  readonly headers: readonly (Buffer | string)[] | null;
  /** Their byte lengths, in the same order. */
  readonly headerLengths: readonly number[] | null;
  /** The body's size (kafkajs' `sizeOfBody`). */
  readonly bodySize: number;
  /** The record's size with its length prefix. */
  readonly size: number;

  /** Measures a record; {@linkcode describeRecord} decides first that it can be written here. */
  constructor(
    args: RecordArgs,
    offsetDelta: number,
    timestampDelta: number,
    headers: (Buffer | string)[] | null,
  ) {
    this.args = args;
    this.offsetDelta = offsetDelta;
    this.timestampDelta = timestampDelta;
    const key = args.key as Buffer | string | null | undefined;
    const value = args.value as Buffer | string | null | undefined;
    this.key = key;
    this.value = value;
    this.keyLength = bytesLength(key);
    this.valueLength = bytesLength(value);
    let size = 1 + sizeOfVarInt(timestampDelta) + sizeOfVarInt(offsetDelta) +
      sizeOfVarInt(this.keyLength) + Math.max(0, this.keyLength) +
      sizeOfVarInt(this.valueLength) + Math.max(0, this.valueLength);
    if (headers === null) {
      size += 1; // a header count of 0
      this.headers = null;
      this.headerLengths = null;
    } else {
      const lengths = headers.map((h) => bytesLength(h));
      size += sizeOfVarInt(headers.length / 2);
      for (const n of lengths) size += sizeOfVarInt(n) + n;
      this.headers = headers;
      this.headerLengths = lengths;
    }
    this.bodySize = size;
    this.size = sizeOfVarInt(size) + size;
  }

  /** Writes the record at `o` of `buf`; returns the offset after it. */
  writeTo(buf: Buffer, o: number): number {
    o = writeVarInt(buf, o, this.bodySize);
    buf[o++] = 0; // attributes: none
    o = writeVarInt(buf, o, this.timestampDelta);
    o = writeVarInt(buf, o, this.offsetDelta);
    o = writeField(buf, o, this.key, this.keyLength);
    o = writeField(buf, o, this.value, this.valueLength);
    const headers = this.headers;
    if (headers === null) {
      buf[o++] = 0;
      return o;
    }
    const lengths = this.headerLengths!;
    o = writeVarInt(buf, o, headers.length / 2);
    for (let i = 0; i < headers.length; i++) o = writeField(buf, o, headers[i], lengths[i]);
    return o;
  }
}

/**
 * Header keys and values flattened as kafkajs' `Record` does (an array value is one header per
 * element), or `null` for none; `undefined` when a value is not a `Buffer` or a string, so the
 * record goes to kafkajs' own encoder.
 */
function flatHeaders(
  headers: Record<string, unknown> | undefined,
): (Buffer | string)[] | null | undefined {
  if (headers === undefined) return null;
  let out: (Buffer | string)[] | null = null;
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (Array.isArray(value)) {
      for (const v of value) {
        if (!isBytes(v)) return undefined;
        (out ??= []).push(key, v);
      }
    } else {
      if (!isBytes(value)) return undefined;
      (out ??= []).push(key, value);
    }
  }
  return out;
}

let originalRecord: RecordFunction | undefined;
let originalRecordBatch: RecordBatchFunction | undefined;
let Encoder: EncoderClass | undefined;
let Long: LongClass | undefined;
let crc32c: ((bytes: Uint8Array) => number) | undefined;
let MAGIC_BYTE = 2;

/**
 * The replacement of kafkajs' `Record`: a {@linkcode DescribedRecord}, or kafkajs' own encoder
 * of the record when it is not one the direct path writes.
 */
export function describeRecord(args: RecordArgs): unknown {
  calls.Record++;
  const offsetDelta = args.offsetDelta === undefined ? 0 : args.offsetDelta;
  const timestampDelta = args.timestampDelta === undefined ? 0 : args.timestampDelta;
  const { key, value } = args;
  if (
    isInt32(offsetDelta) && isInt32(timestampDelta) &&
    (key == null || isBytes(key)) && (value == null || isBytes(value))
  ) {
    const headers = flatHeaders(args.headers);
    if (headers !== undefined) {
      return new DescribedRecord(args, offsetDelta, timestampDelta, headers);
    }
  }
  return originalRecord!(args);
}

/** A record as kafkajs' own `RecordBatch` takes it: kafkajs' encoder of it. */
function asKafkaJsRecord(record: unknown): unknown {
  return record instanceof DescribedRecord ? originalRecord!(record.args) : record;
}

function isKafkaJsEncoder(record: unknown): record is EncoderInstance {
  return record instanceof (Encoder as unknown as new () => EncoderInstance);
}

/** The replacement of kafkajs' `RecordBatch` (see the module's documentation). */
export function directRecordBatch(args: RecordBatchArgs): Promise<EncoderInstance> {
  const records = args.records === undefined ? [] : args.records;
  const compression = args.compression === undefined ? COMPRESSION_NONE : args.compression;
  let recordBytes = 0;
  let direct = compression === COMPRESSION_NONE;
  for (let i = 0; direct && i < records.length; i++) {
    const r = records[i];
    if (r instanceof DescribedRecord) recordBytes += r.size;
    else if (isKafkaJsEncoder(r)) recordBytes += r.offset;
    else direct = false;
  }
  if (!direct) {
    return originalRecordBatch!({ ...args, records: records.map(asKafkaJsRecord) });
  }
  try {
    return Promise.resolve(writeBatch(args, records, compression, recordBytes));
  } catch (error) {
    return Promise.reject(error); // kafkajs' RecordBatch is async: it rejects, it does not throw
  }
}

function writeBatch(
  args: RecordBatchArgs,
  records: unknown[],
  compression: number,
  recordBytes: number,
): EncoderInstance {
  calls.RecordBatch++;
  const E = Encoder!;
  // kafkajs' defaults, in its order (Date.now() twice, as kafkajs calls it).
  const firstOffset = args.firstOffset === undefined ? Long!.fromInt(0) : args.firstOffset;
  const firstTimestamp = args.firstTimestamp === undefined ? Date.now() : args.firstTimestamp;
  const maxTimestamp = args.maxTimestamp === undefined ? Date.now() : args.maxTimestamp;
  const partitionLeaderEpoch = args.partitionLeaderEpoch === undefined
    ? 0
    : args.partitionLeaderEpoch;
  const lastOffsetDelta = args.lastOffsetDelta === undefined ? 0 : args.lastOffsetDelta;
  const transactional = args.transactional === undefined ? false : args.transactional;
  const producerId = args.producerId === undefined ? Long!.fromValue(-1) : args.producerId;
  const producerEpoch = args.producerEpoch === undefined ? 0 : args.producerEpoch;
  const firstSequence = args.firstSequence === undefined ? 0 : args.firstSequence;
  const attributes = (compression & COMPRESSION_CODEC_MASK) |
    (transactional ? TRANSACTIONAL_MASK : 0);

  // The fixed fields through kafkajs' own Encoder (its conversions and range checks), in
  // kafkajs' order: the body's, then the leader epoch and magic byte, then the first offset.
  const head = new E(BODY_HEAD_BYTES)
    .writeInt16(attributes)
    .writeInt32(lastOffsetDelta)
    .writeInt64(firstTimestamp)
    .writeInt64(maxTimestamp)
    .writeInt64(producerId)
    .writeInt16(producerEpoch)
    .writeInt32(firstSequence)
    .writeInt32(records.length);
  const bodyBytes = head.offset + recordBytes;
  const epoch = new E(8).writeInt32(partitionLeaderEpoch).writeInt8(MAGIC_BYTE);
  const first = new E(12)
    .writeInt64(firstOffset)
    .writeInt32(epoch.offset + 4 + bodyBytes); // the batch's length: from the leader epoch on

  const total = first.offset + epoch.offset + 4 + bodyBytes;
  if (total !== PREFIX_BYTES + bodyBytes) {
    throw new Error(`direct record batch: a ${total - bodyBytes}-byte prefix (a bug)`);
  }
  const buf = Buffer.allocUnsafe(total);
  buf.set(first.buf.subarray(0, first.offset), 0);
  buf.set(epoch.buf.subarray(0, epoch.offset), first.offset);
  let o = PREFIX_BYTES;
  buf.set(head.buf.subarray(0, head.offset), o);
  o += head.offset;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r instanceof DescribedRecord) o = r.writeTo(buf, o);
    else {
      const bytes = (r as EncoderInstance).buffer;
      buf.set(bytes, o);
      o += bytes.length;
    }
  }
  if (o !== total) {
    throw new Error(`direct record batch: wrote ${o} bytes of a ${total}-byte batch (a bug)`);
  }
  buf.writeUInt32BE(crc32c!(buf.subarray(PREFIX_BYTES)), PREFIX_BYTES - 4);

  const out = new E(0); // kafkajs' smallest encoder, then given the batch
  out.buf = buf;
  out.offset = total;
  return out;
}

/** kafkajs' own `RecordBatch`, for tests. Throws before {@linkcode installDirectRecordBatch}. */
export function originalRecordBatchFunction(): RecordBatchFunction {
  if (originalRecordBatch === undefined) {
    throw new Error(
      "Cannot run kafkajs' own RecordBatch: the kafkajs gate (src/kafka/kafkajs.ts) has not installed the direct record batch.",
    );
  }
  return originalRecordBatch;
}

/** What {@linkcode installDirectRecordBatch} is given: kafkajs' internals it replaces or uses. */
export interface DirectRecordBatchInternals {
  /** The CommonJS cache entry of `src/protocol/recordBatch/record/v0/index.js`. */
  record: CommonJsModuleEntry;
  /** The exports of `src/protocol/recordBatch/v0/index.js`. */
  recordBatch: RecordBatchModule;
  /** `src/protocol/encoder.js`'s `Encoder`. */
  encoder: EncoderClass;
  /** `src/utils/long.js`'s `Long`. */
  long: LongClass;
  /** What `src/protocol/recordBatch/crc32C/index.js` exports (after the fast CRC32C). */
  crc32c: (bytes: Uint8Array) => number;
}

/**
 * Makes kafkajs' produce request encode through {@linkcode describeRecord} and
 * {@linkcode directRecordBatch}: replaces the exports of the record module and the
 * `RecordBatch` of the record batch module, keeping the originals. Must run before kafkajs'
 * `src/protocol/requests/produce/v3/request.js` is loaded (it takes both when it loads).
 * Idempotent.
 */
export function installDirectRecordBatch(internals: DirectRecordBatchInternals): void {
  if (internals.record.exports === describeRecord) return;
  for (
    const [name, value] of [
      ["Record", internals.record.exports],
      ["RecordBatch", internals.recordBatch.RecordBatch],
      ["Encoder", internals.encoder],
      ["crc32C", internals.crc32c],
    ] as const
  ) {
    if (typeof value !== "function") {
      throw new TypeError(
        `Cannot install the direct record batch: kafkajs' ${name} is a ${typeof value}, not a function`,
      );
    }
  }
  originalRecord = internals.record.exports as RecordFunction;
  originalRecordBatch = internals.recordBatch.RecordBatch as RecordBatchFunction;
  Encoder = internals.encoder;
  Long = internals.long;
  crc32c = internals.crc32c;
  MAGIC_BYTE = internals.recordBatch.MAGIC_BYTE;
  internals.record.exports = describeRecord;
  internals.recordBatch.RecordBatch = directRecordBatch;
}

/** Whether {@linkcode installDirectRecordBatch} has run (the gate installs it when it loads). */
export function directRecordBatchInstalled(): boolean {
  return originalRecord !== undefined;
}
