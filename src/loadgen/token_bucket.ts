/**
 * The rate cap of the load generator (`--rate`): a token bucket that refills at `rate` tokens
 * (events) per second up to `burst`, and a FIFO gate in front of it that hands out grants to
 * asynchronous requesters — the workers, which ask the orchestrator for permission before each
 * batch, so one bucket caps all workers together. Time is injected (a `Clock`), so both are
 * tested on fake time.
 *
 * @module
 */

import { type Clock, MONOTONIC_CLOCK } from "../util/clock.ts";

/** Options of {@linkcode TokenBucket}. */
export interface TokenBucketOptions {
  /**
   * Bucket size: the largest burst.
   *
   * @default {Math.max(1, rate / 10)} one tenth of a second of tokens, at least 1
   */
  burst?: number;
  /**
   * The clock.
   *
   * @default {MONOTONIC_CLOCK}
   */
  clock?: Pick<Clock, "now">;
  /**
   * Tokens at the start: with none, a run starts at the rate, not with a burst.
   *
   * @default {0}
   */
  initial?: number;
}

/**
 * A token bucket: `rate` tokens per second, at most `burst` stored. A take larger than the burst
 * is allowed and waits for the whole amount, so any request is eventually granted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TokenBucket } from "./token_bucket.ts";
 * import { FakeClock } from "../util/fake_clock.ts";
 *
 * const clock = new FakeClock();
 * const bucket = new TokenBucket(1000, { clock }); // 1000 tokens/s, a burst of 100
 * assert.equal(bucket.take(50), 50); // empty at the start: wait 50 ms
 * await clock.tick(50);
 * assert.equal(bucket.take(50), 0); // taken
 * await clock.tick(1000);
 * assert.equal(bucket.available, 100); // full: the burst, not a second's worth
 * ```
 */
export class TokenBucket {
  #rate: number;
  #burst: number;
  #clock: Pick<Clock, "now">;
  #tokens: number;
  #last: number;

  /**
   * Creates a bucket that refills at `rate` tokens per second.
   *
   * @param rate Tokens per second, a positive finite number.
   * @param options The burst, the clock and the tokens at the start.
   * @throws {RangeError} when `rate` is not a positive finite number, or the burst is not > 0
   */
  constructor(rate: number, options: TokenBucketOptions = {}) {
    if (!(rate > 0 && Number.isFinite(rate))) {
      throw new RangeError(
        `Cannot create a token bucket with rate ${rate}: expected a positive number.`,
      );
    }
    this.#rate = rate;
    this.#burst = options.burst ?? Math.max(1, rate / 10);
    if (!(this.#burst > 0)) {
      throw new RangeError(`Cannot create a token bucket with burst ${this.#burst}: expected > 0.`);
    }
    this.#clock = options.clock ?? MONOTONIC_CLOCK;
    this.#tokens = Math.min(options.initial ?? 0, this.#burst);
    this.#last = this.#clock.now();
  }

  /** Tokens per second. */
  get rate(): number {
    return this.#rate;
  }

  /** Tokens available now (after refilling). */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
      this.#last = now;
    }
  }

  /**
   * Takes `n` tokens if available and returns `0`; otherwise takes nothing and returns the ms
   * to wait until `n` will be available (for `n` above the burst: until the bucket is full and
   * the rest has accrued — then it is taken, leaving the bucket in debt).
   */
  take(n: number): number {
    this.#refill();
    const need = Math.min(n, this.#burst);
    if (this.#tokens >= need) {
      this.#tokens -= n; // may go below 0 for n > burst: the debt delays later takes
      return 0;
    }
    return Math.max(1, Math.ceil(((need - this.#tokens) * 1000) / this.#rate));
  }
}

/**
 * Serves requests for tokens first come, first served: `acquire(n)` resolves when the bucket
 * has granted `n`. `close()` resolves every waiting request with `false` (the run is stopping).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateGate, TokenBucket } from "./token_bucket.ts";
 * import { FakeClock } from "../util/fake_clock.ts";
 *
 * const clock = new FakeClock();
 * const gate = new RateGate(new TokenBucket(1000, { clock }), { clock });
 * const first = gate.acquire(100);
 * const second = gate.acquire(100);
 * await clock.tick(100);
 * assert.equal(await first, true); // granted after 100 ms of tokens
 * assert.equal(gate.waiting, 1);
 * gate.close();
 * assert.equal(await second, false); // the run stopped first
 * ```
 */
export class RateGate {
  #bucket: TokenBucket;
  #clock: Clock;
  #queue: { n: number; resolve: (granted: boolean) => void }[] = [];
  #handle: unknown = undefined;
  #closed = false;

  /**
   * Creates a gate in front of `bucket`.
   *
   * @param bucket The bucket to draw from.
   * @param options `clock`: the timers of the waits, {@linkcode MONOTONIC_CLOCK} when absent.
   */
  constructor(bucket: TokenBucket, options: { clock?: Clock } = {}) {
    this.#bucket = bucket;
    this.#clock = options.clock ?? MONOTONIC_CLOCK;
  }

  /** Requests waiting. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves `true` once `n` tokens are granted, or `false` if the gate closes first. */
  acquire(n: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#queue.push({ n, resolve });
      if (this.#handle === undefined) this.#pump();
    });
  }

  #pump = (): void => {
    this.#handle = undefined;
    while (this.#queue.length > 0) {
      const wait = this.#bucket.take(this.#queue[0].n);
      if (wait > 0) {
        this.#handle = this.#clock.setTimeout(this.#pump, wait);
        return;
      }
      this.#queue.shift()!.resolve(true);
    }
  };

  /** Stops granting: waiting and later requests resolve `false`. Idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    for (const request of this.#queue.splice(0)) request.resolve(false);
  }
}
