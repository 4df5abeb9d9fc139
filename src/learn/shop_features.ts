/**
 * The `shop` feature set (id 4): the `fields` set's 32 dense features (`field_features.ts`) plus
 * the event's url path through the hashing trick (`url_hash.ts`) as the row's sparse part — one
 * entry per event, its path's bucket among {@linkcode DEFAULT_URL_BUCKETS} with value ±1 — so
 * that a shop's open vocabulary of urls (product and category ids, thousands nobody lists in
 * advance) reaches the model without a vocabulary.
 *
 * The bounded dense features — the page one-hots of this and the previous event and the sines
 * and cosines of the hour and the day — go to the model as they are ({@linkcode FeatureSet.unscaled}):
 * standardizing a rare indicator centres it, so that every event carries its weight, and each
 * such weight that the stream gives no signal to is noise on every prediction instead of on
 * the few events where it is 1. The hashed buckets are never standardized.
 *
 * Its step scales ({@linkcode FeatureSet.stepScales}) keep the learning rate of the 6 position and
 * time features and give every other dense feature {@linkcode OTHER_STEP} of it and the buckets
 * {@linkcode URL_STEP}: where those carry no signal (the original generator's stream, whose
 * purchases follow the position alone) their noise then costs little, and where they carry it (the
 * funnel profile) the smaller steps still learn it. Measured over 1M events (`quality`, adagrad),
 * the share of the room between the constant rate and Bayes left open, original / funnel: `shop`
 * 2.2% / 1.7%, `fields` 3.9% / 0.8%, `session` 2.0% / 70%; `shop` without the step scales 3.2% /
 * 2.4% (docs/design.md, "The learning problem", lists the alternatives tried).
 *
 * Never read, as in `fields`: the event's own action and amount, later events, the user id. The
 * url's query string and fragment are not part of its path.
 *
 * @module
 */

import type { FeatureSet } from "./feature_set.ts";
import { ACTIONS_LAYOUT, FIELD_FEATURE_NAMES, FIELD_FEATURES } from "./field_features.ts";
import { POSITION_TIME_NAMES } from "./position_features.ts";
import { DEFAULT_URL_BUCKETS } from "./url_hash.ts";

const BOUNDED = /^(page_|previous_|hour_|day_)/;
/** The step scale of every dense feature but position and time's. */
export const OTHER_STEP = 0.1;
/** The step scale of the hashed url buckets. */
export const URL_STEP = 0.25;

/** The `shop` feature set; see the module documentation. */
export const SHOP_FEATURES: FeatureSet = Object.freeze({
  id: 4,
  name: "shop",
  summary: "fields' 32 (one-hots and cycles unstandardized) plus the url path hashed into " +
    `${DEFAULT_URL_BUCKETS} signed buckets`,
  names: FIELD_FEATURE_NAMES,
  width: FIELD_FEATURE_NAMES.length,
  layout: ACTIONS_LAYOUT,
  write: FIELD_FEATURES.write,
  urlBuckets: DEFAULT_URL_BUCKETS,
  unscaled: Object.freeze(
    FIELD_FEATURE_NAMES.flatMap((name, j) => BOUNDED.test(name) ? [j] : []),
  ),
  stepScales: Object.freeze({
    dense: Object.freeze(
      FIELD_FEATURE_NAMES.map((_, j) => j < POSITION_TIME_NAMES.length ? 1 : OTHER_STEP),
    ),
    sparse: URL_STEP,
  }),
});
