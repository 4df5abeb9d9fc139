/**
 * Checkpoint throttling: after a batch a checkpoint is written only when `intervalMs` passed
 * since the last one (`--checkpoint-interval`); a forced one (shutdown, `/checkpoint`) always is.
 * Wraps the store's `save` as the trainer's `checkpoint` hook.
 *
 * @module
 */

import { type Clock, SYSTEM_CLOCK } from "../util/clock.ts";

/** Where checkpoints go (`CheckpointStore` fits); resolves with the written header's time. */
export interface CheckpointSink<S> {
  /** Writes `state` durably. */
  save(state: S): Promise<{ time: number }>;
}

/** Options of {@linkcode CheckpointThrottle}. */
export interface CheckpointThrottleOptions {
  /** Least time between two unforced checkpoints, ms (0: after every batch). Required. */
  intervalMs: number;
  /** The time of the checkpoint resumed from, ms. Default: none (the first batch writes). */
  last?: number;
  /** The clock. Default: the system clock. */
  clock?: Pick<Clock, "now">;
}

/** See the module documentation. */
export class CheckpointThrottle<S> {
  #sink: CheckpointSink<S>;
  #interval: number;
  #last: number;
  #clock: Pick<Clock, "now">;

  /**
   * Creates a throttle: unforced checkpoints go to `sink` at most once per `intervalMs`.
   *
   * @param sink where checkpoints are written
   * @param options see {@linkcode CheckpointThrottleOptions}
   * @throws {RangeError} if `intervalMs` is negative or NaN
   */
  constructor(sink: CheckpointSink<S>, options: CheckpointThrottleOptions) {
    if (!(options.intervalMs >= 0)) {
      throw new RangeError(
        `Cannot throttle checkpoints to an interval of ${options.intervalMs} ms: expected ≥ 0.`,
      );
    }
    this.#sink = sink;
    this.#interval = options.intervalMs;
    this.#last = options.last ?? -Infinity;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
  }

  /** Whether an unforced checkpoint would be written now. */
  get due(): boolean {
    return this.#clock.now() - this.#last >= this.#interval;
  }

  /**
   * The trainer's checkpoint hook: writes `state()` if forced or due, and resolves with the
   * checkpoint's time, or `null` when none was written.
   */
  async save(state: () => S, force: boolean): Promise<number | null> {
    if (!force && !this.due) return null;
    const { time } = await this.#sink.save(state());
    this.#last = time;
    return time;
  }
}
