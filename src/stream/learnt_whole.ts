/**
 * The learn stage's usual batch, taken by columns: every row an event its ledger has not covered
 * (`LedgerBatch.acceptAll`), so event `j` is row `j`. Instead of the row loop's per-row ledger
 * call, label, truth and sparse end, the truths and sparse ends are copied with one `set` each,
 * the labels (and the action classes) written in one pass, and the events per partition counted
 * by runs: the same values the row loop writes.
 *
 * @module
 */

import type { FeatureBatch } from "../learn/feature_batch.ts";
import { ACTION_PURCHASE, ROW_EVENT, type RowBatch } from "./row_batch.ts";

/** Whether every row of `rows` is an event (no dead-letter marker). */
export function allEvents(rows: RowBatch): boolean {
  const kinds = rows.kind, n = rows.length;
  for (let i = 0; i < n; i++) if (kinds[i] !== ROW_EVENT) return false;
  return true;
}

/**
 * Writes every row of `rows` (all events, all learnt) as events `[0, n)` of `events` (room
 * reserved, dense and sparse values copied or borrowed apart): truths, sparse ends (the rows'
 * own: no row is left out), labels (1 for a purchase, else 0), with `classes` their action
 * classes, and adds the events per partition to `trained`.
 */
export function takeWhole(
  rows: RowBatch,
  events: FeatureBatch,
  classes: Uint8Array | null,
  trained: Map<number, number>,
): void {
  const n = rows.length;
  if (n === 0) return;
  events.truth.set(rows.truth.subarray(0, n));
  events.sparseEnd.set(rows.sparseEnd.subarray(0, n));
  const labels = events.labels, action = rows.action;
  for (let i = 0; i < n; i++) labels[i] = action[i] === ACTION_PURCHASE ? 1 : 0;
  if (classes !== null) classes.set(action.subarray(0, n));
  const partitions = rows.partition;
  if (countRuns(partitions, n, trained)) return;
  for (let i = 0; i < n;) {
    const p = partitions[i];
    let e = i + 1;
    while (e < n && partitions[e] === p) e++;
    trained.set(p, (trained.get(p) ?? 0) + e - i);
    i = e;
  }
}

/** Partitions `0 .. COUNTED_PARTITIONS` are counted in an array by {@linkcode countRuns}. */
const COUNTED_PARTITIONS = 4096;
/** Per partition, rows counted so far by `countRuns` (0 between calls). */
const counts = new Float64Array(COUNTED_PARTITIONS);
/** The partitions `countRuns` counted, in the order they came first. */
const order: number[] = [];

/**
 * Adds the rows per partition of `partitions[0 .. n)` to `trained` by counting into an array
 * indexed by partition (no map look-up per run: rows of several partitions interleaved in short
 * runs make a run per few rows), then one `set` per partition in the order they came first — the
 * map's keys, order and counts that a `set` per run gives. Returns `false` (and changes nothing)
 * when a partition is outside `0 .. COUNTED_PARTITIONS`.
 */
function countRuns(partitions: Int32Array, n: number, trained: Map<number, number>): boolean {
  order.length = 0;
  for (let i = 0; i < n;) {
    const p = partitions[i];
    let e = i + 1;
    while (e < n && partitions[e] === p) e++;
    if (p >>> 0 >= COUNTED_PARTITIONS) { // checked per run, not per row
      for (const q of order) counts[q] = 0;
      return false;
    }
    if (counts[p] === 0) order.push(p);
    counts[p] += e - i;
    i = e;
  }
  for (const p of order) {
    trained.set(p, (trained.get(p) ?? 0) + counts[p]);
    counts[p] = 0;
  }
  return true;
}
