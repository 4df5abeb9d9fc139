/**
 * The partition of a record key, computed the way Kafka's Java client (and kafkajs' default
 * partitioner) does — `toPositive(murmur2(keyBytes)) % partitions`, Kafka's 32-bit murmur2 with
 * seed `0x9747b28c` — but with 32-bit integer arithmetic (`Math.imul`) instead of kafkajs' 64-bit
 * `Long` emulation, which cost about a tenth of the generator's CPU per record. The load generator
 * sets each record's partition itself, so kafkajs skips its own hashing; a session still lands
 * where any Kafka client would put it.
 *
 * @module
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 of `data` as a signed 32-bit integer (`org.apache.kafka.common.utils.Utils`). */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[whole + 2] << 16;
    if (tail >= 2) h ^= data[whole + 1] << 8;
    h ^= data[whole];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition of `key` among `partitions`, as Kafka's default partitioner chooses it.
 *
 * @example Kafka's own test vectors
 * ```ts
 * import assert from "node:assert/strict";
 * import { murmur2, partitionOf } from "./partitioner.ts";
 *
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * assert.equal(murmur2(bytes("21")), -973932308);
 * assert.equal(murmur2(bytes("foobar")), -790332482);
 * assert.equal(partitionOf(bytes("foobar"), 12), (-790332482 & 0x7fffffff) % 12);
 * ```
 */
export function partitionOf(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
