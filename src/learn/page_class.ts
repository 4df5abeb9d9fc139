/**
 * The page class of an event's url for the `fields` and `shop` feature sets, as the funnel
 * model's `pageClassOf` (`src/generator/funnel_model.ts`) defines it — the path's first segment —
 * at a fraction of its cost: the featurizer asks it twice per event (the row's own page, then the
 * session state's last page) for the same url, and `pageClassOf` makes a string of the segment
 * and looks it up in an object each time.
 *
 * {@linkcode pageClass} answers from a one-entry cache when asked for the url it was last asked
 * for (a string equal to it: same answer, since the class is a function of the url's code
 * units), and otherwise matches the segment's code units against the known segments in place,
 * with no string made; a segment that is none of them goes to `pageClassOf` itself, so that the
 * answer is `pageClassOf`'s for every string — `other`, or what its object lookup gives for a
 * segment such as `constructor` (`tests/learn/page_class_test.ts` holds the two equal on every
 * segment and on random strings).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pageClass } from "./page_class.ts";
 * import { pageClassOf } from "../generator/funnel_model.ts";
 *
 * assert.equal(pageClass("/products?aBcDeF"), pageClassOf("/products?aBcDeF"));
 * assert.equal(pageClass("/nowhere/7"), pageClassOf("/nowhere/7"));
 * ```
 *
 * @module
 */

import {
  ABOUT,
  BLOG,
  CART,
  CATEGORY,
  CHECKOUT,
  HOME,
  pageClassOf,
  PRODUCT,
  SEARCH,
} from "../generator/funnel_model.ts";

let lastUrl: string | undefined = undefined;
let lastClass = HOME;

/** `pageClassOf(url)`: the page class index of the url's path's first segment. */
export function pageClass(url: string): number {
  if (url === lastUrl) return lastClass;
  const c = classify(url);
  lastUrl = url;
  lastClass = c;
  return c;
}

/** `pageClassOf`'s segment bounds, then the known segments by length, else `pageClassOf`. */
function classify(url: string): number {
  const n = url.length;
  let end = n;
  for (let i = 1; i < n; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  const s = n > 0 && url.charCodeAt(0) === 47 ? 1 : 0;
  switch (end - s) {
    case 0:
      return HOME;
    case 4:
      if (url.startsWith("home", s)) return HOME;
      if (url.startsWith("cart", s)) return CART;
      if (url.startsWith("blog", s)) return BLOG;
      break;
    case 5:
      if (url.startsWith("about", s)) return ABOUT;
      break;
    case 6:
      if (url.startsWith("search", s)) return SEARCH;
      break;
    case 7:
      if (url.startsWith("product", s)) return PRODUCT;
      break;
    case 8:
      if (url.startsWith("products", s)) return PRODUCT;
      if (url.startsWith("category", s)) return CATEGORY;
      if (url.startsWith("checkout", s)) return CHECKOUT;
      break;
  }
  return pageClassOf(url);
}
