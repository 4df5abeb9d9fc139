/**
 * Per-event logistic regression by AdaGrad (Duchi, Hazan & Singer 2011): every coordinate has
 * its own learning rate `learningRate / (epsilon + sqrt(Σ g²))`, which shrinks as that
 * coordinate accumulates gradient — fast early learning, stable later. Optional L2 on the
 * feature weights (not the intercept). Weights and accumulators are `Float64Array`s; a step
 * allocates nothing. The input is one standardized row; the step predicts first, then learns,
 * and returns the pre-learning prediction (prequential).
 *
 * A sparse part (`sparseWidth` coordinates, e.g. hashed url buckets) has weights and
 * accumulators of its own (`sparseWeights`); a row's sparse entries are `(index, value)` pairs
 * `index[start .. end)`, `value[start .. end)`, and a step reads and updates only those
 * coordinates — the others are neither read nor touched, so a step costs the dense width plus the
 * row's entries whatever `sparseWidth` is. L2 applies to a sparse weight only when it is updated.
 *
 * A feature set may scale the learning rate per coordinate ({@linkcode StepScales}: a smaller
 * first step for coordinates that most streams give little signal, so that where they carry
 * none they cost less noise); the default is the base rate everywhere.
 *
 * @module
 */

import { type AdaGradArrays, AdaGradRows } from "./adagrad_rows.ts";
import { sigmoid, sparseLogit } from "./logistic.ts";

/** Options of {@linkcode AdaGrad}. */
export interface AdaGradOptions {
  /** Base learning rate. Default `0.2` (best of 0.05–0.5 on the generator stream, 3 seeds). */
  learningRate?: number;
  /** L2 penalty on the feature weights (per event). Default `0`. */
  l2?: number;
  /** Added to the root of the accumulated squared gradient. Default `1e-8`. */
  epsilon?: number;
}

/**
 * Per-coordinate multipliers of the learning rate: `dense[j]` for feature `j` (the intercept's
 * is 1), `sparse` for every sparse coordinate. Each a finite number > 0.
 */
export interface StepScales {
  /** One per dense feature. */
  dense: readonly number[];
  /** The sparse coordinates'. */
  sparse: number;
}

/**
 * Checks `scales` for `width` dense features.
 * @throws {RangeError} naming the value when one is not a finite number > 0 or the count is off
 */
export function checkStepScales(scales: StepScales, width: number): StepScales {
  const bad = [...scales.dense, scales.sparse].find((v) => !(v > 0 && Number.isFinite(v)));
  if (scales.dense.length !== width || bad !== undefined) {
    throw new RangeError(
      `Invalid step scales ${
        JSON.stringify(scales)
      }: expected ${width} dense and one sparse, each a finite number > 0.`,
    );
  }
  return scales;
}

/**
 * Per-coordinate rates: `base` for each of `width` dense coordinates and for the sparse ones,
 * each times its scale in `scales` when given (checked by {@linkcode checkStepScales}).
 */
export function scaledRates(
  base: number,
  width: number,
  scales: StepScales | null,
): { dense: Float64Array; sparse: number } {
  const dense = new Float64Array(width).fill(base);
  if (scales === null) return { dense, sparse: base };
  for (let j = 0; j < width; j++) dense[j] = base * scales.dense[j];
  return { dense, sparse: base * scales.sparse };
}

/** The resolved options of {@linkcode AdaGrad}. */
export type AdaGradConfig = Required<AdaGradOptions>;

/** The plain JSON-able state of an {@linkcode AdaGrad}. */
export interface AdaGradState {
  /** The resolved options. */
  config: AdaGradConfig;
  /** Feature weights, intercept last. */
  weights: number[];
  /** Accumulated squared gradients, same shape as `weights`. */
  accumulators: number[];
  /** The sparse part's weights; absent: no sparse part. */
  sparseWeights?: number[];
  /** The sparse part's accumulated squared gradients; absent: no sparse part. */
  sparseAccumulators?: number[];
  /** The step scales; absent: 1 everywhere. */
  stepScales?: StepScales;
}

/** AdaGrad over `width` features plus an intercept (`weights[width]`). */
export class AdaGrad {
  /** Number of features. */
  readonly width: number;
  /** The resolved options. */
  readonly config: AdaGradConfig;
  /** Feature weights, intercept last (live; do not mutate). */
  readonly weights: Float64Array;
  /** Number of sparse coordinates. */
  readonly sparseWidth: number;
  /** The sparse part's weights (live; do not mutate). */
  readonly sparseWeights: Float64Array;
  /** The step scales, or `null` for 1 everywhere. */
  readonly stepScales: StepScales | null;
  #acc: Float64Array;
  #sparseAcc: Float64Array;
  #rate: Float64Array;
  #sparseRate: number;

  /**
   * Creates an all-zero model.
   *
   * @param width number of features
   * @param options see {@linkcode AdaGradOptions}
   * @param sparseWidth number of sparse coordinates (default 0)
   * @param stepScales per-coordinate multipliers of the learning rate (default: none)
   */
  constructor(
    width: number,
    options: AdaGradOptions = {},
    sparseWidth = 0,
    stepScales: StepScales | null = null,
  ) {
    if (!Number.isInteger(sparseWidth) || sparseWidth < 0) {
      throw new RangeError(
        `Cannot create AdaGrad with sparse width ${sparseWidth}: expected an integer ≥ 0.`,
      );
    }
    this.width = width;
    this.sparseWidth = sparseWidth;
    this.sparseWeights = new Float64Array(sparseWidth);
    this.#sparseAcc = new Float64Array(sparseWidth);
    this.config = {
      learningRate: options.learningRate ?? 0.2,
      l2: options.l2 ?? 0,
      epsilon: options.epsilon ?? 1e-8,
    };
    for (const [k, v] of Object.entries(this.config)) {
      if (!(v >= 0 && Number.isFinite(v))) {
        throw new RangeError(`Cannot create AdaGrad with ${k} ${v}: expected a finite number ≥ 0.`);
      }
    }
    this.weights = new Float64Array(width + 1);
    this.#acc = new Float64Array(width + 1);
    this.stepScales = stepScales === null ? null : checkStepScales(stepScales, width);
    const rates = scaledRates(this.config.learningRate, width, this.stepScales);
    this.#rate = rates.dense;
    this.#sparseRate = rates.sparse;
  }

  /**
   * The logit of a standardized row `x[0 .. width)` with sparse entries `index[start .. end)`,
   * `value[start .. end)` (none by default).
   */
  logit(
    x: Float64Array,
    index?: ArrayLike<number>,
    value?: ArrayLike<number>,
    start = 0,
    end = 0,
  ): number {
    return sparseLogit(this.weights, this.sparseWeights, x, index, value, start, end);
  }

  /** The probability for a standardized row (and sparse entries, see {@linkcode AdaGrad.logit}). */
  predict(
    x: Float64Array,
    index?: ArrayLike<number>,
    value?: ArrayLike<number>,
    start = 0,
    end = 0,
  ): number {
    return sigmoid(this.logit(x, index, value, start, end));
  }

  /**
   * A stepper over raw rows standardized on the way (`adagrad_rows.ts`), on this optimizer's
   * live arrays: the model's batch loop. Make a new one after {@linkcode AdaGrad.boost}.
   */
  rows(): AdaGradRows {
    const arrays: AdaGradArrays = {
      weights: this.weights,
      accumulators: this.#acc,
      rates: this.#rate,
      sparseWeights: this.sparseWeights,
      sparseAccumulators: this.#sparseAcc,
      sparseRate: this.#sparseRate,
      learningRate: this.config.learningRate,
      l2: this.config.l2,
      epsilon: this.config.epsilon,
    };
    return new AdaGradRows(arrays);
  }

  /**
   * Predicts `x` (with its sparse entries, see {@linkcode AdaGrad.logit}), then learns from
   * label `y` (0 or 1); returns the prediction.
   */
  step(
    x: Float64Array,
    y: number,
    index?: ArrayLike<number>,
    value?: ArrayLike<number>,
    start = 0,
    end = 0,
  ): number {
    const p = sigmoid(this.logit(x, index, value, start, end));
    this.#update(x, p - y);
    if (end > start) this.#updateSparse(index!, value!, start, end, p - y);
    return p;
  }

  /**
   * Predicts `x`, then learns from label `y` (0 or 1) with the loss of a purchase (`y = 1`)
   * weighted by `weight` (the others by 1); returns the prior-corrected prediction
   * `sigmoid(logit − shift)` (with `shift = ln weight`, the calibrated probability).
   */
  stepWeighted(
    x: Float64Array,
    y: number,
    weight: number,
    shift: number,
    index?: ArrayLike<number>,
    value?: ArrayLike<number>,
    start = 0,
    end = 0,
  ): number {
    const z = this.logit(x, index, value, start, end);
    const r = (sigmoid(z) - y) * (y === 1 ? weight : 1);
    this.#update(x, r);
    if (end > start) this.#updateSparse(index!, value!, start, end, r);
    return sigmoid(z - shift);
  }

  /** The AdaGrad step of the sparse coordinates `index[start .. end)` for the residual `r`. */
  #updateSparse(
    index: ArrayLike<number>,
    value: ArrayLike<number>,
    start: number,
    end: number,
    r: number,
  ): void {
    const w = this.sparseWeights, acc = this.#sparseAcc, learningRate = this.#sparseRate;
    const { l2, epsilon } = this.config;
    for (let k = start; k < end; k++) {
      const j = index[k];
      const g = r * value[k] + l2 * w[j];
      const a = acc[j] + g * g;
      acc[j] = a;
      w[j] -= learningRate * g / (epsilon + Math.sqrt(a));
    }
  }

  /**
   * One AdaGrad step for the residual `r` (the log loss's gradient per unit of input).
   *
   * A coordinate whose gradient `g` is ±0 — an input of exactly 0 (a one-hot's other classes),
   * without L2 or with a zero weight — skips the square root and the division, bit for bit the
   * same: `a = acc + g²` is `acc + 0` as ever, and `rate · g / (epsilon + √a)` is `rate · g` (a
   * zero of the same sign) whenever the divisor is > 0, i.e. unless `a` is NaN, or 0 with
   * `epsilon` 0 — which take the full formula (and its NaN).
   */
  #update(x: Float64Array, r: number): void {
    const w = this.weights, acc = this.#acc, d = this.width, rate = this.#rate;
    const { learningRate, l2, epsilon } = this.config;
    for (let j = 0; j < d; j++) {
      const g = r * x[j] + l2 * w[j];
      const a = acc[j] + g * g;
      acc[j] = a;
      if (g === 0 && (a > 0 || (a === 0 && epsilon > 0))) w[j] -= rate[j] * g;
      else w[j] -= rate[j] * g / (epsilon + Math.sqrt(a));
    }
    const a = acc[d] + r * r;
    acc[d] = a;
    w[d] -= learningRate * r / (epsilon + Math.sqrt(a));
  }

  /**
   * Raises the learning rates after a drift: multiplies every accumulated squared gradient by
   * `factor` (0 = the rates restart at `learningRate`, then decay again as gradients accumulate);
   * the weights are kept.
   */
  boost(factor: number): void {
    if (!(factor >= 0 && factor <= 1)) {
      throw new RangeError(`Cannot boost AdaGrad by factor ${factor}: expected 0..1.`);
    }
    const acc = this.#acc;
    for (let j = 0; j < acc.length; j++) acc[j] *= factor;
    const sparse = this.#sparseAcc;
    for (let j = 0; j < sparse.length; j++) sparse[j] *= factor;
  }

  /** The plain JSON-able state. */
  toJSON(): AdaGradState {
    return {
      config: { ...this.config },
      weights: Array.from(this.weights),
      accumulators: Array.from(this.#acc),
      ...(this.sparseWidth === 0 ? {} : {
        sparseWeights: Array.from(this.sparseWeights),
        sparseAccumulators: Array.from(this.#sparseAcc),
      }),
      ...(this.stepScales === null ? {} : {
        stepScales: { dense: [...this.stepScales.dense], sparse: this.stepScales.sparse },
      }),
    };
  }

  /** An independent copy (`fromJSON(toJSON())`, its arrays copied as they are). */
  clone(): AdaGrad {
    const scales = this.stepScales;
    const o = new AdaGrad(
      this.width,
      this.config,
      this.sparseWidth,
      scales === null ? null : { dense: [...scales.dense], sparse: scales.sparse },
    );
    o.weights.set(this.weights);
    o.#acc.set(this.#acc);
    o.sparseWeights.set(this.sparseWeights);
    o.#sparseAcc.set(this.#sparseAcc);
    return o;
  }

  /** Restores an optimizer from {@linkcode AdaGrad.toJSON}. */
  static fromJSON(state: AdaGradState): AdaGrad {
    const n = state?.weights?.length;
    const m = state?.sparseWeights?.length ?? 0;
    if (
      !Number.isInteger(n) || n < 1 || state.accumulators?.length !== n ||
      (state.sparseAccumulators?.length ?? 0) !== m
    ) {
      throw new TypeError("Cannot restore AdaGrad: the state is malformed.");
    }
    const o = new AdaGrad(n - 1, state.config, m, state.stepScales ?? null);
    o.weights.set(state.weights);
    o.#acc.set(state.accumulators);
    if (m > 0) {
      o.sparseWeights.set(state.sparseWeights!);
      o.#sparseAcc.set(state.sparseAccumulators!);
    }
    return o;
  }
}
