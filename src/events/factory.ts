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

/** Rebuilds typed events from dicts or record bytes. */
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
