/**
 * The funnel profile's shop, as fixed tables: its pages and their paths, where sessions land, the
 * Markov chain between page classes, how long people stay on each page, product prices and
 * popularity, and the daily and weekly traffic cycle. Pure data and lookups; the process that
 * walks it is `funnel_generator.ts`.
 *
 * @module
 */

import { PAGE_CLASSES } from "./funnel_model.ts";
import { splitmix32 } from "../util/random.ts";

/** Products, categories and blog posts. */
export const PRODUCTS = 5000, CATEGORIES = 200, BLOG_POSTS = 50;
/** Exponent of the products' Zipf popularity (product 1 the most popular). */
export const ZIPF_EXPONENT = 1;
/** Longest wait for a session's next event, seconds. */
export const MAX_DWELL_SECONDS = 1200;

/** The index of "leave" in a {@linkcode TRANSITIONS} row (the column of `other`). */
export const EXIT = PAGE_CLASSES.length - 1;
/**
 * The Markov chain over page classes: row = current page, column = next page in the order of
 * `PAGE_CLASSES` without `other`, then the chance to leave ({@linkcode EXIT}). The checkout is
 * reachable only from the cart.
 */
export const TRANSITIONS: readonly (readonly number[])[] = [
  // home search categ product cart checkout about blog | exit
  [0.03, 0.25, 0.32, 0.12, 0.02, 0, 0.04, 0.05, 0.17], // home
  [0.04, 0.12, 0.08, 0.58, 0.02, 0, 0, 0, 0.16], // search
  [0.04, 0.08, 0.1, 0.62, 0.02, 0, 0, 0, 0.14], // category
  [0.04, 0.08, 0.1, 0.28, 0.2, 0, 0.01, 0.01, 0.28], // product
  [0.03, 0.02, 0.03, 0.17, 0.04, 0.46, 0, 0, 0.25], // cart
  [0.12, 0.02, 0.02, 0.08, 0.06, 0, 0.01, 0, 0.69], // checkout
  [0.35, 0.05, 0.05, 0.05, 0, 0, 0, 0.1, 0.4], // about
  [0.15, 0.03, 0.04, 0.15, 0, 0, 0.02, 0.2, 0.41], // blog
];
/** Where sessions land (order of `PAGE_CLASSES` without `other`): never the cart or checkout. */
export const LANDING: readonly number[] = [0.4, 0.06, 0.14, 0.22, 0, 0, 0.04, 0.14];
/** Mean dwell on each page class before the next event (plus 2 s), seconds. */
export const DWELL: readonly number[] = [25, 30, 45, 75, 50, 100, 60, 150];

/** Paths of the pages without an id (index: page class); `""` for those with one. */
export const STATIC_PATHS: readonly string[] = [
  "/home",
  "/search",
  "",
  "",
  "/cart",
  "/checkout",
  "/about",
  "",
];
/** `/product/<id>` by id (index 0 unused). */
export const PRODUCT_PATHS: readonly string[] = Array.from(
  { length: PRODUCTS + 1 },
  (_, i) => `/product/${i}`,
);
/** `/category/<id>` by id (index 0 unused). */
export const CATEGORY_PATHS: readonly string[] = Array.from(
  { length: CATEGORIES + 1 },
  (_, i) => `/category/${i}`,
);
/** `/blog/<id>` by id (index 0 unused). */
export const BLOG_PATHS: readonly string[] = Array.from(
  { length: BLOG_POSTS + 1 },
  (_, i) => `/blog/${i}`,
);

/** A product's price: a fixed function of its id, 5..500 in cents, most of them cheap. */
export function productPrice(id: number): number {
  const u = splitmix32(id) / 4294967296;
  return Math.round((5 + 495 * u * u * u) * 100) / 100;
}

/** Cumulative sums of `row`, its last entry raised above 1 so that rounding cannot fall off. */
export function cumulative(row: readonly number[]): Float64Array {
  const c = new Float64Array(row.length);
  let s = 0;
  for (let i = 0; i < row.length; i++) c[i] = s += row[i];
  c[row.length - 1] = 1.5;
  return c;
}

/** {@linkcode TRANSITIONS} as cumulative rows. */
export const TRANSITION_CDF: readonly Float64Array[] = TRANSITIONS.map(cumulative);
/** {@linkcode LANDING} as a cumulative row. */
export const LANDING_CDF: Float64Array = cumulative(LANDING);
/** Zipf popularity of products `1..PRODUCTS` as a cumulative table (index = id − 1). */
export const ZIPF_CDF: Float64Array = (() => {
  const weights = Array.from({ length: PRODUCTS }, (_, i) => 1 / Math.pow(i + 1, ZIPF_EXPONENT));
  const total = weights.reduce((s, w) => s + w, 0);
  return cumulative(weights.map((w) => w / total));
})();

/** The outcome of a uniform `u` under a short cumulative table (a linear scan). */
export function draw(cdf: Float64Array, u: number): number {
  let i = 0;
  while (u >= cdf[i]) i++;
  return i;
}

/** The same as {@linkcode draw} by binary search, for long tables. */
export function search(cdf: Float64Array, u: number): number {
  let lo = 0, hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < cdf[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Minutes in a week. */
export const WEEK_MINUTES = 7 * 1440;
/** 1970-01-05T00:00:00Z, a Monday: minute 0 of every UTC week is a multiple of a week after it. */
const MONDAY = 4 * 86400;

/**
 * Traffic factor by minute of the UTC week (Monday 00:00 first): the daily factor
 * `1 + 0.6 cos(2π (h − 19) / 24)` (`h` the fractional hour) times the weekly one (1.2 on
 * Saturday and Sunday, 0.92 on weekdays); both average 1.
 */
export const TRAFFIC: Float64Array = (() => {
  const t = new Float64Array(WEEK_MINUTES);
  for (let m = 0; m < t.length; m++) {
    const day = Math.floor(m / 1440); // 0 = Monday
    const hour = (m % 1440) / 60;
    t[m] = (1 + 0.6 * Math.cos(2 * Math.PI * (hour - 19) / 24)) * (day >= 5 ? 1.2 : 0.92);
  }
  return t;
})();

/** The minute of the UTC week (0 = Monday 00:00) of epoch seconds `seconds`. */
export function minuteOfWeek(seconds: number): number {
  const m = Math.floor((seconds - MONDAY) / 60) % WEEK_MINUTES;
  return m < 0 ? m + WEEK_MINUTES : m;
}
