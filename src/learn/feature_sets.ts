/**
 * The registry of feature sets, by name (`--features` of `train`, `featurize` and `quality`) and
 * by id (what rows, models and checkpoints carry):
 *
 * | id | name       | features                                                                     |
 * | -- | ---------- | ---------------------------------------------------------------------------- |
 * | 1  | `position` | the 8 of before feature sets, twins included (`position_features.ts`)        |
 * | 2  | `session`  | `position` without its twins: 6 (`session_features.ts`)                      |
 * | 3  | `fields`   | 32 from every field: `session`'s, actions, spend, pages, calendar (`field_features.ts`) |
 * | 4  | `shop`     | `fields`' 32 plus the url path hashed into 4096 signed buckets (`shop_features.ts`) |
 *
 * The default, {@linkcode DEFAULT_FEATURE_SET}, is `shop`, the set good on both generator
 * profiles by prequential log loss over 1M events
 * (`quality --profile original,funnel --features position,session,fields,shop`): it leaves 2.2%
 * of the room between the constant rate and Bayes open on the original stream — the stream
 * `train` gets by default (`demo`, `loadtest`), where position is the whole signal (`session`
 * 2.0%) — and 1.7% on the funnel profile (`fields` 0.8%, `session` 70%); README, "The learning
 * problem, measured".
 *
 * A command takes `--features` through `src/cli/feature_set_flag.ts` (`FEATURE_SET_FLAG`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_FEATURE_SET, featureSet } from "./feature_sets.ts";
 *
 * const set = featureSet("position");
 * assert.equal(set.id, 1);
 * assert.equal(set.names.length, set.width);
 * assert.equal(DEFAULT_FEATURE_SET.name, "shop");
 * ```
 *
 * @module
 */

import type { FeatureSet } from "./feature_set.ts";
import { FIELD_FEATURES } from "./field_features.ts";
import { POSITION_FEATURES } from "./position_features.ts";
import { SESSION_FEATURES } from "./session_features.ts";
import { SHOP_FEATURES } from "./shop_features.ts";

export type { FeatureSet } from "./feature_set.ts";

/** The feature sets' names, in id order. */
export const FEATURE_SET_NAMES = ["position", "session", "fields", "shop"] as const;

/** One of {@linkcode FEATURE_SET_NAMES}. */
export type FeatureSetName = typeof FEATURE_SET_NAMES[number];

/** The feature sets, in id order. */
export const FEATURE_SETS: readonly FeatureSet[] = Object.freeze([
  POSITION_FEATURES,
  SESSION_FEATURES,
  FIELD_FEATURES,
  SHOP_FEATURES,
]);

/** The default feature set's name: the best set on the stream (see the module documentation). */
export const DEFAULT_FEATURE_SET_NAME: FeatureSetName = "shop";

/**
 * The feature set named `name`.
 * @throws {RangeError} naming the value and the choices when there is none
 */
export function featureSet(name: string): FeatureSet {
  const set = FEATURE_SETS.find((s) => s.name === name);
  if (set === undefined) {
    throw new RangeError(
      `Unknown feature set ${JSON.stringify(name)}: expected one of ${
        FEATURE_SET_NAMES.join(", ")
      }.`,
    );
  }
  return set;
}

/** The feature set of id `id`, or `undefined` when this version knows none. */
export function featureSetById(id: number): FeatureSet | undefined {
  return FEATURE_SETS.find((s) => s.id === id);
}

/** A feature set as a message names it: `"fields" (id 2)`, or `id 7 (unknown to this version)`. */
export function describeFeatureSet(id: number): string {
  const set = featureSetById(id);
  return set === undefined ? `id ${id} (unknown to this version)` : `"${set.name}" (id ${id})`;
}

/** The default feature set. */
export const DEFAULT_FEATURE_SET: FeatureSet = featureSet(DEFAULT_FEATURE_SET_NAME);
