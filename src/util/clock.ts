/**
 * The one clock of the program: the current time and timers, injected wherever time matters so
 * that tests run on {@linkcode FakeClock} (`fake_clock.ts`) instead of sleeping. A unit that only
 * reads the time takes `Pick<Clock, "now">`.
 *
 * @example Sleeping on the injected clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleep } from "./clock.ts";
 * import { FakeClock } from "./fake_clock.ts";
 *
 * const clock = new FakeClock();
 * const start = clock.now();
 * const done = sleep(500, { clock }); // resolves after 500 ms of `clock`, or on abort
 * await clock.tick(500);
 * await done;
 * assert.equal(clock.now() - start, 500);
 * ```
 *
 * @module
 */

/** The current time and timers. */
export interface Clock {
  /** Current time, ms since the epoch (only differences matter to timers). */
  now(): number;
  /** Calls `fn` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer set with `setTimeout` (a handle already fired or cleared is ignored). */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()` and the global timers. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as number),
};

/**
 * The real timers with a monotonic `now` (`performance.now()`, ms since the process started):
 * for measuring durations (rates, stalls), never for timestamps.
 */
export const MONOTONIC_CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout: SYSTEM_CLOCK.setTimeout,
  clearTimeout: SYSTEM_CLOCK.clearTimeout,
};

/** Options of {@linkcode sleep}. */
export interface SleepOptions {
  /**
   * The clock whose timer is used.
   *
   * @default {SYSTEM_CLOCK}
   */
  clock?: Clock;
  /** Ends the sleep early (it then resolves, it does not reject). Absent: the sleep runs out. */
  signal?: AbortSignal;
}

/**
 * Resolves after `ms` milliseconds of `options.clock`, or as soon as `options.signal` aborts
 * (at once when it already has). Never rejects: the caller checks the signal.
 *
 * @example An aborted sleep resolves at once
 * ```ts
 * import { sleep } from "./clock.ts";
 *
 * const controller = new AbortController();
 * controller.abort();
 * await sleep(60_000, { signal: controller.signal }); // does not wait
 * ```
 *
 * @param ms How long to sleep, in milliseconds of the clock.
 * @param options The clock and the signal.
 * @returns A promise that resolves when the time is up or the signal aborts.
 */
export function sleep(ms: number, options: SleepOptions = {}): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const signal = options.signal;
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clock.clearTimeout(handle);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const handle = clock.setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
