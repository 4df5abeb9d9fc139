/**
 * The load generator's encode path: a batch of events becomes Kafka records (key = session id,
 * value = the event's JSON) written into one shared byte buffer, with one `Buffer` view per key
 * and value — no copy and no allocation per byte. The JSON comes from a template literal in the
 * wire format's field order instead of building an ordered object for `JSON.stringify` per
 * event; the bytes are identical to `stringifyEvent` (the definition of the wire bytes), which
 * `tests/loadgen/record_encoder_test.ts` checks. A field that a template could render differently
 * (a string needing JSON escapes, a non-finite number) sends that event through `stringifyEvent`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { stringifyEvent } from "../events/schema.ts";
import type { WireEvent } from "../events/wire.ts";
import { partitionOf } from "./partitioner.ts";

/** One encoded record: views into the batch's buffer. */
export interface EncodedRecord {
  /** The session id, UTF-8. */
  key: Buffer;
  /** The event's JSON, UTF-8. */
  value: Buffer;
  /** The key's partition, when {@linkcode EncodeBatchOptions.partitions} was given. */
  partition?: number;
}

/** A batch of encoded records. */
export interface EncodedBatch {
  /** The records, in the order of the events. */
  records: EncodedRecord[];
  /** Sum of the value sizes in bytes (what the load test counts as "bytes"). */
  valueBytes: number;
}

/**
 * Whether `text` has a character JSON.stringify would escape (`"`, `\`, a control character) or
 * a surrogate (a lone one is escaped; a pair is left to the slow path too). Such strings take
 * the slow path. A loop over the code units: for the generator's short strings, about half the
 * time of the equivalent regular expression.
 */
function needsEscape(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

/** The actions as the generator spells them: these need no check. */
const isPlainAction = (action: string) =>
  action === "click" || action === "view" || action === "scroll" || action === "purchase";

/**
 * The JSON text of `event`, byte-identical to `stringifyEvent(event)`, from a template when every
 * field renders the same way through it (the load generator's events always do).
 */
export function eventJson(event: WireEvent): string {
  const { user_id, url, action, session_id, timestamp, amount } = event;
  if (
    !Number.isFinite(user_id) || !Number.isFinite(timestamp) ||
    needsEscape(url) || needsEscape(session_id) || (!isPlainAction(action) && needsEscape(action))
  ) return stringifyEvent(event);
  const head =
    `{"user_id":${user_id},"url":"${url}","action":"${action}","session_id":"${session_id}","timestamp":${timestamp}`;
  if (amount === undefined) return head + "}";
  if (!Number.isFinite(amount)) return stringifyEvent(event);
  return `${head},"amount":${amount}}`;
}

const encoder = new TextEncoder();

/** Options of {@linkcode encodeBatch}. */
export interface EncodeBatchOptions {
  /** The events' JSON, already made with {@linkcode eventJson}. Without it, made here. */
  texts?: readonly string[];
  /**
   * The topic's partition count: each record then carries the partition Kafka's default
   * partitioner would choose for its key (`partitioner.ts`), so the client need not hash it.
   * Without it, the records carry no partition and the client partitions them.
   */
  partitions?: number;
}

/**
 * Encodes events into records that share one buffer (one allocation per batch; the buffer lives
 * until the last record is released). The keys and values are concatenated into one string and
 * encoded at once into that buffer (`encodeInto`: no intermediate copy); when it is ASCII (the
 * generator's always is) the offsets follow from the string lengths, otherwise each field is
 * encoded on its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stringifyEvent } from "../events/schema.ts";
 * import { partitionOf } from "./partitioner.ts";
 * import { encodeBatch } from "./record_encoder.ts";
 *
 * const event = {
 *   user_id: 7,
 *   url: "/cart",
 *   action: "view",
 *   session_id: "s1",
 *   timestamp: 1_764_000_000,
 * } as const;
 * const { records, valueBytes } = encodeBatch([event, { ...event, url: "/home" }], {
 *   partitions: 12,
 * });
 * assert.equal(records[0].key.toString(), "s1");
 * assert.equal(records[0].value.toString(), stringifyEvent(event)); // the wire bytes
 * assert.equal(records[0].key.buffer, records[1].value.buffer); // one shared buffer
 * assert.equal(records[0].partition, partitionOf(records[0].key, 12));
 * assert.equal(valueBytes, records[0].value.length + records[1].value.length);
 * ```
 */
export function encodeBatch(
  events: readonly WireEvent[],
  options: EncodeBatchOptions = {},
): EncodedBatch {
  const n = events.length;
  const texts = options.texts ?? events.map(eventJson);
  if (texts.length !== n) {
    throw new RangeError(`Cannot encode ${n} events with ${texts.length} texts: expected as many.`);
  }
  let joined = "";
  for (let i = 0; i < n; i++) {
    joined += events[i].session_id;
    joined += texts[i];
  }
  const records = new Array<EncodedRecord>(n);
  let valueBytes = 0;
  const all = Buffer.allocUnsafe(joined.length);
  const { read, written } = encoder.encodeInto(joined, all);
  // Every character read and one byte each: all ASCII (any other takes two bytes or more).
  if (read === joined.length && written === joined.length) {
    let offset = 0;
    for (let i = 0; i < n; i++) {
      const keyEnd = offset + events[i].session_id.length;
      const valueEnd = keyEnd + texts[i].length;
      records[i] = { key: all.subarray(offset, keyEnd), value: all.subarray(keyEnd, valueEnd) };
      valueBytes += valueEnd - keyEnd;
      offset = valueEnd;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const key = Buffer.from(events[i].session_id, "utf8");
      const value = Buffer.from(texts[i], "utf8");
      records[i] = { key, value };
      valueBytes += value.byteLength;
    }
  }
  const partitions = options.partitions;
  if (partitions !== undefined) {
    for (const record of records) {
      record.partition = partitions === 1 ? 0 : partitionOf(record.key, partitions);
    }
  }
  return { records, valueBytes };
}
