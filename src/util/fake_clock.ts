/**
 * The one fake {@linkcode Clock}: time stands still until a test advances it, and timers fire
 * only then, in order of their due time. `tick(ms)` lets pending promise chains run between
 * timers, so code that awaits a timer and then sets the next one (a retry loop, a batcher)
 * advances as it would in real time, without waiting.
 *
 * @example Time moves only when the test moves it
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleep } from "./clock.ts";
 * import { FakeClock } from "./fake_clock.ts";
 *
 * const clock = new FakeClock();
 * let woke = false;
 * sleep(1000, { clock }).then(() => woke = true);
 * await clock.tick(999);
 * assert.equal(woke, false);
 * await clock.tick(1); // the timer fires, and the promise chain after it runs
 * assert.equal(woke, true);
 * assert.equal(clock.pendingTimers, 0);
 * ```
 *
 * @module
 */

import { setImmediate } from "node:timers";
import type { Clock } from "./clock.ts";

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets every pending promise chain run: one macrotask turn, no waiting on time. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Fake time for tests; see the module documentation. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, Timer>();

  /**
   * Creates a fake clock standing at `start`.
   *
   * @param start The initial time, ms; `1_000_000` when not given.
   */
  constructor(start = 1_000_000) {
    this.#now = start;
  }

  /** The fake time, ms. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at `now() + ms` (a negative or non-finite `ms` counts as 0). */
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.set(id, { at: this.#now + delay, seq: id, fn });
    return id;
  }

  /** Cancels a timer. */
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Advances the time by `ms`, firing each timer due by then at its own time (earliest first,
   * then in the order set), and letting promises settle before and after each.
   *
   * @throws {RangeError} if `ms` is negative or not finite
   */
  async tick(ms: number): Promise<void> {
    if (!(ms >= 0 && Number.isFinite(ms))) {
      throw new RangeError(`Cannot advance a FakeClock by ${ms} ms: expected a finite number ≥ 0.`);
    }
    const end = this.#now + ms;
    for (;;) {
      await settle();
      let due: Timer | undefined;
      for (const t of this.#timers.values()) {
        if (
          t.at <= end &&
          (due === undefined || t.at < due.at || (t.at === due.at && t.seq < due.seq))
        ) {
          due = t;
        }
      }
      if (due === undefined) break;
      this.#timers.delete(due.seq);
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
    await settle();
  }

  /** Advances to the next timer and fires it (and any due at the same time); `false` if none. */
  async next(): Promise<boolean> {
    await settle();
    let at = Infinity;
    for (const t of this.#timers.values()) at = Math.min(at, t.at);
    if (at === Infinity) return false;
    await this.tick(at - this.#now);
    return true;
  }
}
