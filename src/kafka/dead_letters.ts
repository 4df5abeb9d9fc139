/**
 * Dead letters: a record that is not a valid event goes, unchanged (same key, same value bytes),
 * to `<topic>.dlq` with headers saying why (the `EventValidationError`'s reason, field and
 * message) and where it came from (source topic, partition, offset, timestamp), so a reader can
 * find it again and drop repeats after a replay. These are pure functions: write the result with
 * `EventProducer.sendRaw()`, read headers back with {@linkcode readDeadLetter}.
 *
 * @module
 */

import type { ConsumedRecord } from "./consumer.ts";
import type { RawRecord } from "./producer.ts";

/** The header names of a dead-letter record. */
export const DEAD_LETTER_HEADERS = {
  /** Machine-readable reason, e.g. `not_json`, `out_of_range`. */
  reason: "dlq.reason",
  /** The offending field, absent for the record as a whole. */
  field: "dlq.field",
  /** The error's message, for people. */
  message: "dlq.message",
  /** Source topic. */
  topic: "dlq.source.topic",
  /** Source partition (decimal). */
  partition: "dlq.source.partition",
  /** Source offset (decimal). */
  offset: "dlq.source.offset",
  /** Source record timestamp, epoch ms (decimal). */
  timestamp: "dlq.source.timestamp",
} as const;

/** The dead-letter topic of `topic`: `<topic>.dlq`. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** Why a record was rejected (an `EventValidationError` fits). */
export interface RejectionReason {
  /** Machine-readable reason. */
  reason: string;
  /** The offending field, or `null`/absent for the record as a whole. */
  field?: string | null;
  /** Human-readable message. */
  message: string;
}

/** What {@linkcode readDeadLetter} finds in a dead-letter record. */
export interface DeadLetterInfo extends RejectionReason {
  /** Where the record came from. */
  source: { topic: string; partition: number; offset: number; timestamp: number };
}

const MAX_MESSAGE = 1000;

/**
 * The dead-letter record for `record`: its key and value unchanged (its own headers kept too)
 * plus the `dlq.*` headers.
 *
 * @example A bad record to its dead-letter topic, and its reason read back
 * ```ts
 * import assert from "node:assert/strict";
 * import { tryDecodeEvent } from "../events/schema.ts";
 * import { deadLetterRecord, deadLetterTopic, readDeadLetter } from "./dead_letters.ts";
 *
 * const text = new TextEncoder();
 * const record = {
 *   topic: "clickstream_v2",
 *   partition: 3,
 *   offset: 41,
 *   key: text.encode("s1"),
 *   value: text.encode("not json"),
 *   headers: {},
 *   timestamp: 1_764_000_000_000,
 * };
 * const result = tryDecodeEvent(record.value);
 * assert.ok(!result.ok);
 * const letter = deadLetterRecord(record, result.error); // write it with producer.sendRaw()
 * assert.equal(deadLetterTopic(record.topic), "clickstream_v2.dlq");
 * assert.equal(letter.value, record.value); // unchanged
 *
 * // As a consumer of the dead-letter topic gets it back:
 * const headers: Record<string, Uint8Array> = {};
 * for (const [name, value] of Object.entries(letter.headers ?? {})) {
 *   headers[name] = typeof value === "string" ? text.encode(value) : value;
 * }
 * const info = readDeadLetter({ ...record, topic: "clickstream_v2.dlq", headers });
 * assert.equal(info?.reason, "not_json");
 * assert.deepEqual(info?.source, {
 *   topic: "clickstream_v2",
 *   partition: 3,
 *   offset: 41,
 *   timestamp: 1_764_000_000_000,
 * });
 * ```
 */
export function deadLetterRecord(record: ConsumedRecord, why: RejectionReason): RawRecord {
  const headers: Record<string, string | Uint8Array> = { ...record.headers };
  headers[DEAD_LETTER_HEADERS.reason] = why.reason;
  if (why.field) headers[DEAD_LETTER_HEADERS.field] = why.field;
  headers[DEAD_LETTER_HEADERS.message] = why.message.slice(0, MAX_MESSAGE);
  headers[DEAD_LETTER_HEADERS.topic] = record.topic;
  headers[DEAD_LETTER_HEADERS.partition] = String(record.partition);
  headers[DEAD_LETTER_HEADERS.offset] = String(record.offset);
  headers[DEAD_LETTER_HEADERS.timestamp] = String(record.timestamp);
  return { key: record.key, value: record.value, headers };
}

/** Reads the `dlq.*` headers of a dead-letter record; `undefined` when it has none. */
export function readDeadLetter(record: ConsumedRecord): DeadLetterInfo | undefined {
  const text = (name: string) => {
    const bytes = record.headers[name];
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  };
  const reason = text(DEAD_LETTER_HEADERS.reason);
  if (reason === undefined) return undefined;
  return {
    reason,
    field: text(DEAD_LETTER_HEADERS.field) ?? null,
    message: text(DEAD_LETTER_HEADERS.message) ?? "",
    source: {
      topic: text(DEAD_LETTER_HEADERS.topic) ?? "",
      partition: Number(text(DEAD_LETTER_HEADERS.partition) ?? -1),
      offset: Number(text(DEAD_LETTER_HEADERS.offset) ?? -1),
      timestamp: Number(text(DEAD_LETTER_HEADERS.timestamp) ?? 0),
    },
  };
}
