/**
 * A reusable {@linkcode WireEvent} view over one row of a {@linkcode DecodedBatch}: the
 * featurize stage points it at each valid row in turn ({@linkcode DecodedEvent.at}) and hands it
 * to the feature set and the session store, which read it as an event. Numbers come straight
 * from the batch's columns and the action is one of the `ACTIONS` constants, so moving the view
 * allocates nothing; `url` and `session_id` are decoded from the row's bytes only when read (and
 * then once per row), so a feature set that never reads the url (`position`, `session`) makes no
 * url string.
 *
 * A view is valid until the batch's next `decode`; keep nothing from it beyond the current row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DecodedBatch } from "./byte_decoder.ts";
 * import { DecodedEvent } from "./decoded_event.ts";
 *
 * const value = new TextEncoder().encode(
 *   '{"user_id":7,"url":"/cart","action":"view","session_id":"s1","timestamp":1764000000}',
 * );
 * const batch = new DecodedBatch().decode([value]);
 * const event = new DecodedEvent(batch).at(0);
 * assert.equal(event.action, "view");
 * assert.equal(event.url, "/cart");
 * assert.equal(event.amount, undefined);
 * ```
 *
 * @module
 */

import type { DecodedBatch } from "./byte_decoder.ts";
import { type Action, ACTIONS } from "./wire.ts";

/** See the module documentation. */
export class DecodedEvent {
  /** The row the view shows (-1 before the first {@linkcode DecodedEvent.at}). */
  row: number = -1;
  /** `user_id`. */
  user_id = 0;
  /** `timestamp`, epoch seconds. */
  timestamp = 0;
  /** `action`. */
  action: Action = "click";
  /** `amount` on a purchase, `undefined` otherwise. */
  amount: number | undefined = undefined;
  #batch: DecodedBatch;
  #url: string | undefined = undefined;
  #session: string | undefined = undefined;

  /**
   * A view over `batch`, showing no row until {@linkcode DecodedEvent.at}.
   *
   * @param batch the batch whose rows the view shows
   */
  constructor(batch: DecodedBatch) {
    this.#batch = batch;
  }

  /**
   * Points the view at `row`, a valid row of the batch's last `decode`; returns the view.
   * @throws {RangeError} when the row is not a valid event (reading its strings would say so)
   */
  at(row: number): this {
    const b = this.#batch;
    if (!b.isValid(row)) {
      throw new RangeError(`Cannot view row ${row}: it is not a valid event of the batch.`);
    }
    this.row = row;
    this.user_id = b.userId[row];
    this.timestamp = b.timestamp[row];
    const action = ACTIONS[b.action[row]];
    this.action = action;
    this.amount = action === "purchase" ? b.amount[row] : undefined;
    this.#url = undefined;
    this.#session = undefined;
    return this;
  }

  /** `url` (decoded from the row's bytes on first read). */
  get url(): string {
    return this.#url ??= this.#batch.url(this.row);
  }

  /** `session_id` (decoded from the row's bytes on first read). */
  get session_id(): string {
    return this.#session ??= this.#batch.sessionId(this.row);
  }
}
