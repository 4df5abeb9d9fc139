/**
 * The one deadline: {@linkcode withDeadline} races a promise against a timer of the injected
 * {@linkcode Clock} and rejects with a {@linkcode DeadlineError} naming what timed out;
 * {@linkcode settleWithin} is the teardown form (wait at most so long, whatever the outcome).
 * The timer is always cleared, so a settled promise leaves nothing behind.
 *
 * @example A deadline on fake time
 * ```ts
 * import assert from "node:assert/strict";
 * import { DeadlineError, settleWithin, withDeadline } from "./deadline.ts";
 * import { FakeClock } from "./fake_clock.ts";
 *
 * const clock = new FakeClock();
 * const never = new Promise<never>(() => {});
 * const late = assert.rejects(
 *   withDeadline(never, 5000, { clock, what: "describing the group" }),
 *   (error) =>
 *     error instanceof DeadlineError &&
 *     error.message === "describing the group took longer than 5000 ms",
 * );
 * const settled = settleWithin(never, 1000, clock); // teardown: wait at most 1 s
 * await clock.tick(5000);
 * await late;
 * assert.equal(await settled, false);
 * assert.equal(await settleWithin(Promise.reject(new Error("gone")), 1000, clock), true);
 * ```
 *
 * @module
 */

import { type Clock, SYSTEM_CLOCK } from "./clock.ts";

/** A deadline passed before the awaited operation settled. */
export class DeadlineError extends Error {
  /** The deadline, ms. */
  readonly ms: number;
  /** Creates the error; `message` defaults to `"<what> took longer than <ms> ms"`. */
  constructor(ms: number, message?: string, options?: ErrorOptions) {
    super(message ?? `the operation took longer than ${ms} ms`, options);
    this.name = "DeadlineError";
    this.ms = ms;
  }
}

/** Options of {@linkcode withDeadline}. */
export interface DeadlineOptions {
  /**
   * The clock whose timer is used.
   *
   * @default {SYSTEM_CLOCK}
   */
  clock?: Clock;
  /**
   * What is awaited, for the error message ("<what> took longer than N ms"). Without it (and
   * `message`), the message is "the operation took longer than N ms".
   */
  what?: string;
  /** The error's message in full (wins over `what`). Without it, built from `what`. */
  message?: string;
}

/**
 * Resolves or rejects as `promise` does if it settles within `ms`; otherwise rejects with a
 * {@linkcode DeadlineError}. (The promise itself is not cancelled: the caller tears down.)
 *
 * @throws {RangeError} if `ms` is negative or NaN
 */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  options: DeadlineOptions = {},
): Promise<T> {
  if (!(ms >= 0)) {
    throw new RangeError(`Cannot set a deadline of ${ms} ms: expected a number ≥ 0.`);
  }
  const clock = options.clock ?? SYSTEM_CLOCK;
  let handle: unknown;
  const late = new Promise<never>((_, reject) => {
    handle = clock.setTimeout(() => {
      const message = options.message ??
        (options.what === undefined ? undefined : `${options.what} took longer than ${ms} ms`);
      reject(new DeadlineError(ms, message));
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => clock.clearTimeout(handle));
}

/**
 * Waits for `promise` at most `ms` milliseconds; resolves `true` if it settled (either way) in
 * time, `false` if not. For teardown steps (disconnect, last commit) that must not hang a
 * shutdown when the broker stops answering.
 *
 * @param promise What to wait for; its value or error is dropped.
 * @param ms The longest wait, ms.
 * @param clock The clock of the wait; {@linkcode SYSTEM_CLOCK} when not given.
 */
export async function settleWithin(
  promise: Promise<unknown>,
  ms: number,
  clock: Clock = SYSTEM_CLOCK,
): Promise<boolean> {
  try {
    return await withDeadline(promise.then(() => true, () => true), ms, { clock });
  } catch (error) {
    if (error instanceof DeadlineError) return false;
    throw error;
  }
}
