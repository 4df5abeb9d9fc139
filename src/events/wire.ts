/**
 * The wire format of one clickstream event: the plain JSON object that travels in a Kafka
 * record, with the same field names and types as the original Python project. This file
 * holds only types and constants; validation lives in `schema.ts`, the typed classes in
 * `event.ts`.
 *
 * @module
 */

/** The actions an event may carry; the label of the learning problem is `action === "purchase"`. */
export const ACTIONS = ["click", "view", "scroll", "purchase"] as const;

/** One of {@linkcode ACTIONS}. */
export type Action = typeof ACTIONS[number];

/** The non-purchase actions, uniform in the original generator. */
export const BROWSE_ACTIONS = ["click", "view", "scroll"] as const;

/** The fields every event has, whatever its action. */
export interface WireEventFields {
  /** Integer user id (1..100000 in the generator). */
  user_id: number;
  /** Page url, e.g. `/products?aBcDeF`. */
  url: string;
  /** Session id; also the Kafka record key. */
  session_id: string;
  /** Event time, integer epoch seconds. */
  timestamp: number;
}

/** A click, view or scroll: no amount. */
export interface BrowseEvent extends WireEventFields {
  /** What the user did. */
  action: typeof BROWSE_ACTIONS[number];
  /** Never present on a browse event. */
  amount?: undefined;
}

/** A purchase: always with its amount. */
export interface PurchaseWireEvent extends WireEventFields {
  /** What the user did. */
  action: "purchase";
  /** Purchase amount, a finite number > 0. */
  amount: number;
}

/**
 * One event as it is written to and read from Kafka (JSON, UTF-8): a union discriminated by
 * `action`, so that `amount` is a number exactly where `action === "purchase"`.
 */
export type WireEvent = BrowseEvent | PurchaseWireEvent;

/** Smallest accepted timestamp: 2000-01-01T00:00:00Z in epoch seconds. */
export const MIN_TIMESTAMP = 946_684_800;
/** Largest accepted timestamp: 2100-01-01T00:00:00Z in epoch seconds. */
export const MAX_TIMESTAMP = 4_102_444_800;
/** Largest accepted record, in bytes. */
export const MAX_RECORD_BYTES = 64 * 1024;
