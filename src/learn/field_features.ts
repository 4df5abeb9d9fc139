/**
 * The `fields` feature set (id 3): dense features from every field of the event and of its
 * session's earlier events, computed at the moment of the event. With `k` the event's position
 * in its session (1 for the first event):
 *
 * - **position and time in the session** (the `session` set, `session_features.ts`): `ln k`,
 *   `1/k`, `(ln k)²`, `min(k, 100)` — the original generator's signal — and `ln(1 + x)` of the
 *   seconds since the session's first event and since its previous event (0 for the first);
 * - **earlier actions**: `ln(1 + n)` of the session's earlier events by action (`click`, `view`,
 *   `scroll`, `purchase` — the last is the purchases so far) and of its spend so far (the sum of
 *   its earlier purchases' amounts);
 * - **pages**: the path class of the event's own url — visible at the event's arrival — and that
 *   of the session's previous event, each one-hot over the page classes of `pageClassOf` (the
 *   path's first segment: home, search, category, product, cart, checkout, about, blog, other;
 *   the original's `/products` is `product`). Each one-hot leaves one case out, so that its
 *   weights are identifiable (a complete one-hot sums to 1, like the intercept, and the learner
 *   would shift all its weights by one arbitrary amount): the event's own page has no `page_home`
 *   (the weights are relative to the home page), and a session's first event has no previous
 *   page (all `previous_*` are 0);
 * - **calendar**: hour of day and day of week (UTC) of the event's timestamp, each as the sine
 *   and cosine of its angle on the cycle (`2π h / 24`, `2π d / 7`, Sunday = 0), so 23:00 is next
 *   to 00:00 and Saturday next to Sunday.
 *
 * The original's `clicks_in_session` and `time_on_page` over 5-minute windows are gone: they were
 * twins of the position and of the seconds since the start (equal wherever a session had not
 * crossed a window boundary); the counts by action replace the first.
 *
 * Never read: the event's own action and amount (they are the label and what follows it), later
 * events, the user id, anything after a path's first segment.
 *
 * Session state ({@linkcode ACTIONS_LAYOUT}): earlier events by action, spend, and the class of
 * the last page seen.
 *
 * @module
 */

import { ACTIONS } from "../events/wire.ts";
import { dayOfWeek, HOME, hourOfDay, PAGE_CLASSES } from "../generator/funnel_model.ts";
import type { FeatureSet } from "./feature_set.ts";
import { eventPageClass } from "./page_class.ts";
import { log1p } from "./small_logs.ts";
import { POSITION_TIME_NAMES, writePosition } from "./position_features.ts";
import type { SessionEvent, SessionLayout } from "./session_store.ts";
import { MAX_WHOLE, slotShape } from "./session_slot.ts";

/** The `fields` set's feature names, in row order (32). */
export const FIELD_FEATURE_NAMES: readonly string[] = Object.freeze([
  ...POSITION_TIME_NAMES,
  ...ACTIONS.map((a) => `log1p_earlier_${a}`),
  "log1p_spend",
  ...PAGE_CLASSES.filter((_, c) => c !== HOME).map((c) => `page_${c}`),
  ...PAGE_CLASSES.map((c) => `previous_${c}`),
  "hour_sin",
  "hour_cos",
  "day_sin",
  "day_cos",
]);

const C = PAGE_CLASSES.length;
const ACTION_INDEX: Readonly<Record<string, number>> = Object.fromEntries(
  ACTIONS.map((a, i) => [a, i]),
);
const PURCHASE = ACTION_INDEX.purchase;
const [A0, A1, A2, A3] = ACTIONS;

/** `ACTION_INDEX[action]`: the wire's four actions by comparison, anything else by the lookup. */
function actionIndex(action: string): number {
  return action === A0
    ? 0
    : action === A1
    ? 1
    : action === A2
    ? 2
    : action === A3
    ? 3
    : ACTION_INDEX[action];
}

const LAYOUT_FIELDS = Object.freeze([...ACTIONS, "spend", "page"]);
const LAYOUT_INTEGERS = Object.freeze([...ACTIONS, "page"]); // counts and a class
// Offsets within a slot (session_slot.ts): floats f[s + X] (start, last, spend), integers
// u[2 * s + X] (count, the counts by action in ACTIONS' order, the page class).
const SHAPE = slotShape(LAYOUT_FIELDS, LAYOUT_INTEGERS).offsets;
const START = SHAPE.start, LAST = SHAPE.last, SPEND = SHAPE.spend;
const COUNT = SHAPE.count, ACTION_COUNTS = SHAPE[ACTIONS[0]], PAGE = SHAPE.page;
if (ACTIONS.some((a, i) => SHAPE[a] !== ACTION_COUNTS + i)) {
  throw new Error("the counts by action are not consecutive words"); // (slotShape keeps order)
}
// Offsets within a row.
// The event's own page has no column for home (class 0, its reference, see the module doc): the
// column of class c ≥ 1 is R_PAGE + c, so search (class 1) is at 11.
const R_COUNTS = 6, R_SPEND = 10, R_PAGE = 10, R_PREVIOUS = R_PAGE + C, R_CALENDAR = R_PREVIOUS + C;

const HOUR_SIN = Float64Array.from({ length: 24 }, (_, h) => Math.sin(2 * Math.PI * h / 24));
const HOUR_COS = Float64Array.from({ length: 24 }, (_, h) => Math.cos(2 * Math.PI * h / 24));
const DAY_SIN = Float64Array.from({ length: 7 }, (_, d) => Math.sin(2 * Math.PI * d / 7));
const DAY_COS = Float64Array.from({ length: 7 }, (_, d) => Math.cos(2 * Math.PI * d / 7));

function amountOf(event: SessionEvent): number {
  return event.action === "purchase" ? event.amount ?? 0 : 0;
}

/**
 * The session state of the `fields` set: the session's events so far by action (in the order of
 * `ACTIONS`), its spend so far, and the page class of its latest event.
 */
export const ACTIONS_LAYOUT: SessionLayout = Object.freeze({
  name: "actions",
  fields: LAYOUT_FIELDS,
  integers: LAYOUT_INTEGERS,
  start(f: Float64Array, u: Int32Array, s: number, event: SessionEvent): void {
    const w = 2 * s + ACTION_COUNTS;
    u[w] =
      u[w + 1] =
      u[w + 2] =
      u[w + 3] =
        0;
    u[w + actionIndex(event.action)] = 1;
    f[s + SPEND] = amountOf(event);
    u[2 * s + PAGE] = eventPageClass(event);
  },
  update(f: Float64Array, u: Int32Array, s: number, event: SessionEvent): void {
    const a = actionIndex(event.action), w = 2 * s + ACTION_COUNTS + a, n = u[w];
    if (n < MAX_WHOLE) u[w] = n + 1;
    if (a === PURCHASE) f[s + SPEND] += amountOf(event);
    u[2 * s + PAGE] = eventPageClass(event);
  },
});

let calendarTime = NaN, calendarHour = 0, calendarDay = 0;

function write(
  event: SessionEvent,
  f: Float64Array,
  u: Int32Array,
  s: number,
  out: Float64Array,
  o: number,
): void {
  const t = event.timestamp;
  for (let j = o + R_COUNTS; j < o + R_CALENDAR; j++) out[j] = 0;
  let k = 1, sinceStart = 0, sincePrev = 0;
  if (s >= 0) {
    k = u[2 * s + COUNT] + 1;
    sinceStart = t - f[s + START];
    sincePrev = t - f[s + LAST];
    if (sinceStart < 0) sinceStart = 0;
    if (sincePrev < 0) sincePrev = 0;
    for (let a = 0, w = 2 * s + ACTION_COUNTS; a < 4; a++) {
      const n = u[w + a];
      if (n > 0) out[o + R_COUNTS + a] = log1p(n);
    }
    const spend = f[s + SPEND];
    if (spend > 0) out[o + R_SPEND] = Math.log1p(spend);
    out[o + R_PREVIOUS + u[2 * s + PAGE]] = 1;
  }
  writePosition(k, sinceStart, sincePrev, out, o);
  const page = eventPageClass(event);
  if (page !== HOME) out[o + R_PAGE + page] = 1;
  if (t !== calendarTime) { // events of one second share their hour and day (a pure function of t)
    calendarTime = t;
    calendarHour = hourOfDay(t);
    calendarDay = dayOfWeek(t);
  }
  const h = calendarHour, d = calendarDay;
  out[o + R_CALENDAR] = HOUR_SIN[h];
  out[o + R_CALENDAR + 1] = HOUR_COS[h];
  out[o + R_CALENDAR + 2] = DAY_SIN[d];
  out[o + R_CALENDAR + 3] = DAY_COS[d];
}

/** The `fields` feature set; see the module documentation. */
export const FIELD_FEATURES: FeatureSet = Object.freeze({
  id: 3,
  name: "fields",
  summary:
    "position, time in the session, earlier actions by action, spend, this and the previous " +
    "page's class, hour of day and day of week (cyclic)",
  names: FIELD_FEATURE_NAMES,
  width: FIELD_FEATURE_NAMES.length,
  layout: ACTIONS_LAYOUT,
  write,
});
