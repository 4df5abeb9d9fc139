/**
 * What the input of a `MicroBatcher` (`batcher.ts`) cost its batches: how many closed for which
 * reason, and the wall time spent waiting for the source — since its first item, and the part of
 * it while a batch already held items (a batch waiting mid-way for a fetch round trip). `learn`
 * prints it at its stop; `bench:scale` relays it.
 *
 * @module
 */

import type { BatchCloseReason } from "./batcher.ts";

/** The counters of one batcher; read them from `MicroBatcher.input`. */
export class BatchInputStats {
  /** How many of the batches yielded so far closed for which reason. */
  readonly closes: Partial<Record<BatchCloseReason, number>> = {};
  /** Wall time (ms, by the batcher's clock) spent waiting for the source since its first item. */
  waitMs = 0;
  /** The part of {@linkcode BatchInputStats.waitMs} while a batch already held items, ms. */
  midBatchWaitMs = 0;
  #seen = false;

  /** Counts a batch that closed for `reason`. */
  closed(reason: BatchCloseReason): void {
    this.closes[reason] = (this.closes[reason] ?? 0) + 1;
  }

  /** Counts a wait from `start` to `end` (ms); `mid`: the batch held items. */
  waited(start: number, end: number, mid: boolean): void {
    this.#seen ||= mid;
    if (!this.#seen) return;
    this.waitMs += end - start;
    if (mid) this.midBatchWaitMs += end - start;
  }

  /** One line: batches by close reason and the time waited, e.g. for a stop report. */
  format(): string {
    const closes = Object.entries(this.closes).map(([r, n]) => `${r} ${n}`).join(", ");
    const batches = Object.values(this.closes).reduce((a, b) => a + b, 0);
    return `${batches} batches (${closes || "none"}), waited ${
      Math.round(this.waitMs)
    } ms for records since the first (${Math.round(this.midBatchWaitMs)} ms mid-batch)`;
  }
}
