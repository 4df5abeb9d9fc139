/**
 * The funnel profile (`--profile funnel`): a small shop's clickstream with the structure a real
 * one has — thousands of urls, page-to-page transitions, purchases that depend on the page, the
 * time of day and week and on what the session did before, returning users — while the exact
 * probability of every action stays known: each action is drawn from `funnel_model.ts`, a pure
 * function of what a point-in-time featurizer can see of the event.
 *
 * **Time.** A simulated clock starts at `simulatedStart` (default 2026-01-05 00:00 UTC, a Monday)
 * and advances per event by `1 / rate(t)`, where `rate(t) = meanEventsPerSecond · d(t) · w(t)`:
 * the daily factor `d = 1 + 0.6 cos(2π (h − 19) / 24)` (`h` the fractional hour of day, UTC;
 * busiest at 19:00, 4× quieter at 07:00) and the weekly factor `w` (1.2 on Saturday and Sunday,
 * 0.92 on weekdays) both average 1, so the long-run rate is `meanEventsPerSecond` (default
 * 0.55: 1M events span about 21 simulated days). Timestamps are whole seconds.
 *
 * **Sessions.** Open sessions wait in a heap keyed by the time of their next event. At each
 * clock tick the session due first emits its next event; when none is due a new session
 * starts — so the number of open sessions follows the traffic cycle (about 30 on average) and
 * many interleave. After each event a session either leaves (the page's exit chance) or picks
 * its next page from the Markov chain {@linkcode TRANSITIONS} and waits `2 + Exp(DWELL[page])`
 * seconds, capped at {@linkcode MAX_DWELL_SECONDS}; a session that falls more than
 * {@linkcode MAX_GAP_SECONDS} behind (only ever a queue at a traffic trough) leaves instead. So
 * every gap within a session is below the session store's 1800-second idle expiry.
 *
 * **Pages.** `/home`, `/search?q=<letters>`, `/category/<1..200>`, `/product/<1..5000>`,
 * `/cart`, `/checkout`, `/about`, `/blog/<1..50>`; other pages carry `?` and 6 letters 30% of the
 * time. Products are Zipf-popular (product 1 most) from search, home and other products, and
 * uniform among a category's 25 (`c, c + 200, …`) from category `c`; over 1M events about 5,250
 * distinct paths appear. A session lands on home, product, category, blog, search or about, never
 * on the cart or the checkout, and reaches the checkout only from the cart.
 *
 * **Actions.** From `funnelActionProbabilities` (see `funnel_model.ts`). A purchase's amount: on
 * a product page the product's price (a fixed function of its id, 5..500); on the cart or the
 * checkout the cart's value (the prices of the products viewed just before the cart, emptied by
 * a purchase; when empty, the session's last product's price, or 25); elsewhere uniform in
 * 5..60.
 *
 * **Users.** A new session belongs to a returning user with probability `returningUserShare`
 * (default 0.3: a user drawn uniformly from the last 20,000 ended sessions), else to a new user
 * (ids `1, 2, 3, …`; shard `i` of `n` uses `i + 1, i + 1 + n, …`). User ids carry no signal.
 *
 * **Drift.** From the `driftAt`-th event of this generator on, the model's `drifted` shift
 * applies: a "buy now" button moves conversion from the cart and checkout to the product page.
 *
 * **Shards.** Shard `index` of `count` draws its own random stream and runs its clock at
 * `meanEventsPerSecond / count`; its clock depends only on its own event count, so `count`
 * shards interleaved at equal rates carry identical timestamps at each round.
 *
 * @module
 */

import { ACTIONS, type WireEvent } from "../events/wire.ts";
import {
  BLOG,
  CART,
  CATEGORY,
  CHECKOUT,
  dayOfWeek,
  funnelActionProbabilities,
  type FunnelView,
  HOME,
  hourOfDay,
  NO_PAGE,
  PAGE_CLASSES,
  PRODUCT,
  SEARCH,
} from "./funnel_model.ts";
import type { Generator } from "./generator.ts";
import { deriveSeed, Random, splitmix32 } from "./random.ts";

/** Products, categories and blog posts. */
export const PRODUCTS = 5000, CATEGORIES = 200, BLOG_POSTS = 50;
/** Exponent of the products' Zipf popularity. */
export const ZIPF_EXPONENT = 1;
/** Longest wait for a session's next event, seconds. */
export const MAX_DWELL_SECONDS = 1200;
/** A session further behind than this since its last event leaves instead, seconds. */
export const MAX_GAP_SECONDS = 1700;

/** 2026-01-05T00:00:00Z, a Monday. */
export const FUNNEL_START = 1_767_571_200;

const EXIT = PAGE_CLASSES.length - 1; // the "other" column holds the exit chance
/**
 * The Markov chain over page classes: row = current page, column = next page in the order of
 * `PAGE_CLASSES` without `other`, then the chance to leave.
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
/** Where sessions land (order of `PAGE_CLASSES` without `other`). */
export const LANDING: readonly number[] = [0.4, 0.06, 0.14, 0.22, 0, 0, 0.04, 0.14];
/** Mean dwell on each page class before the next event (plus 2 s), seconds. */
export const DWELL: readonly number[] = [25, 30, 45, 75, 50, 100, 60, 150];

/** Options of {@linkcode FunnelGenerator}. */
export interface FunnelGeneratorOptions {
  /** Seed of the random stream. Default `42`. */
  seed?: number;
  /** Simulated clock: the first event's timestamp, integer epoch seconds. Default 2026-01-05 (UTC). */
  simulatedStart?: number;
  /** Long-run events per simulated second of the whole (unsharded) stream. Default `0.55`. */
  meanEventsPerSecond?: number;
  /** Share of new sessions that belong to a returning user. Default `0.3`. */
  returningUserShare?: number;
  /**
   * Event time source in integer epoch seconds, called once per event (sessions are still
   * scheduled on the simulated clock; the probabilities follow the timestamps written). Default:
   * the simulated clock.
   */
  clock?: () => number;
  /** Index (0-based, in this generator's events) of the first drifted event. Default `Infinity`. */
  driftAt?: number;
  /** This generator is shard `index` of `count`. Default: unsharded. */
  shard?: { index: number; count: number };
}

const ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const USER_RING = 20_000;
const STATIC_PATHS = ["/home", "/search", "", "", "/cart", "/checkout", "/about", ""];
const PRODUCT_PATHS = Array.from({ length: PRODUCTS + 1 }, (_, i) => `/product/${i}`);
const CATEGORY_PATHS = Array.from({ length: CATEGORIES + 1 }, (_, i) => `/category/${i}`);
const BLOG_PATHS = Array.from({ length: BLOG_POSTS + 1 }, (_, i) => `/blog/${i}`);

/** A product's price: a fixed function of its id, 5..500 in cents, most of them cheap. */
export function productPrice(id: number): number {
  const u = splitmix32(id) / 4294967296;
  return Math.round((5 + 495 * u * u * u) * 100) / 100;
}

function cumulative(row: readonly number[]): Float64Array {
  const c = new Float64Array(row.length);
  let s = 0;
  for (let i = 0; i < row.length; i++) c[i] = s += row[i];
  c[row.length - 1] = 1.5; // catch rounding: the last outcome takes the rest
  return c;
}

const TRANSITION_CDF = TRANSITIONS.map(cumulative);
const LANDING_CDF = cumulative(LANDING);
const ZIPF_CDF = (() => {
  const c = new Float64Array(PRODUCTS);
  let s = 0;
  for (let i = 0; i < PRODUCTS; i++) c[i] = s += 1 / Math.pow(i + 1, ZIPF_EXPONENT);
  for (let i = 0; i < PRODUCTS; i++) c[i] /= s;
  c[PRODUCTS - 1] = 1.5;
  return c;
})();
/** Traffic factor per minute of the week (Monday 00:00 first), mean 1. */
const TRAFFIC = (() => {
  const t = new Float64Array(7 * 1440);
  for (let m = 0; m < t.length; m++) {
    const day = Math.floor(m / 1440); // 0 = Monday
    const hour = (m % 1440) / 60;
    t[m] = (1 + 0.6 * Math.cos(2 * Math.PI * (hour - 19) / 24)) * (day >= 5 ? 1.2 : 0.92);
  }
  return t;
})();

/** The outcome of a uniform `u` under a short cumulative table (a linear scan). */
function draw(cdf: Float64Array, u: number): number {
  let i = 0;
  while (u >= cdf[i]) i++;
  return i;
}

/** The first index whose cumulative value exceeds `u` (a binary search, for long tables). */
function search(cdf: Float64Array, u: number): number {
  let lo = 0, hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < cdf[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function check(ok: boolean, name: string, value: unknown, expected: string): void {
  if (!ok) {
    throw new RangeError(
      `Cannot create a FunnelGenerator with ${name} ${String(value)}: expected ${expected}.`,
    );
  }
}

/**
 * The funnel generator. `next()` returns a fresh {@linkcode WireEvent}; the getters describe
 * the event last returned.
 *
 * @example
 * ```ts
 * const gen = new FunnelGenerator({ seed: 7 });
 * const event = gen.next();
 * const [click, view, scroll, purchase] = gen.actionProbabilities;
 * ```
 */
export class FunnelGenerator implements Generator {
  #rng: Random;
  #clock: (() => number) | undefined;
  #start: number;
  /** Seconds of simulated time per event at traffic factor 1. */
  #step: number;
  #returning: number;
  #driftAt: number;
  #userStride: number;
  #nextUser: number;
  #t = 0;
  #generated = 0;
  #probability = 0;
  #position = 0;
  #started = false;
  #actions = new Float64Array(4);
  #view: FunnelView & { actionCounts: Float64Array } = {
    page: HOME,
    previous: NO_PAGE,
    position: 1,
    secondsSinceStart: 0,
    secondsSincePrevious: 0,
    actionCounts: new Float64Array(4),
    spend: 0,
    hour: 0,
    dayOfWeek: 0,
    drifted: false,
  };
  #users = new Int32Array(USER_RING);
  #usersSize = 0;
  #usersNext = 0;
  #returningSessions = 0;
  #sessions = 0;

  // Open sessions, by slot; `#heap` holds slots ordered by `#due`.
  #cap = 0;
  #heap = new Int32Array(0);
  #heapSize = 0;
  #free: number[] = [];
  #ids: string[] = [];
  #due = new Float64Array(0);
  #lastT = new Float64Array(0);
  #user = new Int32Array(0);
  #page = new Int8Array(0);
  #nextPage = new Int8Array(0);
  #product = new Int32Array(0); // the session's last product, 0 for none
  #category = new Int32Array(0); // its last category, 0 for none
  #count = new Int32Array(0);
  #first = new Float64Array(0);
  #last = new Float64Array(0);
  #counts = new Float64Array(0); // 4 per slot
  #spend = new Float64Array(0);
  #cart = new Float64Array(0);

  /** @param options see {@linkcode FunnelGeneratorOptions} */
  constructor(options: FunnelGeneratorOptions = {}) {
    const seed = options.seed ?? 42;
    const rate = options.meanEventsPerSecond ?? 0.55;
    this.#start = options.simulatedStart ?? FUNNEL_START;
    this.#returning = options.returningUserShare ?? 0.3;
    this.#driftAt = options.driftAt ?? Infinity;
    this.#clock = options.clock;
    check(typeof seed === "number" && Number.isFinite(seed), "seed", seed, "a finite number");
    check(rate > 0 && Number.isFinite(rate), "meanEventsPerSecond", rate, "a positive number");
    check(Number.isInteger(this.#start), "simulatedStart", this.#start, "integer epoch seconds");
    check(
      this.#returning >= 0 && this.#returning <= 1,
      "returningUserShare",
      this.#returning,
      "0..1",
    );
    check(this.#driftAt >= 0, "driftAt", this.#driftAt, "an event index ≥ 0");
    let count = 1, index = 0, rngSeed = seed;
    if (options.shard !== undefined) {
      ({ index, count } = options.shard);
      check(Number.isInteger(count) && count >= 1, "shard.count", count, "a positive integer");
      check(
        Number.isInteger(index) && index >= 0 && index < count,
        "shard.index",
        index,
        `0..${count - 1}`,
      );
      rngSeed = deriveSeed(seed, index);
    }
    this.#rng = new Random(rngSeed);
    this.#step = count / rate;
    this.#userStride = count;
    this.#nextUser = index + 1;
    this.#grow(64);
  }

  /** The true purchase probability of the event last returned by `next()`. */
  get probability(): number {
    return this.#probability;
  }

  /**
   * The true probability of each action of the last event, order of `ACTIONS`. The same array
   * every call, overwritten by `next()`.
   */
  get actionProbabilities(): Float64Array {
    return this.#actions;
  }

  /** The position in its session (1-based, this event included) of the last event. */
  get position(): number {
    return this.#position;
  }

  /** Whether the last event started a new session. */
  get startedSession(): boolean {
    return this.#started;
  }

  /** How many events this generator has produced. */
  get generated(): number {
    return this.#generated;
  }

  /** Sessions open now. */
  get activeSessions(): number {
    return this.#heapSize;
  }

  /** Sessions started so far. */
  get sessions(): number {
    return this.#sessions;
  }

  /** Sessions started so far by a returning user. */
  get returningSessions(): number {
    return this.#returningSessions;
  }

  /** Simulated seconds elapsed since `simulatedStart` at the next event. */
  get simulatedSeconds(): number {
    return this.#t;
  }

  /** Generates the next event. */
  next(): WireEvent {
    const rng = this.#rng;
    const t = this.#t;
    let slot = -1;
    while (this.#heapSize > 0 && this.#due[this.#heap[0]] <= t) {
      const s = this.#heap[0];
      if (t - this.#lastT[s] <= MAX_GAP_SECONDS) {
        slot = s;
        break;
      }
      this.#close(this.#pop()); // fell too far behind: it left
    }
    const ts = this.#clock === undefined ? this.#start + Math.floor(t) : this.#clock();
    const view = this.#view;
    const counts = view.actionCounts;
    let page: number;
    if (slot >= 0) {
      this.#started = false;
      page = this.#nextPage[slot];
      const k = this.#count[slot];
      view.previous = this.#page[slot];
      view.position = k + 1;
      view.secondsSinceStart = Math.max(0, ts - this.#first[slot]);
      view.secondsSincePrevious = Math.max(0, ts - this.#last[slot]);
      const o = slot * 4;
      counts[0] = this.#counts[o];
      counts[1] = this.#counts[o + 1];
      counts[2] = this.#counts[o + 2];
      counts[3] = this.#counts[o + 3];
      view.spend = this.#spend[slot];
    } else {
      slot = this.#open(ts);
      this.#started = true;
      page = draw(LANDING_CDF, rng.next());
      view.previous = NO_PAGE;
      view.position = 1;
      view.secondsSinceStart = 0;
      view.secondsSincePrevious = 0;
      counts.fill(0);
      view.spend = 0;
    }
    // The page's path.
    let path: string;
    let query = "";
    if (page === PRODUCT) {
      const product = !this.#started && this.#page[slot] === CATEGORY
        ? this.#category[slot] + CATEGORIES * rng.nextInt(PRODUCTS / CATEGORIES)
        : 1 + search(ZIPF_CDF, rng.next());
      this.#product[slot] = product;
      path = PRODUCT_PATHS[product];
    } else if (page === CATEGORY) {
      const category = 1 + rng.nextInt(CATEGORIES);
      this.#category[slot] = category;
      path = CATEGORY_PATHS[category];
    } else if (page === BLOG) {
      path = BLOG_PATHS[1 + rng.nextInt(BLOG_POSTS)];
    } else {
      path = STATIC_PATHS[page];
      // the product viewed just before the cart goes into it
      if (page === CART && view.previous === PRODUCT) {
        this.#cart[slot] =
          Math.round((this.#cart[slot] + productPrice(this.#product[slot])) * 100) /
          100;
      }
    }
    if (page === SEARCH) {
      query = "?q=";
      for (let i = 2 + rng.nextInt(7); i > 0; i--) query += LOWER[rng.nextInt(26)];
    } else if (rng.next() < 0.3) {
      query = "?";
      for (let i = 0; i < 6; i++) query += LETTERS[rng.nextInt(52)];
    }
    // The action.
    view.page = page;
    view.hour = hourOfDay(ts);
    view.dayOfWeek = dayOfWeek(ts);
    view.drifted = this.#generated >= this.#driftAt;
    const probs = funnelActionProbabilities(view, this.#actions);
    const u = rng.next();
    const q = probs[3];
    const a = u < q ? 3 : u < q + probs[0] ? 0 : u < q + probs[0] + probs[1] ? 1 : 2;
    let amount = 0;
    if (a === 3) {
      if (page === PRODUCT) amount = productPrice(this.#product[slot]);
      else if (page === CART || page === CHECKOUT) {
        const cart = this.#cart[slot], product = this.#product[slot];
        amount = cart > 0 ? cart : product > 0 ? productPrice(product) : 25;
        this.#cart[slot] = 0;
      } else amount = Math.round((5 + 55 * rng.next()) * 100) / 100;
      this.#spend[slot] += amount; // summed as a featurizer sums the amounts it sees
    }
    // Update the session.
    this.#page[slot] = page;
    this.#count[slot] = view.position;
    this.#last[slot] = ts;
    this.#lastT[slot] = t;
    this.#counts[slot * 4 + a]++;
    this.#probability = probs[3];
    this.#position = view.position;
    const event: WireEvent = a === 3
      ? {
        user_id: this.#user[slot],
        url: query === "" ? path : path + query,
        action: "purchase",
        session_id: this.#ids[slot],
        timestamp: ts,
        amount,
      }
      : {
        user_id: this.#user[slot],
        url: query === "" ? path : path + query,
        action: ACTIONS[a],
        session_id: this.#ids[slot],
        timestamp: ts,
      };
    // What the session does next.
    const nextPage = draw(TRANSITION_CDF[page], rng.next());
    if (nextPage === EXIT) {
      if (this.#started) this.#close(slot);
      else this.#close(this.#pop());
    } else {
      this.#nextPage[slot] = nextPage;
      const wait = 2 - DWELL[page] * Math.log(1 - rng.next());
      this.#due[slot] = t + (wait < MAX_DWELL_SECONDS ? wait : MAX_DWELL_SECONDS);
      if (this.#started) this.#push(slot);
      else this.#siftDown(0);
    }
    // The clock.
    const minute = Math.floor(t / 60) % TRAFFIC.length;
    this.#t = t + this.#step / TRAFFIC[minute];
    this.#generated++;
    return event;
  }

  #open(ts: number): number {
    if (this.#free.length === 0) this.#grow(this.#cap * 2);
    const slot = this.#free.pop()!;
    let id = "";
    for (let i = 0; i < 10; i++) id += ID_CHARS[this.#rng.nextInt(36)];
    this.#ids[slot] = id;
    let user: number;
    if (this.#usersSize > 0 && this.#rng.next() < this.#returning) {
      user = this.#users[this.#rng.nextInt(this.#usersSize)];
      this.#returningSessions++;
    } else {
      user = this.#nextUser;
      this.#nextUser += this.#userStride;
    }
    this.#sessions++;
    this.#user[slot] = user;
    this.#page[slot] = HOME;
    this.#product[slot] = 0;
    this.#category[slot] = 0;
    this.#count[slot] = 0;
    this.#first[slot] = ts;
    this.#last[slot] = ts;
    this.#counts.fill(0, slot * 4, slot * 4 + 4);
    this.#spend[slot] = 0;
    this.#cart[slot] = 0;
    return slot;
  }

  #close(slot: number): void {
    this.#users[this.#usersNext] = this.#user[slot];
    this.#usersNext = this.#usersNext + 1 === USER_RING ? 0 : this.#usersNext + 1;
    if (this.#usersSize < USER_RING) this.#usersSize++;
    this.#ids[slot] = "";
    this.#free.push(slot);
  }

  #grow(cap: number): void {
    const old = this.#cap;
    const f64 = (a: Float64Array, n = 1) => {
      const b = new Float64Array(cap * n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const i8 = (a: Int8Array) => {
      const b = new Int8Array(cap);
      b.set(a);
      return b;
    };
    this.#heap = i32(this.#heap);
    this.#due = f64(this.#due);
    this.#lastT = f64(this.#lastT);
    this.#user = i32(this.#user);
    this.#page = i8(this.#page);
    this.#nextPage = i8(this.#nextPage);
    this.#product = i32(this.#product);
    this.#category = i32(this.#category);
    this.#count = i32(this.#count);
    this.#first = f64(this.#first);
    this.#last = f64(this.#last);
    this.#counts = f64(this.#counts, 4);
    this.#spend = f64(this.#spend);
    this.#cart = f64(this.#cart);
    for (let s = cap - 1; s >= old; s--) {
      this.#ids[s] = "";
      this.#free.push(s);
    }
    this.#cap = cap;
  }

  #push(slot: number): void {
    const heap = this.#heap, due = this.#due;
    let i = this.#heapSize++;
    const key = due[slot];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (due[heap[parent]] <= key) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = slot;
  }

  #pop(): number {
    const top = this.#heap[0];
    const last = this.#heap[--this.#heapSize];
    if (this.#heapSize > 0) {
      this.#heap[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  #siftDown(i: number): void {
    const heap = this.#heap, due = this.#due, n = this.#heapSize;
    const slot = heap[i];
    const key = due[slot];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && due[heap[c + 1]] < due[heap[c]]) c++;
      if (due[heap[c]] >= key) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = slot;
  }
}
