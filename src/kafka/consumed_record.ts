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

/**
 * The bytes of `record`'s value (0 for a tombstone): the weight `--max-batch-bytes` bounds a
 * batch by.
 */
export function valueBytes(record: { readonly value: Uint8Array | null }): number {
  return record.value === null ? 0 : record.value.byteLength;
}
