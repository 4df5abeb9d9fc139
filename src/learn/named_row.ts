/**
 * One feature row by name: its dense features as `{ name: value }` in the set's order, and its
 * sparse part (the hashed url buckets) as `[index, value]` pairs — for exporting rows to another
 * learner (JSON lines, e.g. River) and for looking at them. Reads a {@linkcode FeatureBatch}; the
 * featurize stage's `RowBatch` has the same dense and sparse columns (`dense`, `sparseIndex`,
 * `sparseValue`, `sparseExtent`) and goes through {@linkcode namedFeatures}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FeatureBatch } from "./feature_batch.ts";
 * import { featureSet } from "./feature_sets.ts";
 * import { Featurizer } from "./features.ts";
 * import { namedRow } from "./named_row.ts";
 *
 * const set = featureSet("shop");
 * const batch = new FeatureBatch(set.width, { sparseWidth: set.urlBuckets });
 * new Featurizer({ featureSet: set }).push(
 *   { url: "/cart?x=1", action: "view", session_id: "s", timestamp: 1764000000 },
 *   batch,
 * );
 * const row = namedRow(set.names, batch, 0);
 * assert.equal(row.dense.log_position, 0);
 * assert.equal(row.dense.page_cart, 1);
 * assert.equal(row.sparse.length, 1); // the url path's bucket, ±1
 * ```
 *
 * @module
 */

import type { FeatureBatch } from "./feature_batch.ts";

/** A row by name: see the module documentation. */
export interface NamedRow {
  /** The dense features by name, in the set's order. */
  dense: Record<string, number>;
  /** The sparse entries, `[index, value]`, in row order. */
  sparse: [number, number][];
}

/**
 * The row whose dense values are `dense[at .. at + names.length)` and whose sparse entries are
 * `index[start .. end)`, `value[start .. end)`, by name.
 */
export function namedFeatures(
  names: readonly string[],
  dense: Float64Array,
  at: number,
  index: ArrayLike<number>,
  value: ArrayLike<number>,
  start: number,
  end: number,
): NamedRow {
  const row: NamedRow = { dense: {}, sparse: [] };
  names.forEach((name, j) => row.dense[name] = dense[at + j]);
  for (let k = start; k < end; k++) row.sparse.push([index[k], value[k]]);
  return row;
}

/**
 * Row `i` of `batch`, whose features are `names` (its feature set's), by name.
 * @throws {RangeError} when `i` is not a row of the batch or the names are not its width
 */
export function namedRow(names: readonly string[], batch: FeatureBatch, i: number): NamedRow {
  if (!(Number.isInteger(i) && i >= 0 && i < batch.length) || names.length !== batch.width) {
    throw new RangeError(
      `Cannot name row ${i} of a batch of ${batch.length} rows of width ${batch.width} with ${names.length} names.`,
    );
  }
  const [start, end] = batch.sparseExtent(i);
  return namedFeatures(
    names,
    batch.rows,
    i * batch.width,
    batch.sparseIndex,
    batch.sparseValue,
    start,
    end,
  );
}
