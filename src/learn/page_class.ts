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
 * answer is `pageClassOf`'s for every string — `other` for any segment it does not know, such as
 * `constructor` (`tests/learn/page_class_test.ts` holds the two equal on every segment and on
 * random strings).
 *
 * Where the url is a slice of a record's bytes (the featurize stage's rows), the class comes from
 * those bytes, with no string: {@linkcode pageClassBytes} finds the segment in the url's WTF-8
 * bytes — its delimiters and the known segments are ASCII, which no other character's bytes
 * contain, so the bytes give the string's answer — and says `-1` for a segment that is none of
 * the known ones (then the string is asked after all). The featurizer hands the class to the
 * feature set's `write` and its layout in a {@linkcode PagedEvent}, which they read by
 * {@linkcode eventPageClass}.
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

import type { Action } from "../events/wire.ts";
import type { SessionEvent } from "./session_layout.ts";

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

const SEGMENTS: readonly (readonly [string, number])[] = [
  ["home", HOME],
  ["cart", CART],
  ["blog", BLOG],
  ["about", ABOUT],
  ["search", SEARCH],
  ["product", PRODUCT],
  ["products", PRODUCT],
  ["category", CATEGORY],
  ["checkout", CHECKOUT],
];
/** The known segments' bytes by length (all ASCII). */
const BY_LENGTH: [Uint8Array, number][][] = Array.from({ length: 9 }, () => []);
for (const [segment, c] of SEGMENTS) {
  BY_LENGTH[segment.length].push([Uint8Array.from(segment, (ch) => ch.charCodeAt(0)), c]);
}

/**
 * The page class of the url whose WTF-8 bytes are `bytes[start .. start + length)` —
 * `pageClassOf` of that url — when its first segment is one of the known ones (the empty one
 * included); `-1` otherwise (ask `pageClass` of the string).
 */
export function pageClassBytes(bytes: Uint8Array, start: number, length: number): number {
  const end = start + length;
  let stop = end;
  for (let i = start + 1; i < end; i++) {
    const c = bytes[i];
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) {
      stop = i;
      break;
    }
  }
  const s = length > 0 && bytes[start] === 47 ? start + 1 : start;
  const n = stop - s;
  if (n === 0) return HOME;
  if (n >= BY_LENGTH.length) return -1;
  const candidates = BY_LENGTH[n];
  next: for (let k = 0; k < candidates.length; k++) {
    const [word, c] = candidates[k];
    for (let i = 0; i < n; i++) if (bytes[s + i] !== word[i]) continue next;
    return c;
  }
  return -1;
}

/**
 * An event whose page class is known already (from its url's bytes, {@linkcode pageClassBytes}):
 * the fields of the event it stands for, its url and session id read from that event only when
 * asked. The featurizer fills one per call; nothing is allocated per event.
 */
export class PagedEvent implements SessionEvent {
  /** The event it stands for. */
  event: SessionEvent | null = null;
  /** Its url's page class, or -1 when the bytes could not say (see {@linkcode pageClassBytes}). */
  page: number = -1;
  /** The event's timestamp. */
  timestamp = 0;
  /** The event's action. */
  action: Action = "click";
  /** The event's amount. */
  amount: number | undefined = undefined;

  /** Stands for `event`, whose url's page class is `page` (-1: unknown); returns itself. */
  of(event: SessionEvent, page: number): this {
    this.event = event;
    this.page = page;
    this.timestamp = event.timestamp;
    this.action = event.action;
    this.amount = event.amount;
    return this;
  }

  /** The event's url. */
  get url(): string {
    return this.event!.url;
  }

  /** The event's session id. */
  get session_id(): string {
    return this.event!.session_id;
  }
}

/** The page class of `event`'s url: a {@linkcode PagedEvent}'s when known, else {@linkcode pageClass}. */
export function eventPageClass(event: SessionEvent): number {
  if (event instanceof PagedEvent && event.page >= 0) return event.page;
  return pageClass(event.url);
}
