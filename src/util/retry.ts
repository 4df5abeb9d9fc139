/**
 * The one retry loop: {@linkcode retry} calls an operation until it succeeds, waiting between
 * attempts with exponential backoff (`initialDelayMs`, then ×`factor` up to `maxDelayMs`; a
 * `factor` of 1 is a fixed interval) on the injected {@linkcode Clock}, for at most
 * `maxAttempts` attempts or until the signal aborts. Each failure before a wait is reported
 * through `onRetry`, with the attempt that failed and the wait that follows.
 *
 * @example Two failures, then success (on fake time)
 * ```ts
 * import assert from "node:assert/strict";
 * import { retry } from "./retry.ts";
 * import { FakeClock } from "./fake_clock.ts";
 *
 * const clock = new FakeClock();
 * const log: string[] = [];
 * const result = retry(async (attempt) => {
 *   if (attempt < 3) throw new Error("the broker is not there yet");
 *   return attempt;
 * }, {
 *   initialDelayMs: 200,
 *   maxDelayMs: 5000,
 *   clock,
 *   onRetry: (_error, attempt, delayMs) => log.push(`attempt ${attempt}: wait ${delayMs} ms`),
 * });
 * await clock.tick(600); // 200 ms, then twice that
 * assert.equal(await result, 3);
 * assert.deepEqual(log, ["attempt 1: wait 200 ms", "attempt 2: wait 400 ms"]);
 * ```
 *
 * @module
 */

import { type Clock, sleep, SYSTEM_CLOCK } from "./clock.ts";

/** Options of {@linkcode retry}. */
export interface RetryOptions {
  /**
   * The wait after the first failure, ms.
   *
   * @default {200}
   */
  initialDelayMs?: number;
  /**
   * The longest wait, ms.
   *
   * @default {5000}
   */
  maxDelayMs?: number;
  /**
   * Each wait is the previous one times this (1: a fixed interval).
   *
   * @default {2}
   */
  factor?: number;
  /**
   * Attempts in all, the first included; the last one's error is thrown.
   *
   * @default {Infinity}
   */
  maxAttempts?: number;
  /**
   * Stops retrying: no attempt starts after it aborted, a wait in progress ends at once, and
   * the last attempt's error is thrown.
   */
  signal?: AbortSignal;
  /**
   * The clock of the waits.
   *
   * @default {SYSTEM_CLOCK}
   */
  clock?: Clock;
  /**
   * A first attempt already made failed with this error: start with its wait (it counts as
   * attempt 1, so `operation` is first called with attempt 2).
   */
  failed?: Error;
  /**
   * Whether a failed attempt is worth another: `false` throws its error at once. Without it,
   * every failure is retried (until `maxAttempts` or the signal).
   */
  shouldRetry?: (error: Error, attempt: number) => boolean;
  /** Called after each failed attempt that is followed by a wait. */
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
}

/** Whether `value` is a number in `[min, ∞]`. */
function atLeast(value: number, min: number): boolean {
  return typeof value === "number" && value >= min;
}

/**
 * Calls `operation(attempt)` (attempt 1, 2, …) until it resolves, and resolves with its value.
 *
 * @throws the last attempt's error, once `maxAttempts` attempts failed or the signal aborted
 * @throws {RangeError} on a negative delay, a factor below 1, or fewer than one attempt
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const initial = options.initialDelayMs ?? 200;
  const max = options.maxDelayMs ?? 5000;
  const factor = options.factor ?? 2;
  const attempts = options.maxAttempts ?? Infinity;
  for (
    const [name, value, min] of [["initialDelayMs", initial, 0], ["maxDelayMs", max, 0]] as const
  ) {
    if (!atLeast(value, min)) {
      throw new RangeError(`Cannot retry with ${name} ${value}: expected a number ≥ ${min}.`);
    }
  }
  if (!atLeast(factor, 1)) {
    throw new RangeError(`Cannot retry with factor ${factor}: expected a number ≥ 1.`);
  }
  if (!(atLeast(attempts, 1) && (attempts === Infinity || Number.isInteger(attempts)))) {
    throw new RangeError(`Cannot retry with maxAttempts ${attempts}: expected an integer ≥ 1.`);
  }
  const clock = options.clock ?? SYSTEM_CLOCK;
  const signal = options.signal;
  let delay = Math.min(initial, max);
  let attempt = 1;
  let error: Error | undefined = options.failed;
  if (error === undefined) {
    try {
      return await operation(attempt);
    } catch (e) {
      error = e instanceof Error ? e : new Error(String(e));
    }
  }
  for (;;) {
    if (attempt >= attempts || signal?.aborted) throw error;
    if (options.shouldRetry && !options.shouldRetry(error, attempt)) throw error;
    options.onRetry?.(error, attempt, delay);
    await sleep(delay, { clock, signal });
    if (signal?.aborted) throw error;
    delay = Math.min(delay * factor, max);
    attempt++;
    try {
      return await operation(attempt);
    } catch (e) {
      error = e instanceof Error ? e : new Error(String(e));
    }
  }
}
