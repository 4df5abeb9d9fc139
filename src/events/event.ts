/**
 * The typed events of the original project: {@linkcode ClickEvent} and
 * {@linkcode PurchaseEvent}, which extends it with an amount. Each overrides `eventType()`,
 * `isPurchase()` and its JSON form, as the original's `models.py` did. Instances are immutable
 * and are built from already-validated wire objects (see `factory.ts`).
 *
 * @module
 */

import type { Action, WireEvent } from "./wire.ts";

/** A page interaction: click, view or scroll (and the base of {@linkcode PurchaseEvent}). */
export class ClickEvent {
  /** Integer user id. */
  readonly userId: number;
  /** Page url. */
  readonly url: string;
  /** What the user did. */
  readonly action: Action;
  /** Session id (the Kafka key). */
  readonly sessionId: string;
  /** Event time, epoch seconds. */
  readonly timestamp: number;

  /** Builds an event from already-validated fields; use `EventFactory` for untrusted input. */
  constructor(wire: WireEvent) {
    this.userId = wire.user_id;
    this.url = wire.url;
    this.action = wire.action;
    this.sessionId = wire.session_id;
    this.timestamp = wire.timestamp;
  }

  /** The kind of event, as the original's `event_type()`: `"click"` for page interactions. */
  eventType(): "click" | "purchase" {
    return "click";
  }

  /** Whether this event is a purchase (the label of the learning problem). */
  isPurchase(): boolean {
    return false;
  }

  /** The wire form (snake_case fields), as the original's `to_dict()`. */
  toJSON(): WireEvent {
    // A purchase is a PurchaseEvent (see EventFactory), whose toJSON adds the amount.
    return {
      user_id: this.userId,
      url: this.url,
      action: this.action,
      session_id: this.sessionId,
      timestamp: this.timestamp,
    } as WireEvent;
  }
}

/** A purchase: a {@linkcode ClickEvent} with an amount. */
export class PurchaseEvent extends ClickEvent {
  /** Purchase amount, a finite number > 0. */
  readonly amount: number;

  /** Builds a purchase from already-validated fields (`amount` must be present). */
  constructor(wire: WireEvent & { amount: number }) {
    super(wire);
    this.amount = wire.amount;
  }

  /** Always `"purchase"`. */
  override eventType(): "purchase" {
    return "purchase";
  }

  /** Always `true`. */
  override isPurchase(): boolean {
    return true;
  }

  /** The wire form, with `amount`. */
  override toJSON(): WireEvent {
    return { ...super.toJSON(), action: "purchase", amount: this.amount };
  }
}
