/**
 * The original project's load-test signal (`loadtest.py`), reproduced exactly and made seedable:
 * a pool of at most 5000 active sessions; per event, with probability 0.95 (and a non-empty pool)
 * a uniformly chosen pooled session continues, otherwise a new session starts (10 characters of
 * `a-z0-9`, a user id uniform in 1..100000) and, if the pool then holds more than its maximum,
 * the oldest session is dropped (first in, first out). With `k` the session's event count
 * including this event, the event is a purchase with probability `min(0.02 + 0.03 k, 0.5)`;
 * a purchase does not end the session. The url is one of seven paths plus `?` and 6 random
 * letters (`a-zA-Z`); a non-purchase action is uniform over `click view scroll`; a purchase's
 * amount is uniform in 5..500, rounded to cents.
 *
 * Additions, all off by default or with the original's behaviour as default:
 * - the true purchase probability of the last event is exposed ({@linkcode SessionGenerator.probability}),
 *   so evaluation can report the Bayes (best possible) log loss, and with it the probability of
 *   each action ({@linkcode SessionGenerator.actionProbabilities}: `(1 − p) / 3` for each of
 *   `click view scroll`, `p` for `purchase`), for a multi-class target;
 * - **drift**: from the `driftAt`-th event of this generator on, the probability *falls* with
 *   position: `max(0.5 - 0.03 k, 0.02)` (the same constants, mirrored), a sharp concept drift
 *   that a stale model gets badly wrong;
 * - **sharding**: shard `index` of `count` owns a pool of `floor(maxActiveSessions / count)`
 *   sessions and its own random stream, so `count` shards interleaved at equal rates reproduce the
 *   original's statistics (same per-event continuation chance per session, same lifetimes);
 * - **time**: the timestamp comes from an injected clock. The original used wall time in whole
 *   seconds — at its ~85k events/s every session's events share one second, so time features
 *   carry nothing and position in session is the whole signal. Without a clock, a *simulated*
 *   clock is used: `simulatedStart + floor(i / simulatedEventsPerSecond)` for the `i`-th event
 *   (default 100 events/s, so a pooled session is revisited about every 53 s and a 5-minute
 *   window holds a few of its events: time features vary and are correlated with position,
 *   but carry no information beyond it).
 *
 * Allocation per event: the event object and its url string (plus the session id, 5% of events).
 *
 * @module
 */

import { BROWSE_ACTIONS, type WireEvent } from "../events/wire.ts";
import type { Generator } from "./generator.ts";
import { deriveSeed, Random } from "../util/random.ts";

/** The original's url paths. */
export const URL_PATHS = [
  "/home",
  "/products",
  "/cart",
  "/checkout",
  "/about",
  "/blog",
  "/search",
] as const;

const ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
const URL_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** All 52² two-letter strings, so a url suffix costs three table lookups. */
const LETTER_PAIRS: string[] = [];
for (const a of URL_LETTERS) for (const b of URL_LETTERS) LETTER_PAIRS.push(a + b);
const URL_PREFIXES = URL_PATHS.map((p) => p + "?");

/** Options of {@linkcode SessionGenerator}; every field has the original's value as default. */
export interface SessionGeneratorOptions {
  /**
   * Seed of the random stream.
   *
   * @default {42}
   */
  seed?: number;
  /**
   * Maximum pooled sessions (the original's `MAX_ACTIVE_SESSIONS`).
   *
   * @default {5000}
   */
  maxActiveSessions?: number;
  /**
   * Probability that an event starts a new session.
   *
   * @default {0.05}
   */
  newSessionProbability?: number;
  /**
   * Purchase probability intercept (`BASE_PURCHASE_PROBABILITY`).
   *
   * @default {0.02}
   */
  basePurchaseProbability?: number;
  /**
   * Purchase probability added per event of the session (`PURCHASE_SCALING`).
   *
   * @default {0.03}
   */
  purchaseScaling?: number;
  /**
   * Cap of the purchase probability.
   *
   * @default {0.5}
   */
  maxPurchaseProbability?: number;
  /**
   * Largest user id (ids are uniform in 1..maxUserId).
   *
   * @default {100_000}
   */
  maxUserId?: number;
  /**
   * Event time source in integer epoch seconds, called once per event, e.g.
   * `() => Math.floor(Date.now() / 1000)` for the original's wall time. Without it, the
   * simulated clock described by `simulatedStart` and `simulatedEventsPerSecond`.
   */
  clock?: () => number;
  /**
   * Simulated clock: the first event's timestamp.
   *
   * @default {1_764_000_000} 2025-11-24T16:00:00Z
   */
  simulatedStart?: number;
  /**
   * Simulated clock: events per simulated second, for the whole (unsharded) stream; a shard
   * advances at `simulatedEventsPerSecond / count`.
   *
   * @default {100}
   */
  simulatedEventsPerSecond?: number;
  /**
   * Index (0-based, counted in this generator's own events) of the first drifted event: from
   * it on the purchase probability is `max(maxPurchase - scaling k, base)`. A sharded load
   * generator passes `floor(driftAt / count)` to each shard.
   *
   * @default {Infinity} no drift
   */
  driftAt?: number;
  /** This generator is shard `index` of `count` (see the module doc). Without it, unsharded. */
  shard?: { index: number; count: number };
}

function checkProbability(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) {
    throw new RangeError(`Cannot create a SessionGenerator with ${name} ${v}: expected 0..1.`);
  }
}

function checkPositiveInteger(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(
      `Cannot create a SessionGenerator with ${name} ${v}: expected a positive integer.`,
    );
  }
}

/**
 * The seedable session generator. `next()` returns a fresh {@linkcode WireEvent}; the getters
 * describe the event last returned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SessionGenerator } from "./session_generator.ts";
 *
 * const gen = new SessionGenerator({ seed: 7 });
 * const event = gen.next();
 * assert.ok(gen.startedSession && gen.position === 1); // the first event starts a session
 * assert.equal(gen.probability, 0.05); // the true purchase probability of `event`: 0.02 + 0.03
 * assert.equal(event.action === "purchase", event.amount !== undefined);
 * ```
 */
export class SessionGenerator implements Generator {
  #rng: Random;
  #cap: number;
  #ids: string[];
  #users: Int32Array;
  #counts: Int32Array;
  #head = 0;
  #size = 0;
  #continueProbability: number;
  #base: number;
  #scaling: number;
  #max: number;
  #maxUserId: number;
  #clock: (() => number) | undefined;
  #simStart: number;
  #simRate: number;
  #driftAt: number;
  #generated = 0;
  #probability = 0;
  #position = 0;
  #started = false;
  #actions = new Float64Array(4);

  /**
   * Creates the generator.
   *
   * @param options See {@linkcode SessionGeneratorOptions}; defaults are the original's.
   * @throws {RangeError} naming the option that is out of range
   */
  constructor(options: SessionGeneratorOptions = {}) {
    const seed = options.seed ?? 42;
    const maxActive = options.maxActiveSessions ?? 5000;
    const pNew = options.newSessionProbability ?? 0.05;
    this.#base = options.basePurchaseProbability ?? 0.02;
    this.#scaling = options.purchaseScaling ?? 0.03;
    this.#max = options.maxPurchaseProbability ?? 0.5;
    this.#maxUserId = options.maxUserId ?? 100_000;
    this.#clock = options.clock;
    this.#simStart = options.simulatedStart ?? 1_764_000_000;
    const rate = options.simulatedEventsPerSecond ?? 100;
    this.#driftAt = options.driftAt ?? Infinity;
    checkPositiveInteger("maxActiveSessions", maxActive);
    checkProbability("newSessionProbability", pNew);
    checkProbability("basePurchaseProbability", this.#base);
    checkProbability("maxPurchaseProbability", this.#max);
    checkPositiveInteger("maxUserId", this.#maxUserId);
    if (!(this.#scaling >= 0 && Number.isFinite(this.#scaling))) {
      throw new RangeError(
        `Cannot create a SessionGenerator with purchaseScaling ${this.#scaling}: expected a finite number ≥ 0.`,
      );
    }
    if (!(rate > 0 && Number.isFinite(rate))) {
      throw new RangeError(
        `Cannot create a SessionGenerator with simulatedEventsPerSecond ${rate}: expected a positive number.`,
      );
    }
    if (!Number.isInteger(this.#simStart)) {
      throw new RangeError(
        `Cannot create a SessionGenerator with simulatedStart ${this.#simStart}: expected integer epoch seconds.`,
      );
    }
    if (!(this.#driftAt >= 0)) {
      throw new RangeError(
        `Cannot create a SessionGenerator with driftAt ${this.#driftAt}: expected an event index ≥ 0.`,
      );
    }
    let cap = maxActive;
    let rngSeed = seed;
    this.#simRate = rate;
    if (options.shard !== undefined) {
      const { index, count } = options.shard;
      checkPositiveInteger("shard.count", count);
      if (!Number.isInteger(index) || index < 0 || index >= count) {
        throw new RangeError(
          `Cannot create a SessionGenerator with shard.index ${index}: expected 0..${count - 1}.`,
        );
      }
      cap = Math.floor(maxActive / count);
      if (cap < 1) {
        throw new RangeError(
          `Cannot create a SessionGenerator with ${count} shards of ${maxActive} sessions: each shard needs at least one.`,
        );
      }
      rngSeed = deriveSeed(seed, index);
      this.#simRate = rate / count;
    }
    this.#rng = new Random(rngSeed);
    this.#cap = cap;
    this.#ids = new Array<string>(cap).fill("");
    this.#users = new Int32Array(cap);
    this.#counts = new Int32Array(cap);
    this.#continueProbability = 1 - pNew;
  }

  /** The true purchase probability of the event last returned by `next()`. */
  get probability(): number {
    return this.#probability;
  }

  /**
   * The true probability of each action of the last event, in the order of `ACTIONS`
   * (`click view scroll purchase`): `(1 − p) / 3` for each browse action, `p` for purchase.
   * The same array every call, overwritten by the next call.
   */
  get actionProbabilities(): Float64Array {
    const p = this.#probability, a = this.#actions;
    a[0] = a[1] = a[2] = (1 - p) / 3;
    a[3] = p;
    return a;
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

  /** How many sessions are in the pool now. */
  get activeSessions(): number {
    return this.#size;
  }

  /**
   * The true purchase probability of an event at session position `k` (1-based).
   *
   * @param k The position in the session, 1-based.
   * @param drifted Whether the drifted rule applies; `false` when not given.
   */
  probabilityAt(k: number, drifted = false): number {
    return drifted
      ? Math.max(this.#max - this.#scaling * k, this.#base)
      : Math.min(this.#base + this.#scaling * k, this.#max);
  }

  /** Generates the next event. */
  next(): WireEvent {
    const rng = this.#rng;
    let slot: number;
    if (this.#size > 0 && rng.next() < this.#continueProbability) {
      slot = this.#head + rng.nextInt(this.#size);
      if (slot >= this.#cap) slot -= this.#cap;
      this.#counts[slot]++;
      this.#started = false;
    } else {
      if (this.#size === this.#cap) {
        slot = this.#head; // the oldest leaves, the new one becomes the newest
        this.#head = this.#head + 1 === this.#cap ? 0 : this.#head + 1;
      } else {
        slot = this.#head + this.#size;
        if (slot >= this.#cap) slot -= this.#cap;
        this.#size++;
      }
      let id = "";
      for (let i = 0; i < 10; i++) id += ID_CHARS[rng.nextInt(36)];
      this.#ids[slot] = id;
      this.#users[slot] = 1 + rng.nextInt(this.#maxUserId);
      this.#counts[slot] = 1;
      this.#started = true;
    }
    const k = this.#counts[slot];
    const drifted = this.#generated >= this.#driftAt;
    const p = drifted
      ? Math.max(this.#max - this.#scaling * k, this.#base)
      : Math.min(this.#base + this.#scaling * k, this.#max);
    const url = URL_PREFIXES[rng.nextInt(7)] + LETTER_PAIRS[rng.nextInt(2704)] +
      LETTER_PAIRS[rng.nextInt(2704)] + LETTER_PAIRS[rng.nextInt(2704)];
    const timestamp = this.#clock === undefined
      ? this.#simStart + Math.floor(this.#generated / this.#simRate)
      : this.#clock();
    this.#generated++;
    this.#probability = p;
    this.#position = k;
    if (rng.next() < p) {
      return {
        user_id: this.#users[slot],
        url,
        action: "purchase",
        session_id: this.#ids[slot],
        timestamp,
        amount: Math.round((5 + rng.next() * 495) * 100) / 100,
      };
    }
    return {
      user_id: this.#users[slot],
      url,
      action: BROWSE_ACTIONS[rng.nextInt(3)],
      session_id: this.#ids[slot],
      timestamp,
    };
  }
}
