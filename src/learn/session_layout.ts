/**
 * The per-session field layout of a `SessionStore` (`session_store.ts`): the **core** fields
 * every session keeps (first and last event time, event count), the {@linkcode SessionLayout} a
 * feature set declares for its own fields and how an event changes them, and the event fields a
 * layout may read ({@linkcode SessionEvent}).
 *
 * @module
 */

import type { Action } from "../events/wire.ts";

/** The fields every session keeps, first in its state, in order. */
export const CORE_FIELDS = ["start", "last", "count"] as const;
/** The core fields that are whole numbers (int32 words of the slot, `session_slot.ts`). */
export const CORE_INTEGERS: readonly string[] = Object.freeze(["count"]);

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
 * them. `start` and `update` get the slot's float64 words `f`, the same bytes as int32 words
 * `u`, and the slot's base `s`: a float field is `f[s + at]`, an integer one `u[2 * s + at]`,
 * with `at` the field's offset in the layout's slot shape (`session_slot.ts`, `slotShape`). The
 * core fields (start, last, count) are already updated for the event.
 */
export interface SessionLayout {
  /** The layout's name, saved with the state (a state restores only into its own layout). */
  readonly name: string;
  /** The fields' names, in the order of states and checkpoints (after the core ones). */
  readonly fields: readonly string[];
  /**
   * The fields (of `fields`) that hold whole numbers `0 .. 2^31 − 1` (counts, classes): int32
   * words of the slot, half a float64's bytes. The others are float64.
   * @default {[]}
   */
  readonly integers?: readonly string[];
  /** Writes a new session's fields from its first event (every field: slots are reused). */
  start(f: Float64Array, u: Int32Array, s: number, event: SessionEvent): void;
  /** Updates a live session's fields with its next event. */
  update(f: Float64Array, u: Int32Array, s: number, event: SessionEvent): void;
}

/** A layout with no fields of its own: the core fields only. */
export const CORE_LAYOUT: SessionLayout = Object.freeze({
  name: "core",
  fields: Object.freeze([]) as readonly string[],
  integers: Object.freeze([]) as readonly string[],
  start() {},
  update() {},
});

/**
 * The fields of a version-1 state (before layouts): the core, then the `position` feature set's
 * 5-minute window. A version-1 state restores only into a layout of these fields.
 */
export const VERSION_1_FIELDS = [...CORE_FIELDS, "window", "window_count", "window_first"];
