/**
 * The one deadline: {@linkcode withDeadline} races a promise against a timer of the injected
 * {@linkcode Clock} and rejects with a {@linkcode DeadlineError} naming what timed out;
 * {@linkcode settleWithin} is the teardown form (wait at most so long, whatever the outcome).
 * The timer is always cleared, so a settled promise leaves nothing behind.
 *
 * ```ts
 * const members = await withDeadline(fetchMembers(), 5000, { what: "describing the group" });
 * await settleWithin(consumer.disconnect(), 5000); // true if it settled in time
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
  /** The clock whose timer is used. Default {@linkcode SYSTEM_CLOCK}. */
  clock?: Clock;
  /** What is awaited, for the error message ("<what> took longer than N ms"). Default: none. */
  what?: string;
  /** The error's message in full (wins over `what`). Default: built from `what`. */
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
