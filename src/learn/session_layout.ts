/**
 * The per-session field layout of a `SessionStore` (`session_store.ts`): the **core** fields
 * every session keeps (first and last event time, event count), the {@linkcode SessionLayout} a
 * feature set declares for its own fields and how an event changes them, and the event fields a
 * layout may read ({@linkcode SessionEvent}).
 *
 * @module
 */

import type { Action } from "../events/wire.ts";

/** The fields every session keeps, first in its slot, in order. */
export const CORE_FIELDS = ["start", "last", "count"] as const;

/** What the store reads of an event: its session, time, and what a layout may record. */
export interface SessionEvent {
  /** The session id. */
  readonly session_id: string;
  /** Event time, epoch seconds. */
  readonly timestamp: number;
  /** Page url. */
  readonly url: string;
  /** What the user did. */
  readonly action: Action;
  /** Purchase amount; absent otherwise. */
  readonly amount?: number;
}

/**
 * The per-session fields a feature set needs besides the core ones, and how an event changes
 * them. `start` and `update` write the fields at `slots[at .. at + fields.length)`; the core
 * fields (`slots[at - 3 .. at)`: start, last, count) are already updated for the event.
 */
export interface SessionLayout {
  /** The layout's name, saved with the state (a state restores only into its own layout). */
  readonly name: string;
  /** The fields' names, in slot order. */
  readonly fields: readonly string[];
  /** Writes a new session's fields from its first event (every field: slots are reused). */
  start(slots: Float64Array, at: number, event: SessionEvent): void;
  /** Updates a live session's fields with its next event. */
  update(slots: Float64Array, at: number, event: SessionEvent): void;
}

/** A layout with no fields of its own: the core fields only. */
export const CORE_LAYOUT: SessionLayout = Object.freeze({
  name: "core",
  fields: Object.freeze([]) as readonly string[],
  start() {},
  update() {},
});

/**
 * The fields of a version-1 state (before layouts): the core, then the `position` feature set's
 * 5-minute window. A version-1 state restores only into a layout of these fields.
 */
export const VERSION_1_FIELDS = [...CORE_FIELDS, "window", "window_count", "window_first"];
