/**
 * `EventFactory`: rebuilds typed events from untrusted input, as the original's
 * `EventFactory.from_dict()` did, returning a {@linkcode PurchaseEvent} for purchases and a
 * {@linkcode ClickEvent} otherwise. Bad input raises {@linkcode EventValidationError}, and
 * nothing else.
 *
 * @module
 */

import { ClickEvent, PurchaseEvent } from "./event.ts";
import type { EventValidationError } from "./errors.ts";
import { tryDecodeEvent, tryValidateEvent } from "./schema.ts";
import type { WireEvent } from "./wire.ts";

/** Builds the typed event for an already-validated wire object. */
export function toTypedEvent(wire: WireEvent): ClickEvent {
  return wire.action === "purchase"
    ? new PurchaseEvent(wire as WireEvent & { amount: number })
    : new ClickEvent(wire);
}

/**
 * Rebuilds typed events from dicts or record bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventValidationError } from "./errors.ts";
 * import { PurchaseEvent } from "./event.ts";
 * import { EventFactory } from "./factory.ts";
 *
 * const event = EventFactory.fromDict({
 *   user_id: 7,
 *   url: "/checkout",
 *   action: "purchase",
 *   session_id: "s1",
 *   timestamp: 1_764_000_000,
 *   amount: 42.5,
 * });
 * assert.ok(event instanceof PurchaseEvent && event.isPurchase());
 * assert.equal(event.eventType(), "purchase");
 * assert.throws(() => EventFactory.fromDict({ action: "view" }), EventValidationError);
 * ```
 */
export const EventFactory = {
  /**
   * Validates a parsed JSON value and returns the typed event.
   * @throws {EventValidationError} naming the field and the reason
   */
  fromDict(value: unknown): ClickEvent {
    const result = tryValidateEvent(value);
    if (!result.ok) throw result.error satisfies EventValidationError;
    return toTypedEvent(result.event);
  },

  /**
   * Decodes a record value (UTF-8 JSON) and returns the typed event.
   * @throws {EventValidationError} naming the field and the reason
   */
  fromBytes(bytes: Uint8Array): ClickEvent {
    const result = tryDecodeEvent(bytes);
    if (!result.ok) throw result.error;
    return toTypedEvent(result.event);
  },
};
