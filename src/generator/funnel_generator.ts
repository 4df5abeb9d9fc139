/**
 * The funnel profile (`--profile funnel`): a small shop's clickstream with the structure a real
 * one has — thousands of urls, page-to-page transitions, purchases that depend on the page, the
 * time of day and week and what the session did before, returning users — while the exact
 * probability of every action stays known: each is drawn from `funnel_model.ts`, a pure function
 * of what a point-in-time featurizer can see of the event. The shop's tables (pages, transitions,
 * dwell, prices, traffic) are in `funnel_site.ts`; `docs/design.md` has the whole model.
 *
 * **Time.** A simulated clock starts at `simulatedStart` (default 2026-01-05 00:00 UTC, a Monday)
 * and advances per event by `1 / (meanEventsPerSecond · TRAFFIC[minute of the UTC week])`; the
 * traffic factor (busiest at 19:00, 4× quieter at 07:00, weekends 1.2 / weekdays 0.92) averages
 * 1, so at the default 0.55 events/s 1M events span about 21 days. Timestamps are whole seconds.
 *
 * **Sessions.** Open sessions (`open_sessions.ts`) wait in a heap keyed by the time of their
 * next event. At each tick the session due first emits; when none is due a new session starts,
 * so about 30 are open on average and the count follows the traffic cycle. After each event a
 * session leaves (its page's exit chance) or picks its next page from the Markov chain and waits
 * `2 + Exp(DWELL[page])` seconds, at most 1200; a session more than
 * {@linkcode MAX_GAP_SECONDS} behind leaves instead, so every gap within a session is below the
 * session store's 1800-second idle expiry.
 *
 * **Pages and amounts.** Products are Zipf-popular, uniform among a category's 25 from its
 * category page; about 5,250 distinct paths appear in 1M events. A purchase costs the product's
 * price on a product page, the cart's value (the products viewed just before the cart) on the
 * cart and checkout, 5..60 elsewhere.
 *
 * **Users.** A new session belongs to a returning user with probability `returningUserShare`
 * (default 0.3; drawn from the last {@linkcode RETURNING_POOL} ended sessions), else to a new
 * user (ids `1, 2, …`; shard `i` of `n` uses `i + 1, i + 1 + n, …`). User ids carry no signal.
 *
 * **Drift and shards.** From the `driftAt`-th event on, the model's `drifted` shift applies
 * (conversion moves from the cart and checkout to the product page). Shard `index` of `count`
 * draws its own random stream and runs its clock at `meanEventsPerSecond / count`, a function of
 * its own event count only: shards interleaved at equal rates carry identical timestamps.
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
  hourOfDay,
  newFunnelView,
  NO_PAGE,
  PRODUCT,
  SEARCH,
} from "./funnel_model.ts";
import {
  BLOG_PATHS,
  BLOG_POSTS,
  CATEGORIES,
  CATEGORY_PATHS,
  draw,
  DWELL,
  EXIT,
  LANDING_CDF,
  MAX_DWELL_SECONDS,
  minuteOfWeek,
  PRODUCT_PATHS,
  productPrice,
  PRODUCTS,
  search,
  STATIC_PATHS,
  TRAFFIC,
  TRANSITION_CDF,
  ZIPF_CDF,
} from "./funnel_site.ts";
import type { FunnelGeneratorOptions } from "./funnel_generator_options.ts";
import type { Generator } from "./generator.ts";
import { OpenSessions } from "./open_sessions.ts";
import { deriveSeed, Random } from "../util/random.ts";

/** A session further behind than this since its last event leaves instead, seconds. */
export const MAX_GAP_SECONDS = 1700;
/** 2026-01-05T00:00:00Z, a Monday: the simulated clock's default start. */
export const FUNNEL_START = 1_767_571_200;
/** Ended sessions whose users may return. */
export const RETURNING_POOL = 20_000;

export type { FunnelGeneratorOptions } from "./funnel_generator_options.ts";

const ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";

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
 * import assert from "node:assert/strict";
 * import { FUNNEL_START, FunnelGenerator } from "./funnel_generator.ts";
 *
 * const gen = new FunnelGenerator({ seed: 7 });
 * const event = gen.next();
 * assert.equal(event.timestamp, FUNNEL_START); // the simulated clock's first second
 * const [click, view, scroll, purchase] = gen.actionProbabilities;
 * assert.ok(Math.abs(click + view + scroll + purchase - 1) < 1e-12);
 * assert.equal(purchase, gen.probability);
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
  #view = newFunnelView();
  #open = new OpenSessions();
  #users = new Int32Array(RETURNING_POOL);
  #usersSize = 0;
  #usersNext = 0;
  #returningSessions = 0;
  #sessions = 0;

  /**
   * Creates the generator.
   *
   * @param options See {@linkcode FunnelGeneratorOptions}.
   * @throws {RangeError} naming the option that is out of range
   */
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
    return this.#open.size;
  }

  /** Sessions started so far. */
  get sessions(): number {
    return this.#sessions;
  }

  /** Sessions started so far by a returning user. */
  get returningSessions(): number {
    return this.#returningSessions;
  }

  /** Generates the next event. */
  next(): WireEvent {
    const rng = this.#rng;
    const open = this.#open;
    const t = this.#t;
    let slot = open.top();
    while (slot >= 0 && open.due[slot] <= t && t - open.lastTime[slot] > MAX_GAP_SECONDS) {
      this.#leave(open.pop()); // fell too far behind: it left
      slot = open.top();
    }
    if (slot >= 0 && !(open.due[slot] <= t)) slot = -1; // none due: a new session
    const ts = this.#clock === undefined ? this.#start + Math.floor(t) : this.#clock();
    const view = this.#view;
    const counts = view.actionCounts;
    let page: number;
    if (slot >= 0) {
      this.#started = false;
      page = open.nextPage[slot];
      view.previous = open.page[slot];
      view.position = open.count[slot] + 1;
      view.secondsSinceStart = Math.max(0, ts - open.first[slot]);
      view.secondsSincePrevious = Math.max(0, ts - open.last[slot]);
      const o = slot * 4;
      counts[0] = open.counts[o];
      counts[1] = open.counts[o + 1];
      counts[2] = open.counts[o + 2];
      counts[3] = open.counts[o + 3];
      view.spend = open.spend[slot];
    } else {
      slot = this.#arrive(ts);
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
      const product = !this.#started && open.page[slot] === CATEGORY
        ? open.category[slot] + CATEGORIES * rng.nextInt(PRODUCTS / CATEGORIES)
        : 1 + search(ZIPF_CDF, rng.next());
      open.product[slot] = product;
      path = PRODUCT_PATHS[product];
    } else if (page === CATEGORY) {
      const category = 1 + rng.nextInt(CATEGORIES);
      open.category[slot] = category;
      path = CATEGORY_PATHS[category];
    } else if (page === BLOG) {
      path = BLOG_PATHS[1 + rng.nextInt(BLOG_POSTS)];
    } else {
      path = STATIC_PATHS[page];
      // the product viewed just before the cart goes into it
      if (page === CART && view.previous === PRODUCT) {
        open.cart[slot] = Math.round((open.cart[slot] + productPrice(open.product[slot])) * 100) /
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
      if (page === PRODUCT) amount = productPrice(open.product[slot]);
      else if (page === CART || page === CHECKOUT) {
        const cart = open.cart[slot], product = open.product[slot];
        amount = cart > 0 ? cart : product > 0 ? productPrice(product) : 25;
        open.cart[slot] = 0;
      } else amount = Math.round((5 + 55 * rng.next()) * 100) / 100;
      open.spend[slot] += amount; // summed as a featurizer sums the amounts it sees
    }
    // Update the session.
    open.page[slot] = page;
    open.count[slot] = view.position;
    open.last[slot] = ts;
    open.lastTime[slot] = t;
    open.counts[slot * 4 + a]++;
    this.#probability = q;
    this.#position = view.position;
    const url = query === "" ? path : path + query;
    const event: WireEvent = a === 3
      ? {
        user_id: open.user[slot],
        url,
        action: "purchase",
        session_id: open.ids[slot],
        timestamp: ts,
        amount,
      }
      : {
        user_id: open.user[slot],
        url,
        action: ACTIONS[a],
        session_id: open.ids[slot],
        timestamp: ts,
      };
    // What the session does next.
    const nextPage = draw(TRANSITION_CDF[page], rng.next());
    if (nextPage === EXIT) {
      this.#leave(this.#started ? slot : open.pop());
    } else {
      open.nextPage[slot] = nextPage;
      const wait = 2 - DWELL[page] * Math.log(1 - rng.next());
      open.due[slot] = t + (wait < MAX_DWELL_SECONDS ? wait : MAX_DWELL_SECONDS);
      if (this.#started) open.push(slot);
      else open.rescheduledTop();
    }
    // The clock.
    this.#t = t + this.#step / TRAFFIC[minuteOfWeek(this.#start + t)];
    this.#generated++;
    return event;
  }

  /** Opens a new session at `ts`: its id and its user (returning or new). */
  #arrive(ts: number): number {
    const open = this.#open, rng = this.#rng;
    const slot = open.allocate();
    let id = "";
    for (let i = 0; i < 10; i++) id += ID_CHARS[rng.nextInt(36)];
    open.ids[slot] = id;
    let user: number;
    if (this.#usersSize > 0 && rng.next() < this.#returning) {
      user = this.#users[rng.nextInt(this.#usersSize)];
      this.#returningSessions++;
    } else {
      user = this.#nextUser;
      this.#nextUser += this.#userStride;
    }
    this.#sessions++;
    open.user[slot] = user;
    open.first[slot] = ts;
    open.last[slot] = ts;
    return slot;
  }

  /** Ends an unscheduled session: its user may return. */
  #leave(slot: number): void {
    this.#users[this.#usersNext] = this.#open.user[slot];
    this.#usersNext = this.#usersNext + 1 === RETURNING_POOL ? 0 : this.#usersNext + 1;
    if (this.#usersSize < RETURNING_POOL) this.#usersSize++;
    this.#open.release(slot);
  }
}
