/**
 * AdaGrad's per-event step (`adagrad.ts`) over a batch's raw rows, as the model's batch loop
 * (`LogisticModel.processBatch`) runs it: the row is standardized, scored and learnt in one pass,
 * bit for bit `AdaGrad.step(standardizer.transform(rows, offset), …)`:
 *
 * - the standardized values are written into a scratch row as they are multiplied into the
 *   logit, which sums them as `dot` does (even terms onto the intercept, odd ones apart, then the
 *   sparse entries in order);
 * - a dense coordinate whose standardized value is ±0 (most of a `shop` row: the one-hots'
 *   other classes) is left out of the update, instead of `acc += g²` and `w −= rate · g` with a
 *   zero `g`. That is exact while every dense weight is finite and not `-0` and every
 *   accumulator is neither NaN nor `-0`, with no L2 and `epsilon > 0`, for a row whose logit and
 *   residual are finite: `g = r · 0 + 0 · w` is then ±0, `acc + (±0)²` is `acc`, and
 *   `w − rate · (±0)` is `w`. Those conditions are checked before the first row and again after
 *   any row that took the full update (a logit or residual that is not finite: such a row may
 *   leave NaN weights), which is the formula of `AdaGrad.step` for every coordinate.
 *
 * A weight never becomes `-0` by a step (`x − y` is `-0` only for `x = -0`, and the weights start
 * at `+0`), nor an accumulator (a sum of squares onto `+0`); only a state restored with them, or
 * `boost(-0)`, holds one, and then every row takes the full update.
 *
 * @module
 */

import { sigmoid } from "./logistic.ts";

/** The arrays and constants of an `AdaGrad` a batch step reads and updates (live). */
export interface AdaGradArrays {
  /** Dense feature weights, intercept last. */
  readonly weights: Float64Array;
  /** Their accumulated squared gradients. */
  readonly accumulators: Float64Array;
  /** The dense coordinates' learning rates (the intercept's is `learningRate`). */
  readonly rates: Float64Array;
  /** The sparse part's weights. */
  readonly sparseWeights: Float64Array;
  /** Their accumulated squared gradients. */
  readonly sparseAccumulators: Float64Array;
  /** The sparse coordinates' learning rate. */
  readonly sparseRate: number;
  /** The intercept's learning rate. */
  readonly learningRate: number;
  /** The L2 penalty. */
  readonly l2: number;
  /** Added to the root of the accumulated squared gradient. */
  readonly epsilon: number;
}

/** Whether the state lets a step leave out its ±0 coordinates (see the module documentation). */
export function zerosSkippable(o: AdaGradArrays): boolean {
  if (!(o.l2 === 0 && o.epsilon > 0)) return false;
  const w = o.weights, acc = o.accumulators;
  for (let j = 0; j < w.length - 1; j++) {
    const v = w[j], a = acc[j];
    // A negative (or NaN) accumulator would make the full formula's root NaN: no shortcut then.
    if (!(v - v === 0) || Object.is(v, -0) || !(a >= 0) || Object.is(a, -0)) return false;
  }
  return true;
}

/** Per-event AdaGrad steps over raw rows; see the module documentation. */
export class AdaGradRows {
  #o: AdaGradArrays;
  #x: Float64Array;
  #skip: boolean;
  #p = new Float64Array(1);

  /**
   * A stepper over the live arrays of one optimizer.
   *
   * @param arrays the optimizer's arrays (`AdaGrad.arrays`)
   */
  constructor(arrays: AdaGradArrays) {
    this.#o = arrays;
    this.#x = new Float64Array(arrays.weights.length - 1);
    this.#skip = zerosSkippable(arrays);
  }

  /**
   * Standardizes row `rows[offset .. offset + width)` by `mean` and `scale`
   * (`Standardizer.transform`), predicts it with its sparse entries `index[start .. end)`,
   * `value[start .. end)`, learns from label `y` and returns the prediction — bit for bit
   * `AdaGrad.step`.
   */
  step(
    rows: Float64Array,
    offset: number,
    mean: Float64Array,
    scale: Float64Array,
    y: number,
    index: ArrayLike<number>,
    value: ArrayLike<number>,
    start: number,
    end: number,
  ): number {
    const out = this.#p;
    this.stepInto(out, 0, rows, offset, mean, scale, y, index, value, start, end);
    return out[0];
  }

  /**
   * {@linkcode AdaGradRows.step}, its prediction written to `scores[at]` instead of returned: the
   * model's batch loop, which would otherwise box every row's prediction (the step is not inlined
   * into that loop, and a `number` returned from a call is a heap object).
   */
  stepInto(
    scores: Float64Array,
    at: number,
    rows: Float64Array,
    offset: number,
    mean: Float64Array,
    scale: Float64Array,
    y: number,
    index: ArrayLike<number>,
    value: ArrayLike<number>,
    start: number,
    end: number,
  ): void {
    const o = this.#o, w = o.weights, x = this.#x, d = x.length;
    let a = w[d], b = 0, j = 0;
    for (; j + 1 < d; j += 2) {
      const x0 = (rows[offset + j] - mean[j]) * scale[j];
      const x1 = (rows[offset + j + 1] - mean[j + 1]) * scale[j + 1];
      x[j] = x0;
      x[j + 1] = x1;
      a += w[j] * x0;
      b += w[j + 1] * x1;
    }
    if (j < d) {
      const x0 = (rows[offset + j] - mean[j]) * scale[j];
      x[j] = x0;
      a += w[j] * x0;
    }
    let z = a + b;
    const sw = o.sparseWeights;
    for (let k = start; k < end; k++) z += sw[index[k]] * value[k];
    const p = sigmoid(z);
    const r = p - y;
    const acc = o.accumulators, rate = o.rates, l2 = o.l2, epsilon = o.epsilon;
    if (this.#skip && z - z === 0 && r - r === 0) {
      for (let j = 0; j < d; j++) {
        const xj = x[j];
        if (xj === 0) continue;
        const g = r * xj + l2 * w[j];
        const a = acc[j] + g * g;
        acc[j] = a;
        if (g === 0 && (a > 0 || (a === 0 && epsilon > 0))) w[j] -= rate[j] * g;
        else w[j] -= rate[j] * g / (epsilon + Math.sqrt(a));
      }
    } else {
      for (let j = 0; j < d; j++) {
        const g = r * x[j] + l2 * w[j];
        const a = acc[j] + g * g;
        acc[j] = a;
        if (g === 0 && (a > 0 || (a === 0 && epsilon > 0))) w[j] -= rate[j] * g;
        else w[j] -= rate[j] * g / (epsilon + Math.sqrt(a));
      }
      this.#skip = zerosSkippable(o);
    }
    const ad = acc[d] + r * r;
    acc[d] = ad;
    w[d] -= o.learningRate * r / (epsilon + Math.sqrt(ad));
    if (end > start) {
      const sacc = o.sparseAccumulators, sparseRate = o.sparseRate;
      for (let k = start; k < end; k++) {
        const j = index[k];
        const g = r * value[k] + l2 * sw[j];
        const a = sacc[j] + g * g;
        sacc[j] = a;
        sw[j] -= sparseRate * g / (epsilon + Math.sqrt(a));
      }
    }
    scores[at] = p;
  }
}
