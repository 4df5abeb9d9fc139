/**
 * The sparse part of a model's weights as it is served: the few coordinates largest in magnitude
 * (the snapshot, each history point, `/metrics` and the dashboard carry the 20 largest hashed url
 * buckets, never all of them), and the check of a row's sparse indices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { largestWeights } from "./sparse_weights.ts";
 *
 * const top = largestWeights(Float64Array.of(0, -3, 1, 2), 2);
 * assert.deepEqual(top, [{ index: 1, weight: -3 }, { index: 3, weight: 2 }]);
 * ```
 *
 * @module
 */

/** One weight of the sparse part. */
export interface SparseWeight {
  /** The coordinate (a hashed url bucket). */
  index: number;
  /** Its weight. */
  weight: number;
}

/**
 * The `n` nonzero entries of `weights` largest in magnitude, largest first (ties: lower index
 * first). Reads the weights once and keeps `n` entries.
 */
export function largestWeights(weights: Float64Array, n: number): SparseWeight[] {
  const top: SparseWeight[] = [];
  if (n < 1) return top;
  for (let j = 0; j < weights.length; j++) {
    const a = Math.abs(weights[j]);
    if (a === 0) continue;
    const entry = { index: j, weight: weights[j] };
    if (top.length < n) top.push(entry);
    else if (a > Math.abs(top[n - 1].weight)) top[n - 1] = entry;
    else continue;
    for (let k = top.length - 1; k > 0 && Math.abs(top[k - 1].weight) < a; k--) {
      top[k] = top[k - 1];
      top[k - 1] = entry;
    }
  }
  return top;
}

/**
 * Checks that every index is a coordinate of a sparse part `width` wide.
 * @throws {RangeError} naming the first index that is not
 */
export function checkSparseIndices(index: ArrayLike<number>, width: number): void {
  for (let k = 0; k < index.length; k++) {
    if (!(Number.isInteger(index[k]) && index[k] >= 0 && index[k] < width)) {
      throw new RangeError(
        `Cannot predict with sparse index ${index[k]}: the model has ${width} sparse coordinates.`,
      );
    }
  }
}
