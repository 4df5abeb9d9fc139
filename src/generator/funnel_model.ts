/**
 * The funnel profile's action model: the exact probability of each action of an event as a pure
 * function of what a point-in-time featurizer can see of it — nothing else. The generator
 * (`funnel_generator.ts`) draws every action from this function, so the featurizer's tests and
 * the Bayes figures can call it on a reconstruction of the stream and get the generator's exact
 * probabilities.
 *
 * What is visible ({@linkcode FunnelView}): the event's page class (from its url path's first
 * segment, {@linkcode pageClassOf}), the page class of the session's previous event, its
 * position in the session, seconds since the session's first and previous events, counts of the
 * session's earlier actions by action, the session's spend so far, and the hour of day and day
 * of week (UTC) of its timestamp. Not visible, and not used: the user id (no user-level
 * history), any later event, the event's own action or amount, the product or category id
 * within the path (ids change only amounts, never probabilities).
 *
 * The purchase probability is `q = σ(z)`, a logistic in the visible quantities, with every
 * count and duration entering as `ln(1 + x)` so that a logistic model over one-hot page classes,
 * hours and days plus those transforms can represent it exactly:
 *
 * ```
 * z = PAGE_LOGIT[page] (+ DRIFT_SHIFT[page] once drifted) + PREVIOUS_LOGIT[previous]
 *   + HOUR_AMPLITUDE · cos(2π (hour − PEAK_HOUR) / 24) + DAY_LOGIT[dayOfWeek]
 *   + CLICKS_WEIGHT · ln(1 + earlier clicks) + PURCHASES_WEIGHT · ln(1 + earlier purchases)
 *   + SPEND_WEIGHT · ln(1 + spend) + GAP_WEIGHT · ln(1 + secondsSincePrevious)
 *   + POSITION_WEIGHT · ln(position)
 * ```
 *
 * The other actions share `1 − q` in page-specific proportions ({@linkcode BROWSE_SPLIT}: on a
 * search page people click, on a blog page they scroll).
 *
 * @module
 */

import { ACTIONS } from "../events/wire.ts";

/**
 * Page classes, by index. `other` is any path the funnel generator never writes (e.g. a path of
 * the original profile's other than its `/products`, which maps to `product`).
 */
export const PAGE_CLASSES = [
  "home",
  "search",
  "category",
  "product",
  "cart",
  "checkout",
  "about",
  "blog",
  "other",
] as const;

/** One of {@linkcode PAGE_CLASSES}. */
export type PageClass = typeof PAGE_CLASSES[number];

/** Page class indices, for the generator's tables. */
export const HOME = 0, SEARCH = 1, CATEGORY = 2, PRODUCT = 3, CART = 4, CHECKOUT = 5, ABOUT = 6;
/** Page class indices, for the generator's tables. */
export const BLOG = 7, OTHER = 8;
/** The `previous` of a session's first event: no previous page. */
export const NO_PAGE: number = -1;

// No prototype: a segment such as `constructor`, `toString` or `__proto__` is no page class.
const SEGMENT_CLASS: Readonly<Record<string, number>> = Object.assign(Object.create(null), {
  "": HOME,
  home: HOME,
  search: SEARCH,
  category: CATEGORY,
  product: PRODUCT,
  products: PRODUCT,
  cart: CART,
  checkout: CHECKOUT,
  about: ABOUT,
  blog: BLOG,
});

/**
 * The page class index of a url: its path's first segment (the query string and anything after
 * the first segment ignored): `/product/17?x` → `product`, `/` → `home`, unknown → `other`.
 */
export function pageClassOf(url: string): number {
  let end = url.length;
  for (let i = 1; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  const segment = url.charCodeAt(0) === 47 ? url.slice(1, end) : url.slice(0, end);
  return SEGMENT_CLASS[segment] ?? OTHER;
}

/** Purchase logit of each page class (cart and checkout highest). */
export const PAGE_LOGIT: readonly number[] = [-4.6, -4.4, -4.2, -3.0, -1.3, 0.0, -5.5, -5.0, -5.0];
/**
 * Added to {@linkcode PAGE_LOGIT} from the drift on: a "buy now" button moves conversion from
 * the cart and checkout to the product page.
 */
export const DRIFT_SHIFT: readonly number[] = [0, 0, 0, 1.2, -1.2, -1.2, 0, 0, 0];
/** Purchase logit added by the previous page's class (index as `PAGE_CLASSES`; none: 0). */
export const PREVIOUS_LOGIT: readonly number[] = [0, 0.2, 0, 0.1, 0.8, -0.3, -0.4, -0.3, 0];
/** Amplitude of the daily conversion cycle (logit). */
export const HOUR_AMPLITUDE = 0.6;
/** Hour of day (UTC) of the highest conversion. */
export const PEAK_HOUR = 20;
/** Purchase logit by day of week, 0 = Sunday … 6 = Saturday (UTC). */
export const DAY_LOGIT: readonly number[] = [0.35, -0.3, -0.15, -0.05, 0, 0.15, 0.4];
/** Weight of `ln(1 + earlier clicks)`: engaged sessions buy more. */
export const CLICKS_WEIGHT = 0.5;
/** Weight of `ln(1 + earlier purchases)`: a session that bought is less likely to buy again. */
export const PURCHASES_WEIGHT: number = -1.5;
/** Weight of `ln(1 + spend so far)`: a big spender is likelier to add another purchase. */
export const SPEND_WEIGHT = 0.1;
/** Weight of `ln(1 + seconds since the previous event)`: a long look precedes a purchase. */
export const GAP_WEIGHT = 0.25;
/** Weight of `ln(position)`. */
export const POSITION_WEIGHT = 0.1;

/**
 * How each page class splits the non-purchase share between `click`, `view` and `scroll`
 * (rows sum to 1).
 */
export const BROWSE_SPLIT: readonly (readonly [number, number, number])[] = [
  [0.35, 0.45, 0.2], // home
  [0.55, 0.3, 0.15], // search
  [0.4, 0.2, 0.4], // category
  [0.25, 0.4, 0.35], // product
  [0.5, 0.4, 0.1], // cart
  [0.6, 0.35, 0.05], // checkout
  [0.1, 0.6, 0.3], // about
  [0.1, 0.3, 0.6], // blog
  [1 / 3, 1 / 3, 1 / 3], // other
];

/** Everything the action model reads: what a featurizer sees of one event before its action. */
export interface FunnelView {
  /** Page class index of the event's url ({@linkcode pageClassOf}). */
  page: number;
  /** Page class index of the session's previous event, {@linkcode NO_PAGE} for the first. */
  previous: number;
  /** Position in the session, 1 for the first event. */
  position: number;
  /** Seconds since the session's first event (0 for the first). Not used by this model. */
  secondsSinceStart: number;
  /** Seconds since the session's previous event (0 for the first). */
  secondsSincePrevious: number;
  /** The session's earlier events by action, in the order of `ACTIONS`. */
  actionCounts: ArrayLike<number>;
  /** Sum of the amounts of the session's earlier purchases. */
  spend: number;
  /** Hour of day of the event's timestamp, UTC, 0..23. */
  hour: number;
  /** Day of week of the event's timestamp, UTC, 0 = Sunday … 6 = Saturday. */
  dayOfWeek: number;
  /**
   * Whether the stream has drifted ({@linkcode DRIFT_SHIFT}).
   *
   * @default {false}
   */
  drifted?: boolean;
}

/** A view to fill in (a session's first event at hour 0 of a Sunday, page `home`). */
export function newFunnelView(): FunnelView & { actionCounts: Float64Array } {
  return {
    page: HOME,
    previous: NO_PAGE,
    position: 1,
    secondsSinceStart: 0,
    secondsSincePrevious: 0,
    actionCounts: new Float64Array(ACTIONS.length),
    spend: 0,
    hour: 0,
    dayOfWeek: 0,
    drifted: false,
  };
}

const HOUR_TERM = Float64Array.from(
  { length: 24 },
  (_, h) => HOUR_AMPLITUDE * Math.cos(2 * Math.PI * (h - PEAK_HOUR) / 24),
);

/** The hour of day (UTC, 0..23) of integer epoch seconds `ts`. */
export function hourOfDay(ts: number): number {
  return Math.floor(ts / 3600) - Math.floor(ts / 86400) * 24;
}

/** The day of week (UTC, 0 = Sunday … 6 = Saturday) of integer epoch seconds `ts`. */
export function dayOfWeek(ts: number): number {
  const d = (Math.floor(ts / 86400) + 4) % 7; // 1970-01-01 was a Thursday
  return d < 0 ? d + 7 : d;
}

/** The purchase logit `z` of the module doc. */
export function funnelPurchaseLogit(view: FunnelView): number {
  const page = view.page;
  const counts = view.actionCounts;
  let z = PAGE_LOGIT[page] + (view.drifted === true ? DRIFT_SHIFT[page] : 0);
  if (view.previous !== NO_PAGE) z += PREVIOUS_LOGIT[view.previous];
  return z + HOUR_TERM[view.hour] + DAY_LOGIT[view.dayOfWeek] +
    CLICKS_WEIGHT * Math.log1p(counts[0]) + PURCHASES_WEIGHT * Math.log1p(counts[3]) +
    SPEND_WEIGHT * Math.log1p(view.spend) + GAP_WEIGHT * Math.log1p(view.secondsSincePrevious) +
    POSITION_WEIGHT * Math.log(view.position);
}

/** The exact purchase probability `σ(z)` of an event seen as `view`. */
export function funnelPurchaseProbability(view: FunnelView): number {
  return 1 / (1 + Math.exp(-funnelPurchaseLogit(view)));
}

/**
 * Writes the exact probability of each action (order of `ACTIONS`: click, view, scroll,
 * purchase) of an event seen as `view` into `out` and returns it.
 */
export function funnelActionProbabilities(
  view: FunnelView,
  out: Float64Array = new Float64Array(ACTIONS.length),
): Float64Array {
  const q = funnelPurchaseProbability(view);
  const split = BROWSE_SPLIT[view.page];
  const rest = 1 - q;
  out[0] = rest * split[0];
  out[1] = rest * split[1];
  out[2] = rest * split[2];
  out[3] = q;
  return out;
}
