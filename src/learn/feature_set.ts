/**
 * What a feature set is: the dense features the featurizer writes per event, the session state
 * they are computed from, and the id that rows, models and checkpoints carry so that nothing
 * mixes two sets. The sets themselves are `position_features.ts` and `field_features.ts`; the
 * registry that names them (`--features`) is `feature_sets.ts`.
 *
 * Every feature of every set is point-in-time: computed at the moment of its event from the
 * session's earlier events only (the session state, {@linkcode FeatureSet.layout}) plus the
 * event's own arrival — its url and its timestamp — never from its action, its amount or any
 * later event.
 *
 * @module
 */

import type { SessionEvent, SessionLayout } from "./session_store.ts";

/** A feature set: see the module documentation. */
export interface FeatureSet {
  /**
   * The id every row, model and checkpoint of this set carries (a positive integer, never
   * reused: a change of a feature's meaning or of the list gets a new id).
   */
  readonly id: number;
  /** The name `--features` takes. */
  readonly name: string;
  /** One line on what the set holds. */
  readonly summary: string;
  /** The dense features' names, in row order; they travel with the model's weights. */
  readonly names: readonly string[];
  /** Values per row: `names.length`. */
  readonly width: number;
  /** The per-session state the features need besides the core (start, last, count). */
  readonly layout: SessionLayout;
  /**
   * Writes the features of `event` into `out[at .. at + width)`. `slots` is the session store's
   * slot storage and `o` the offset of the event's session in it (its core fields first, then
   * the layout's), or `-1` when the session has no live state (its first event). Reads only
   * the session's state and the event's url and timestamp; changes nothing.
   */
  write(event: SessionEvent, slots: Float64Array, o: number, out: Float64Array, at: number): void;
}
