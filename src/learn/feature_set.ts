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

import type { StepScales } from "./adagrad.ts";
import type { ModelOptions } from "./model.ts";
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
   * Writes the features of `event` into `out[at .. at + width)`. `slots` and `words` are the
   * session store's slot storage as float64 and int32 words (one buffer) and `o` the float64
   * index of the event's session's slot (a float field at `slots[o + at]`, an integer one at
   * `words[2 * o + at]`, `at` from the layout's slot shape, `session_slot.ts`), or `-1` when the
   * session has no live state (its first event). Reads only the session's state and the event's
   * url and timestamp; changes nothing.
   */
  write(
    event: SessionEvent,
    slots: Float64Array,
    words: Int32Array,
    o: number,
    out: Float64Array,
    at: number,
  ): void;
  /**
   * The number of hashed url buckets (`url_hash.ts`): the width of the row's sparse part, where
   * each event has one entry, its url path's bucket with value ±1; 0 for a set without.
   * @default {0}
   */
  readonly urlBuckets?: number;
  /**
   * The indices of the dense features the model takes as they are, never standardized: bounded
   * ones (one-hot indicators, sines and cosines), whose centering would make every event carry
   * the weight of a rare indicator. The sparse part is never standardized either.
   * @default {[]}
   */
  readonly unscaled?: readonly number[];
  /**
   * Multipliers of the optimizer's learning rate per dense feature and for the sparse part
   * (`adagrad.ts`): a smaller first step for features that many streams give no signal, so that
   * where they carry none their noise costs less. Default: 1 everywhere.
   */
  readonly stepScales?: StepScales;
}

/**
 * What a model of feature set `set` needs to know of it besides the names: the width of its
 * sparse part and the dense features it leaves unstandardized.
 */
export function modelShape(
  set: FeatureSet,
): Required<Pick<ModelOptions, "sparseWidth" | "unscaled" | "stepScales">> {
  return {
    sparseWidth: set.urlBuckets ?? 0,
    unscaled: set.unscaled ?? [],
    stepScales: set.stepScales ?? null,
  };
}
