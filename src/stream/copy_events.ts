/**
 * The learn stage's bulk copy of rows into the learner's events: the dense values and sparse
 * entries of a run of consecutive event rows of a {@linkcode RowBatch}, copied into a
 * {@linkcode FeatureBatch} with one typed-array `set` per column (the learn stage writes each
 * event's label, truth and sparse end itself, row by row). Bit for bit the values of the rows.
 *
 * When every row of the batch is learnt, nothing needs copying: {@linkcode EventColumns.borrow}
 * lends the rows' own dense and sparse columns to the events for that batch (the learner only
 * reads them), and {@linkcode EventColumns.restore} gives the events their own columns back
 * before the next.
 *
 * @module
 */

import type { FeatureBatch } from "../learn/feature_batch.ts";
import type { RowBatch } from "./row_batch.ts";

/**
 * Copies the dense values and sparse entries of rows `[from, to)` of `rows` into `events` from
 * event `at` on. The events' storage must hold them (`FeatureBatch.reserve`), and
 * `events.sparseEnd[at - 1]` (where their sparse entries start) must be written already.
 *
 * @throws {RangeError} on a sparse index outside the events' sparse width
 */
export function copyEvents(
  rows: RowBatch,
  from: number,
  to: number,
  events: FeatureBatch,
  at: number,
): void {
  if (to <= from) return;
  const width = rows.denseWidth;
  events.rows.set(rows.dense.subarray(from * width, to * width), at * width);
  const start = from === 0 ? 0 : rows.sparseEnd[from - 1], end = rows.sparseEnd[to - 1];
  if (end === start) return;
  checkSparse(rows, from, to, events.sparseWidth);
  const index = rows.sparseIndex.subarray(start, end);
  const target = at === 0 ? 0 : events.sparseEnd[at - 1];
  events.sparseIndex.set(index, target);
  events.sparseValue.set(rows.sparseValue.subarray(start, end), target);
}

/** Checks that the sparse indices of rows `[from, to)` of `rows` are below `sparseWidth`. */
function checkSparse(rows: RowBatch, from: number, to: number, sparseWidth: number): void {
  const start = from === 0 ? 0 : rows.sparseEnd[from - 1], end = rows.sparseEnd[to - 1];
  const index = rows.sparseIndex;
  for (let k = start; k < end; k++) {
    if (!(index[k] < sparseWidth)) {
      throw new RangeError(
        `Cannot learn sparse entry ${
          index[k]
        } of rows ${from} .. ${to}: the sparse width is ${sparseWidth}.`,
      );
    }
  }
}

/** An events batch's own value columns, put aside while it borrows those of a `RowBatch`. */
export class EventColumns {
  #rows: Float64Array | null = null;
  #sparseIndex: Uint32Array | null = null;
  #sparseValue: Float64Array | null = null;

  /**
   * Makes `events`' dense values and sparse entries those of every row of `rows` (learnt all, in
   * order, their sparse ends written already), by reference instead of a copy; its own columns
   * are kept for {@linkcode EventColumns.restore}.
   *
   * @throws {RangeError} on a sparse index outside the events' sparse width (`events` unchanged)
   */
  borrow(rows: RowBatch, events: FeatureBatch): void {
    if (rows.length === 0) return;
    checkSparse(rows, 0, rows.length, events.sparseWidth);
    if (this.#rows === null) {
      this.#rows = events.rows;
      this.#sparseIndex = events.sparseIndex;
      this.#sparseValue = events.sparseValue;
    }
    events.rows = rows.dense;
    if (events.sparseWidth > 0) {
      events.sparseIndex = rows.sparseIndex;
      events.sparseValue = rows.sparseValue;
    }
  }

  /** Gives `events` its own columns back, if it borrowed others. */
  restore(events: FeatureBatch): void {
    if (this.#rows === null) return;
    events.rows = this.#rows;
    events.sparseIndex = this.#sparseIndex!;
    events.sparseValue = this.#sparseValue!;
    this.#rows = this.#sparseIndex = this.#sparseValue = null;
  }
}
