/**
 * The zod schema of the wire format (docs/design.md "Wire format") and the functions that decode
 * and validate a record into a plain {@linkcode WireEvent}. Unknown extra fields are accepted and
 * dropped; everything else that breaks the table becomes an {@linkcode EventValidationError}
 * naming the field and the reason. Validation never throws anything else.
 *
 * @module
 */

import { z } from "zod";
import { EventValidationError } from "./errors.ts";
import {
  type Action,
  ACTIONS,
  MAX_RECORD_BYTES,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  type WireEvent,
} from "./wire.ts";

/** Longest accepted `session_id` and `url`, in characters. */
export const MAX_ID_LENGTH = 256;
/** Longest accepted `url`, in characters. */
export const MAX_URL_LENGTH = 4096;

/** The type of {@linkcode wireEventSchema}: a zod object schema of the six wire fields. */
export type WireEventSchema = z.ZodObject<{
  user_id: z.ZodNumber;
  url: z.ZodString;
  action: z.ZodEnum<{ [A in Action]: A }>;
  session_id: z.ZodString;
  timestamp: z.ZodNumber;
  amount: z.ZodOptional<z.ZodNumber>;
}, z.core.$strip>;

/** The zod schema of one event (fields only; the purchase/amount rule is applied after it). */
export const wireEventSchema: WireEventSchema = z.object({
  user_id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  url: z.string().min(1).max(MAX_URL_LENGTH),
  action: z.enum(ACTIONS),
  session_id: z.string().min(1).max(MAX_ID_LENGTH),
  timestamp: z.number().int().min(MIN_TIMESTAMP).max(MAX_TIMESTAMP),
  amount: z.number().gt(0).max(Number.MAX_VALUE).optional(),
});

type Issue = z.core.$ZodIssue;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  if (typeof value === "string") {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === "object") return "an object";
  return String(value);
}

function toError(issue: Issue, input: Record<string, unknown>): EventValidationError {
  const field = issue.path.length > 0 ? String(issue.path[0]) : null;
  const value = field === null ? undefined : input[field];
  const name = field ?? "record";
  switch (issue.code) {
    case "invalid_type":
      if (field !== null && input[field] === undefined) {
        return new EventValidationError("missing_field", `${name} is missing`, { field });
      }
      if (issue.expected === "int") {
        return new EventValidationError(
          "wrong_type",
          `${name} must be an integer, got ${describe(value)}`,
          { field },
        );
      }
      if (typeof value === "number") {
        return new EventValidationError(
          "invalid_value",
          `${name} must be a finite number, got ${describe(value)}`,
          { field },
        );
      }
      return new EventValidationError(
        "wrong_type",
        `${name} must be ${issue.expected === "number" ? "a number" : `a ${issue.expected}`}, got ${
          describe(value)
        }`,
        { field },
      );
    case "invalid_value":
      if (field === "action") {
        return new EventValidationError(
          "unknown_action",
          `action must be one of ${ACTIONS.join(", ")}, got ${describe(value)}`,
          { field },
        );
      }
      return new EventValidationError("invalid_value", `${name} has an invalid value`, { field });
    case "too_small":
    case "too_big": {
      if (typeof value === "string") {
        return new EventValidationError(
          "invalid_value",
          value.length === 0 ? `${name} must not be empty` : `${name} is too long`,
          { field },
        );
      }
      if (field === "amount") {
        return new EventValidationError(
          "invalid_value",
          `amount must be a finite number > 0, got ${describe(value)}`,
          { field },
        );
      }
      if (field === "timestamp") {
        return new EventValidationError(
          "out_of_range",
          `timestamp must be epoch seconds in 2000-01-01..2100-01-01, got ${describe(value)}`,
          { field },
        );
      }
      return new EventValidationError(
        "out_of_range",
        `${name} is out of range, got ${describe(value)}`,
        { field },
      );
    }
    default:
      return new EventValidationError("invalid_value", `${name}: ${issue.message}`, { field });
  }
}

/** Result of {@linkcode tryValidateEvent} / {@linkcode tryDecodeEvent}: never throws. */
export type DecodeResult =
  | { ok: true; event: WireEvent }
  | { ok: false; error: EventValidationError };

/**
 * The fast path of validation: the event when `value` is plainly valid, else `null` — then the
 * zod schema decides and names the error. It accepts nothing the schema and the amount rule
 * would reject (a property test holds it to that), and it is about three times faster than zod
 * on the trainer's hot path. Exported for that test.
 */
export function fastValidEvent(value: unknown): WireEvent | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  const userId = o.user_id, url = o.url, action = o.action, sessionId = o.session_id;
  const timestamp = o.timestamp, amount = o.amount;
  if (
    typeof userId !== "number" || !Number.isSafeInteger(userId) || userId < 1 ||
    typeof url !== "string" || url.length < 1 || url.length > MAX_URL_LENGTH ||
    typeof sessionId !== "string" || sessionId.length < 1 || sessionId.length > MAX_ID_LENGTH ||
    typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) ||
    timestamp < MIN_TIMESTAMP || timestamp > MAX_TIMESTAMP
  ) {
    return null;
  }
  if (action === "purchase") {
    if (typeof amount !== "number" || !(amount > 0) || !(amount <= Number.MAX_VALUE)) return null;
    return { user_id: userId, url, action, session_id: sessionId, timestamp, amount };
  }
  if ((action !== "click" && action !== "view" && action !== "scroll") || amount !== undefined) {
    return null;
  }
  return { user_id: userId, url, action, session_id: sessionId, timestamp };
}

/**
 * Validates an already-parsed value against the wire format, returning a fresh
 * {@linkcode WireEvent} (extra fields dropped) or the error. Never throws.
 */
export function tryValidateEvent(value: unknown): DecodeResult {
  const fast = fastValidEvent(value);
  if (fast !== null) return { ok: true, event: fast };
  return validateWithSchema(value);
}

/** The zod path of {@linkcode tryValidateEvent}; exported for the equivalence test. */
export function validateWithSchema(value: unknown): DecodeResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      ok: false,
      error: new EventValidationError(
        "not_object",
        `an event must be a JSON object, got ${describe(value)}`,
      ),
    };
  }
  const input = value as Record<string, unknown>;
  const parsed = wireEventSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, error: toError(parsed.error.issues[0], input) };
  }
  const event = parsed.data as WireEvent;
  if (event.action === "purchase") {
    if (event.amount === undefined) {
      const error = input.amount !== undefined
        ? new EventValidationError("wrong_type", "amount must be a number on a purchase", {
          field: "amount",
        })
        : new EventValidationError("amount_required", "a purchase must carry an amount", {
          field: "amount",
        });
      return { ok: false, error };
    }
  } else if (input.amount !== undefined) {
    return {
      ok: false,
      error: new EventValidationError(
        "amount_forbidden",
        `amount is only allowed on a purchase, not on a ${event.action}`,
        { field: "amount" },
      ),
    };
  } else {
    delete event.amount;
  }
  return { ok: true, event };
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Decodes one Kafka record value (UTF-8 JSON) into a validated {@linkcode WireEvent}, or the
 * error saying why it is not one. Never throws.
 */
export function tryDecodeEvent(bytes: Uint8Array | null | undefined): DecodeResult {
  if (bytes === null || bytes === undefined) {
    return {
      ok: false,
      error: new EventValidationError("not_json", "the record has no value (a tombstone)"),
    };
  }
  if (bytes.byteLength > MAX_RECORD_BYTES) {
    return {
      ok: false,
      error: new EventValidationError(
        "too_large",
        `the record is ${bytes.byteLength} bytes, over the limit of ${MAX_RECORD_BYTES}`,
      ),
    };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (cause) {
    return {
      ok: false,
      error: new EventValidationError("not_utf8", "the record is not valid UTF-8", { cause }),
    };
  }
  return parseEvent(text);
}

/** JSON text → a validated event, or the reason it is not one. */
function parseEvent(text: string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return {
      ok: false,
      error: new EventValidationError(
        "not_json",
        `the record is not JSON: ${(cause as Error).message}`,
        { cause },
      ),
    };
  }
  return tryValidateEvent(value);
}

/** A single-byte decoding: one UTF-16 unit per byte, ASCII as itself, any other byte not ASCII. */
const singleByte = new TextDecoder("latin1");
const NOT_ASCII = /[\u0080-\uffff]/;
/** Most bytes decoded at once by {@linkcode tryDecodeEvents}. */
const CHUNK_BYTES = 1 << 20;

/**
 * {@linkcode tryDecodeEvent} for many record values at once, with the same result for each. A
 * `TextDecoder` call per record costs more than the JSON parse of a small event; here the values
 * are copied into one buffer and decoded by one call (byte-per-character), and a value that is
 * all ASCII — which UTF-8 decodes to the same text — is parsed from its slice. Any other value
 * (non-ASCII, a byte-order mark, invalid UTF-8, missing or too large) takes the single path.
 *
 * @example One result per value, in order
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeEvent, tryDecodeEvents } from "./schema.ts";
 *
 * const view = encodeEvent({
 *   user_id: 1,
 *   url: "/home",
 *   action: "view",
 *   session_id: "a",
 *   timestamp: 1_764_000_000,
 * });
 * const [good, bad, tombstone] = tryDecodeEvents([view, new TextEncoder().encode("[1]"), null]);
 * assert.ok(good.ok && good.event.session_id === "a");
 * assert.ok(!bad.ok && bad.error.reason === "not_object");
 * assert.ok(!tombstone.ok && tombstone.error.reason === "not_json");
 * ```
 *
 * @param values Record values; `null` or `undefined` for a tombstone.
 * @returns For each value, the event or the reason it is not one.
 */
export function tryDecodeEvents(
  values: readonly (Uint8Array | null | undefined)[],
): DecodeResult[] {
  const results = new Array<DecodeResult>(values.length);
  let from = 0;
  while (from < values.length) {
    // One chunk: values from `from` up to about CHUNK_BYTES.
    let to = from;
    let bytes = 0;
    while (to < values.length && (to === from || bytes < CHUNK_BYTES)) {
      const v = values[to++];
      if (v && v.byteLength <= MAX_RECORD_BYTES) bytes += v.byteLength;
    }
    const joined = new Uint8Array(bytes);
    let offset = 0;
    for (let i = from; i < to; i++) {
      const v = values[i];
      if (v && v.byteLength <= MAX_RECORD_BYTES) {
        joined.set(v, offset);
        offset += v.byteLength;
      }
    }
    const text = singleByte.decode(joined);
    offset = 0;
    for (let i = from; i < to; i++) {
      const v = values[i];
      if (!v || v.byteLength > MAX_RECORD_BYTES) {
        results[i] = tryDecodeEvent(v);
        continue;
      }
      const slice = text.slice(offset, offset + v.byteLength);
      offset += v.byteLength;
      results[i] = NOT_ASCII.test(slice) ? tryDecodeEvent(v) : parseEvent(slice);
    }
    from = to;
  }
  return results;
}

/**
 * Like {@linkcode tryDecodeEvent} but throws the {@linkcode EventValidationError}.
 *
 * @example A record value and back
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventValidationError } from "./errors.ts";
 * import { decodeEvent, encodeEvent } from "./schema.ts";
 *
 * const bytes = encodeEvent({
 *   user_id: 7,
 *   url: "/cart",
 *   action: "purchase",
 *   session_id: "s1",
 *   timestamp: 1_764_000_000,
 *   amount: 19.99,
 * });
 * const event = decodeEvent(bytes);
 * assert.equal(event.amount, 19.99);
 * assert.deepEqual(encodeEvent(event), bytes);
 * assert.throws(
 *   () => decodeEvent(new TextEncoder().encode('{"user_id": 7}')),
 *   (error) => error instanceof EventValidationError && error.message === "url is missing",
 * );
 * ```
 *
 * @param bytes One record value (UTF-8 JSON).
 * @returns The validated event.
 * @throws {EventValidationError} naming the field and the reason
 */
export function decodeEvent(bytes: Uint8Array): WireEvent {
  const result = tryDecodeEvent(bytes);
  if (!result.ok) throw result.error;
  return result.event;
}

const utf8Encoder = new TextEncoder();

/** Encodes an event as one record value: JSON, UTF-8, fields in the wire order. */
export function encodeEvent(event: WireEvent): Uint8Array {
  return utf8Encoder.encode(stringifyEvent(event));
}

/** The JSON text of an event, fields in the original's order, `amount` only when present. */
export function stringifyEvent(event: WireEvent): string {
  const fields = {
    user_id: event.user_id,
    url: event.url,
    action: event.action,
    session_id: event.session_id,
    timestamp: event.timestamp,
  };
  return JSON.stringify(event.amount === undefined ? fields : { ...fields, amount: event.amount });
}
