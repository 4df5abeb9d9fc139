/**
 * The learn stage's bulk copy of rows into the learner's events: the dense values and sparse
 * entries of a run of consecutive event rows of a {@linkcode RowBatch}, copied into a
 * {@linkcode FeatureBatch} with one typed-array `set` per column (the learn stage writes each
 * event's label, truth and sparse end itself, row by row). Bit for bit the values of the rows.
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
  const index = rows.sparseIndex.subarray(start, end), sparseWidth = events.sparseWidth;
  for (let k = 0; k < index.length; k++) {
    if (!(index[k] < sparseWidth)) {
      throw new RangeError(
        `Cannot learn sparse entry ${
          index[k]
        } of rows ${from} .. ${to}: the sparse width is ${sparseWidth}.`,
      );
    }
  }
  const target = at === 0 ? 0 : events.sparseEnd[at - 1];
  events.sparseIndex.set(index, target);
  events.sparseValue.set(rows.sparseValue.subarray(start, end), target);
}
