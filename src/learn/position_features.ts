/**
 * The `position` feature set (id 1): the features the model learnt from before feature sets, kept
 * bit for bit for comparisons and for models trained on them. With `k` the event's position in
 * its session (1 for the first event), they are transforms of
 * - position `k`;
 * - seconds since the session's first event, seconds since its previous event (0 for the first);
 * - the original project's `clicks_in_session` (events of the session in the current 5-minute
 *   tumbling event-time window, this one included) and `time_on_page` (seconds from the
 *   window's first event of the session to this one) — counted up to this event, where the
 *   original counted the whole micro-batch, future events included.
 *
 * The transforms — `ln k`, `1/k`, `(ln k)²`, `min(k, 100)` and `ln(1 + x)` of the rest — let a
 * logistic model follow a probability that rises with position and then saturates: on the
 * original generator's stream this basis comes within about 0.25% of the Bayes log loss. Two
 * pairs are twins wherever a session has not crossed a 5-minute boundary:
 * `log1p_time_on_page` equals `log1p_seconds_since_start`, and `clicks_in_session` equals the
 * position — the `session` and `fields` sets (`session_features.ts`, `field_features.ts`) drop
 * them.
 *
 * Session state ({@linkcode WINDOW_LAYOUT}): the current window's id, event count and first
 * event time (a late event of an earlier window leaves the current window alone).
 *
 * @module
 */

import type { FeatureSet } from "./feature_set.ts";
import type { SessionEvent, SessionLayout } from "./session_store.ts";
import { MAX_WHOLE, slotShape } from "./session_slot.ts";
import { inverse, log, log1p } from "./small_logs.ts";

/** Length of the tumbling event-time window of `clicks_in_session` / `time_on_page`, seconds. */
export const WINDOW_SECONDS = 300;
/** Cap of the `position_capped` feature. */
export const POSITION_CAP = 100;

/** The `position` set's feature names, in row order. */
export const POSITION_FEATURE_NAMES = [
  "log_position",
  "inv_position",
  "log_position_sq",
  "position_capped",
  "log1p_seconds_since_start",
  "log1p_seconds_since_previous",
  "log1p_clicks_in_session",
  "log1p_time_on_page",
] as const;

/**
 * The names of the six values {@linkcode writePosition} writes: the `position` set's first six,
 * and the first six of the `session` and `fields` sets.
 */
export const POSITION_TIME_NAMES: readonly string[] = POSITION_FEATURE_NAMES.slice(0, 6);

const LAYOUT_FIELDS = Object.freeze(["window", "window_count", "window_first"]);
const LAYOUT_INTEGERS = Object.freeze(["window_count"]); // (a window's id stays a float64)
// Offsets within a slot (session_slot.ts): floats f[s + X] (start, last, window, window_first),
// integers u[2 * s + X] (count, window_count).
const SHAPE = slotShape(LAYOUT_FIELDS, LAYOUT_INTEGERS).offsets;
const START = SHAPE.start, LAST = SHAPE.last, COUNT = SHAPE.count, WINDOW = SHAPE.window;
const WCOUNT = SHAPE.window_count, WFIRST = SHAPE.window_first;

/**
 * Writes `ln k`, `1/k`, `(ln k)²`, `min(k, 100)`, `ln(1 + sinceStart)` and
 * `ln(1 + sincePrevious)` into `out[o .. o + 6)` ({@linkcode POSITION_TIME_NAMES}); the logarithms
 * and the inverse of whole numbers come from tables (`small_logs.ts`), bit for bit the same.
 */
export function writePosition(
  k: number,
  sinceStart: number,
  sincePrevious: number,
  out: Float64Array,
  o: number,
): void {
  const lk = log(k);
  out[o] = lk;
  out[o + 1] = inverse(k);
  out[o + 2] = lk * lk;
  out[o + 3] = k < POSITION_CAP ? k : POSITION_CAP;
  out[o + 4] = log1p(sinceStart);
  out[o + 5] = log1p(sincePrevious);
}

/** The session state of the `position` set: the current 5-minute tumbling window. */
export const WINDOW_LAYOUT: SessionLayout = Object.freeze({
  name: "window",
  fields: LAYOUT_FIELDS,
  integers: LAYOUT_INTEGERS,
  start(f: Float64Array, u: Int32Array, s: number, event: SessionEvent): void {
    const time = event.timestamp;
    f[s + WINDOW] = Math.floor(time / WINDOW_SECONDS);
    u[2 * s + WCOUNT] = 1;
    f[s + WFIRST] = time;
  },
  update(f: Float64Array, u: Int32Array, s: number, event: SessionEvent): void {
    const time = event.timestamp;
    const w = Math.floor(time / WINDOW_SECONDS);
    const cw = f[s + WINDOW];
    if (w === cw) {
      const n = u[2 * s + WCOUNT];
      if (n < MAX_WHOLE) u[2 * s + WCOUNT] = n + 1;
      if (time < f[s + WFIRST]) f[s + WFIRST] = time;
    } else if (w > cw) {
      f[s + WINDOW] = w;
      u[2 * s + WCOUNT] = 1;
      f[s + WFIRST] = time;
    } // a late event of an earlier window leaves the current window alone
  },
});

function write(
  event: SessionEvent,
  f: Float64Array,
  u: Int32Array,
  s: number,
  out: Float64Array,
  o: number,
): void {
  const t = event.timestamp;
  let k = 1, sinceStart = 0, sincePrev = 0, clicks = 1, onPage = 0;
  if (s >= 0) {
    k = u[2 * s + COUNT] + 1;
    sinceStart = t - f[s + START];
    sincePrev = t - f[s + LAST];
    if (sinceStart < 0) sinceStart = 0;
    if (sincePrev < 0) sincePrev = 0;
    if (Math.floor(t / WINDOW_SECONDS) === f[s + WINDOW]) {
      clicks = u[2 * s + WCOUNT] + 1;
      onPage = t - f[s + WFIRST];
      if (onPage < 0) onPage = 0;
    }
  }
  writePosition(k, sinceStart, sincePrev, out, o);
  out[o + 6] = log1p(clicks);
  out[o + 7] = log1p(onPage);
}

/** The `position` feature set; see the module documentation. */
export const POSITION_FEATURES: FeatureSet = Object.freeze({
  id: 1,
  name: "position",
  summary:
    "position in the session and time since its start and previous event, with the original's " +
    "5-minute clicks_in_session / time_on_page (the only set before feature sets)",
  names: POSITION_FEATURE_NAMES,
  width: POSITION_FEATURE_NAMES.length,
  layout: WINDOW_LAYOUT,
  write,
});
