/**
 * Typed events from consumed records: whoever reads a topic of clickstream events and wants
 * `ClickEvent`s decodes the records' values here (the Kafka consumer yields bytes and metadata,
 * and knows nothing of events). A bad record comes as `{ ok: false, error }` with the
 * `EventValidationError` naming the field and the reason, and the stream goes on.
 *
 * @example Decoding a stream of records
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeEvent } from "./schema.ts";
 * import { typedRecords } from "./typed_records.ts";
 *
 * async function* records() {
 *   const view = {
 *     user_id: 1,
 *     url: "/home",
 *     action: "view",
 *     session_id: "s1",
 *     timestamp: 1_764_000_000,
 *   } as const;
 *   yield { offset: 0, value: encodeEvent(view) };
 *   yield { offset: 1, value: new TextEncoder().encode("not json") };
 * }
 *
 * const seen: string[] = [];
 * for await (const item of typedRecords(records())) {
 *   if (item.ok) seen.push(`${item.record.offset}: ${item.event.sessionId}`);
 *   else seen.push(`${item.record.offset}: ${item.error.reason}`);
 * }
 * assert.deepEqual(seen, ["0: s1", "1: not_json"]);
 * ```
 *
 * @module
 */

import type { EventValidationError } from "./errors.ts";
import type { ClickEvent } from "./event.ts";
import { EventFactory } from "./factory.ts";

/** What a record needs for decoding: its value bytes (`null` for a tombstone). */
export interface EncodedRecord {
  /** The value bytes, or `null`. */
  value: Uint8Array | null;
}

/** A record decoded as a typed event, or with the reason it is not one. */
export type TypedRecord<R extends EncodedRecord = EncodedRecord> =
  | { record: R; ok: true; event: ClickEvent }
  | { record: R; ok: false; error: EventValidationError };

/**
 * Decodes one record's value (`EventFactory.fromBytes`; a tombstone decodes as empty bytes, which
 * is not an event).
 */
export function typedRecord<R extends EncodedRecord>(record: R): TypedRecord<R> {
  try {
    const event = EventFactory.fromBytes(record.value ?? new Uint8Array());
    return { record, ok: true, event };
  } catch (error) {
    return { record, ok: false, error: error as EventValidationError };
  }
}

/**
 * Iterates `records` decoded as typed events ({@linkcode typedRecord}). Ending the loop early
 * (`break`) ends the iteration of `records` too, as a loop over them would.
 */
export async function* typedRecords<R extends EncodedRecord>(
  records: AsyncIterable<R>,
): AsyncGenerator<TypedRecord<R>, void, undefined> {
  for await (const record of records) yield typedRecord(record);
}
