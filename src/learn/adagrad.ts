/**
 * Per-event logistic regression by AdaGrad (Duchi, Hazan & Singer 2011): every coordinate has
 * its own learning rate `learningRate / (epsilon + sqrt(Σ g²))`, which shrinks as that
 * coordinate accumulates gradient — fast early learning, stable later. Optional L2 on the
 * feature weights (not the intercept). Weights and accumulators are `Float64Array`s; a step
 * allocates nothing. The input is one standardized row; the step predicts first, then learns,
 * and returns the pre-learning prediction (prequential).
 *
 * @module
 */

import { dot, sigmoid } from "./logistic.ts";

/** Options of {@linkcode AdaGrad}. */
export interface AdaGradOptions {
  /** Base learning rate. Default `0.2` (best of 0.05–0.5 on the generator stream, 3 seeds). */
  learningRate?: number;
  /** L2 penalty on the feature weights (per event). Default `0`. */
  l2?: number;
  /** Added to the root of the accumulated squared gradient. Default `1e-8`. */
  epsilon?: number;
}

/** The resolved options of {@linkcode AdaGrad}. */
export type AdaGradConfig = Required<AdaGradOptions>;

/** The plain JSON-able state of an {@linkcode AdaGrad}. */
export interface AdaGradState {
  config: AdaGradConfig;
  weights: number[];
  accumulators: number[];
}

/** AdaGrad over `width` features plus an intercept (`weights[width]`). */
export class AdaGrad {
  /** Number of features. */
  readonly width: number;
  /** The resolved options. */
  readonly config: AdaGradConfig;
  /** Feature weights, intercept last (live; do not mutate). */
  readonly weights: Float64Array;
  #acc: Float64Array;

  /**
   * @param width number of features
   * @param options see {@linkcode AdaGradOptions}
   */
  constructor(width: number, options: AdaGradOptions = {}) {
    this.width = width;
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
  }

  /** The probability for a standardized row `x[0 .. width)`. */
  predict(x: Float64Array): number {
    return sigmoid(dot(this.weights, x));
  }

  /** Predicts `x`, then learns from label `y` (0 or 1); returns the prediction. */
  step(x: Float64Array, y: number): number {
    const p = sigmoid(dot(this.weights, x));
    this.#update(x, p - y);
    return p;
  }

  /**
   * Predicts `x`, then learns from label `y` (0 or 1) with the loss of a purchase (`y = 1`)
   * weighted by `weight` (the others by 1); returns the prior-corrected prediction
   * `sigmoid(logit − shift)` (with `shift = ln weight`, the calibrated probability).
   */
  stepWeighted(x: Float64Array, y: number, weight: number, shift: number): number {
    const z = dot(this.weights, x);
    this.#update(x, (sigmoid(z) - y) * (y === 1 ? weight : 1));
    return sigmoid(z - shift);
  }

  /** One AdaGrad step for the residual `r` (the log loss's gradient per unit of input). */
  #update(x: Float64Array, r: number): void {
    const w = this.weights, acc = this.#acc, d = this.width;
    const { learningRate, l2, epsilon } = this.config;
    for (let j = 0; j < d; j++) {
      const g = r * x[j] + l2 * w[j];
      const a = acc[j] + g * g;
      acc[j] = a;
      w[j] -= learningRate * g / (epsilon + Math.sqrt(a));
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
  }

  /** The plain JSON-able state. */
  toJSON(): AdaGradState {
    return {
      config: { ...this.config },
      weights: Array.from(this.weights),
      accumulators: Array.from(this.#acc),
    };
  }

  /** Restores an optimizer from {@linkcode AdaGrad.toJSON}. */
  static fromJSON(state: AdaGradState): AdaGrad {
    const n = state?.weights?.length;
    if (!Number.isInteger(n) || n < 1 || state.accumulators?.length !== n) {
      throw new TypeError("Cannot restore AdaGrad: the state is malformed.");
    }
    const o = new AdaGrad(n - 1, state.config);
    o.weights.set(state.weights);
    o.#acc.set(state.accumulators);
    return o;
  }
}
