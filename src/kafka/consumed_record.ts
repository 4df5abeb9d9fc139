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
function view(buffer: Uint8Array): Uint8Array {
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
    headers[name] = typeof first === "string" ? new TextEncoder().encode(first) : view(first);
  }
  return {
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key ? view(m.key) : null,
    value: m.value ? view(m.value) : null,
    headers,
    timestamp: Number(m.timestamp),
  };
}

/** The headers of every record that has none: one frozen, empty object. */
export const NO_HEADERS: Record<string, Uint8Array> = Object.freeze({});

/**
 * A {@linkcode ConsumedRecord} without headers over the bytes of a fetch response
 * (`record_columns.ts` makes them): its key and value views are made when first read, and its
 * headers are {@linkcode NO_HEADERS}. One object per record, instead of four (the record, two
 * views and a headers object), while the record waits in a micro-batch: the garbage collector
 * copies what lives that long. Read it like any record; a spread (`{ ...record }`) copies only
 * topic, partition, offset and timestamp.
 */
export class ViewRecord implements ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  #bytes: Uint8Array;
  #keyStart: number;
  #keyLength: number;
  #valueStart: number;
  #valueLength: number;
  #key: Uint8Array | null | undefined;
  #value: Uint8Array | null | undefined;

  /**
   * A record of `topic`/`partition` whose key and value are the given ranges of `bytes` (a
   * length of -1: null).
   */
  constructor(
    topic: string,
    partition: number,
    offset: number,
    timestamp: number,
    bytes: Uint8Array,
    key: { start: number; length: number },
    value: { start: number; length: number },
  ) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.#bytes = bytes;
    this.#keyStart = key.start;
    this.#keyLength = key.length;
    this.#valueStart = value.start;
    this.#valueLength = value.length;
  }

  /** Key bytes (a view, made once), or `null`. */
  get key(): Uint8Array | null {
    return this.#key ??= this.#view(this.#keyStart, this.#keyLength);
  }

  /** Value bytes (a view, made once), or `null` for a tombstone. */
  get value(): Uint8Array | null {
    return this.#value ??= this.#view(this.#valueStart, this.#valueLength);
  }

  /** No headers: {@linkcode NO_HEADERS}. */
  get headers(): Record<string, Uint8Array> {
    return NO_HEADERS;
  }

  /** The value's length in bytes (0 for a tombstone), without making its view. */
  get valueLength(): number {
    return Math.max(0, this.#valueLength);
  }

  /**
   * Copies the value's bytes into `target` at `at` and returns their length (-1 for a tombstone,
   * nothing copied), without keeping a view on the record: a record that waits in a batch then
   * holds no view for the garbage collector to copy (the featurize worker's batches are packed so).
   */
  copyValueTo(target: Uint8Array, at: number): number {
    const length = this.#valueLength;
    if (length < 0) return -1;
    const b = this.#bytes;
    target.set(
      this.#value ?? new Uint8Array(b.buffer, b.byteOffset + this.#valueStart, length),
      at,
    );
    return length;
  }

  #view(start: number, length: number): Uint8Array | null {
    if (length < 0) return null;
    const b = this.#bytes;
    return new Uint8Array(b.buffer, b.byteOffset + start, length);
  }
}

/**
 * The bytes of `record`'s value (0 for a tombstone): the weight `--max-batch-bytes` bounds a
 * batch by.
 */
export function valueBytes(record: { readonly value: Uint8Array | null }): number {
  if (record instanceof ViewRecord) return record.valueLength;
  return record.value === null ? 0 : record.value.byteLength;
}
