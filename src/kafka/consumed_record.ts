/**
 * What `EventConsumer` hands out: a consumed record as plain bytes and metadata (no Node
 * `Buffer`, no kafkajs type), and the partition shapes its offset calls take. `toRecord()` makes
 * one from a kafkajs message without copying the bytes.
 *
 * @module
 */

import type { KafkaMessage } from "./kafkajs.ts";

/** One consumed record. Offsets are numbers (exact up to 2^53). */
export interface ConsumedRecord {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Offset within the partition. */
  offset: number;
  /** Key bytes, or `null`. */
  key: Uint8Array | null;
  /** Value bytes, or `null` for a tombstone. */
  value: Uint8Array | null;
  /** Headers (the first value of a repeated header). */
  headers: Record<string, Uint8Array>;
  /** Record timestamp, epoch ms. */
  timestamp: number;
}

/** A partition and the next offset to read from it. */
export interface PartitionOffset {
  /** Topic. Without it, the consumer's (first) topic. */
  topic?: string;
  /** Partition. */
  partition: number;
  /** The next offset to read (one past the last processed record). */
  offset: number;
}

/** A topic's partitions. */
export interface TopicPartitions {
  /** Topic. */
  topic: string;
  /** Partitions. */
  partitions: number[];
}

/** The key of a partition in the consumer's maps: topic and partition in one string. */
export const partKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** A plain `Uint8Array` view of kafkajs' Node `Buffer` (no copy), so no Node type leaks out. */
function plainView(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The {@linkcode ConsumedRecord} of a kafkajs message of `topic`/`partition` (bytes not copied). */
export function toRecord(topic: string, partition: number, m: KafkaMessage): ConsumedRecord {
  const headers: Record<string, Uint8Array> = {};
  const raws = m.headers;
  for (const name in raws) {
    const raw = raws[name];
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first === undefined) continue;
    headers[name] = typeof first === "string" ? new TextEncoder().encode(first) : plainView(first);
  }
  return {
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key ? plainView(m.key) : null,
    value: m.value ? plainView(m.value) : null,
    headers,
    timestamp: Number(m.timestamp),
  };
}

/** The headers of every record that has none: one frozen, empty object. */
export const NO_HEADERS: Record<string, Uint8Array> = Object.freeze({});

/**
 * The columns of a fetched record set a {@linkcode ViewRecord} reads (`record_columns.ts`'s
 * `RecordColumns` has them): the record set's bytes, and per record its offset, timestamp and
 * the byte ranges of its key and value in them (a length of -1: null).
 */
export interface RecordColumnsView {
  /** The record set's bytes. */
  readonly bytes: Uint8Array;
  /** Each record's offset. */
  readonly offsets: Float64Array;
  /** Each record's timestamp, epoch ms. */
  readonly timestamps: Float64Array;
  /** Each record's key start in {@linkcode RecordColumnsView.bytes}. */
  readonly keyStart: Int32Array;
  /** Each record's key length (-1: a null key). */
  readonly keyLength: Int32Array;
  /** Each record's value start in {@linkcode RecordColumnsView.bytes}. */
  readonly valueStart: Int32Array;
  /** Each record's value length (-1: a tombstone). */
  readonly valueLength: Int32Array;
}

/** One fetched record set of one partition: what its {@linkcode ViewRecord}s share. */
export interface FetchedRun {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** The record set's columns. */
  readonly columns: RecordColumnsView;
}

/**
 * A {@linkcode ConsumedRecord} without headers over the columns of a fetch response
 * (`record_columns.ts` makes them): two fields, the fetched run it belongs to and its index
 * there; every field is read from the run's columns, and its key and value views are made when
 * read (a new view each time: none is kept on the record), its headers are
 * {@linkcode NO_HEADERS}. The records wait in a micro-batch until it is learnt, and the garbage
 * collector copies (then promotes) what lives that long: one small object per record instead of
 * four (the record, two views and a headers object) or of one with eleven fields and its views
 * (docs/design.md "What a record allocates"). Read it like any record; its fields are getters
 * (a spread, `{ ...record }`, copies none of them).
 */
export class ViewRecord implements ConsumedRecord {
  #run: FetchedRun;
  #index: number;

  /** Record `index` of the fetched `run`. */
  constructor(run: FetchedRun, index: number) {
    this.#run = run;
    this.#index = index;
  }

  /** Topic. */
  get topic(): string {
    return this.#run.topic;
  }

  /** Partition. */
  get partition(): number {
    return this.#run.partition;
  }

  /** Offset within the partition. */
  get offset(): number {
    return this.#run.columns.offsets[this.#index];
  }

  /** Record timestamp, epoch ms. */
  get timestamp(): number {
    return this.#run.columns.timestamps[this.#index];
  }

  /** Key bytes (a new view over the fetch response each time), or `null`. */
  get key(): Uint8Array | null {
    const c = this.#run.columns;
    return view(c.bytes, c.keyStart[this.#index], c.keyLength[this.#index]);
  }

  /** Value bytes (a new view over the fetch response each time), or `null` for a tombstone. */
  get value(): Uint8Array | null {
    const c = this.#run.columns;
    return view(c.bytes, c.valueStart[this.#index], c.valueLength[this.#index]);
  }

  /** No headers: {@linkcode NO_HEADERS}. */
  get headers(): Record<string, Uint8Array> {
    return NO_HEADERS;
  }

  /**
   * The fetch response's bytes its value lies in (no view made): with
   * {@linkcode ViewRecord.valueStart}, what the featurize worker's packing copies the values of a
   * fetch's consecutive records out of in one go.
   */
  get fetchBytes(): Uint8Array {
    return this.#run.columns.bytes;
  }

  /** Where its value starts in {@linkcode ViewRecord.fetchBytes}; -1 for a tombstone. */
  get valueStart(): number {
    const c = this.#run.columns;
    return c.valueLength[this.#index] < 0 ? -1 : c.valueStart[this.#index];
  }

  /** The value's length in bytes (0 for a tombstone), without making its view. */
  get valueLength(): number {
    return Math.max(0, this.#run.columns.valueLength[this.#index]);
  }

  /**
   * Copies the value's bytes into `target` at `at` and returns their length (-1 for a tombstone,
   * nothing copied), without a view (the featurize worker's batches are packed so).
   */
  copyValueTo(target: Uint8Array, at: number): number {
    const c = this.#run.columns;
    const length = c.valueLength[this.#index];
    if (length < 0) return -1;
    target.set(view(c.bytes, c.valueStart[this.#index], length)!, at);
    return length;
  }
}

/** A plain `Uint8Array` of `length` bytes of `bytes` from `start` (-1: `null`), not a copy. */
function view(bytes: Uint8Array, start: number, length: number): Uint8Array | null {
  if (length < 0) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, length);
}

/**
 * The bytes of `record`'s value (0 for a tombstone): the weight `--max-batch-bytes` bounds a
 * batch by.
 */
export function valueBytes(record: { readonly value: Uint8Array | null }): number {
  if (record instanceof ViewRecord) return record.valueLength;
  return record.value === null ? 0 : record.value.byteLength;
}
