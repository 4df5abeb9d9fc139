/**
 * Per-event logistic regression by FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View
 * from the Trenches", KDD 2013, Algorithm 1): per-coordinate state `z` and `n` (sum of squared
 * gradients); the weight is recomputed from them before each prediction:
 * `w = 0` if `|z| ≤ l1`, else `−(z − sign(z)·l1) / ((beta + sqrt(n)) / alpha + l2)`.
 * The intercept is treated like a feature with constant value 1 (as in the paper) but is
 * exempt from `l1`/`l2`. Dense over the few features here, allocation-free per step; returns
 * the pre-learning prediction (prequential).
 *
 * @module
 */

import { dot, sigmoid } from "./logistic.ts";

/** The FTRL-Proximal closed-form weight of one coordinate (0, never −0, when z is 0). */
function weightOf(
  z: number,
  sqrtN: number,
  alpha: number,
  beta: number,
  l1: number,
  l2: number,
): number {
  if (z <= l1 && z >= -l1) return 0;
  return -(z - (z > 0 ? l1 : -l1)) / ((beta + sqrtN) / alpha + l2);
}

/** Options of {@linkcode Ftrl}. */
export interface FtrlOptions {
  /** Learning-rate scale `alpha`. Default `0.2` (best of 0.05–0.5 on the generator stream, 3 seeds). */
  alpha?: number;
  /** Learning-rate smoothing `beta`. Default `1`. */
  beta?: number;
  /** L1 penalty (sparsity). Default `0`. */
  l1?: number;
  /** L2 penalty. Default `0`. */
  l2?: number;
}

/** The resolved options of {@linkcode Ftrl}. */
export type FtrlConfig = Required<FtrlOptions>;

/** The plain JSON-able state of an {@linkcode Ftrl}. */
export interface FtrlState {
  config: FtrlConfig;
  z: number[];
  n: number[];
}

/** FTRL-Proximal over `width` features plus an intercept (`weights[width]`). */
export class Ftrl {
  /** Number of features. */
  readonly width: number;
  /** The resolved options. */
  readonly config: FtrlConfig;
  /** Current weights, intercept last (live; do not mutate). */
  readonly weights: Float64Array;
  #z: Float64Array;
  #n: Float64Array;

  /**
   * @param width number of features
   * @param options see {@linkcode FtrlOptions}
   */
  constructor(width: number, options: FtrlOptions = {}) {
    this.width = width;
    this.config = {
      alpha: options.alpha ?? 0.2,
      beta: options.beta ?? 1,
      l1: options.l1 ?? 0,
      l2: options.l2 ?? 0,
    };
    for (const [k, v] of Object.entries(this.config)) {
      if (!(v >= 0 && Number.isFinite(v)) || (k === "alpha" && v === 0)) {
        throw new RangeError(
          `Cannot create Ftrl with ${k} ${v}: expected a finite number ≥ 0 (alpha > 0).`,
        );
      }
    }
    this.weights = new Float64Array(width + 1);
    this.#z = new Float64Array(width + 1);
    this.#n = new Float64Array(width + 1);
  }

  /** The probability for a standardized row `x[0 .. width)`. */
  predict(x: Float64Array): number {
    return sigmoid(dot(this.weights, x));
  }

  /** Predicts `x`, then learns from label `y` (0 or 1); returns the prediction. */
  step(x: Float64Array, y: number): number {
    const w = this.weights, zs = this.#z, ns = this.#n, d = this.width;
    const { alpha, beta, l1, l2 } = this.config;
    const p = sigmoid(dot(w, x));
    const r = p - y;
    for (let j = 0; j < d; j++) {
      const g = r * x[j];
      const n = ns[j];
      const n2 = n + g * g;
      const sn2 = Math.sqrt(n2);
      const z = zs[j] + g - (sn2 - Math.sqrt(n)) / alpha * w[j];
      zs[j] = z;
      ns[j] = n2;
      w[j] = weightOf(z, sn2, alpha, beta, l1, l2);
    }
    const n = ns[d];
    const n2 = n + r * r;
    const sn2 = Math.sqrt(n2);
    const z = zs[d] + r - (sn2 - Math.sqrt(n)) / alpha * w[d];
    zs[d] = z;
    ns[d] = n2;
    w[d] = weightOf(z, sn2, alpha, beta, 0, 0);
    return p;
  }

  /**
   * Raises the learning rates after a drift: multiplies every accumulated squared gradient `n`
   * by `factor` (0 = the rates restart) and rewrites `z` so that the weights are kept.
   */
  boost(factor: number): void {
    if (!(factor >= 0 && factor <= 1)) {
      throw new RangeError(`Cannot boost Ftrl by factor ${factor}: expected 0..1.`);
    }
    const { alpha, beta, l1, l2 } = this.config;
    const w = this.weights, zs = this.#z, ns = this.#n, d = this.width;
    for (let j = 0; j <= d; j++) {
      ns[j] *= factor;
      const l1j = j === d ? 0 : l1, l2j = j === d ? 0 : l2;
      const wj = w[j];
      zs[j] = wj === 0
        ? Math.max(-l1j, Math.min(l1j, zs[j]))
        : -wj * ((beta + Math.sqrt(ns[j])) / alpha + l2j) + (wj < 0 ? l1j : -l1j);
      w[j] = weightOf(zs[j], Math.sqrt(ns[j]), alpha, beta, l1j, l2j);
    }
  }

  /** The plain JSON-able state. */
  toJSON(): FtrlState {
    return { config: { ...this.config }, z: Array.from(this.#z), n: Array.from(this.#n) };
  }

  /** Restores an optimizer from {@linkcode Ftrl.toJSON}; the weights are recomputed from z, n. */
  static fromJSON(state: FtrlState): Ftrl {
    const len = state?.z?.length;
    if (!Number.isInteger(len) || len < 1 || state.n?.length !== len) {
      throw new TypeError("Cannot restore Ftrl: the state is malformed.");
    }
    const o = new Ftrl(len - 1, state.config);
    o.#z.set(state.z);
    o.#n.set(state.n);
    const { alpha, beta, l1, l2 } = o.config;
    const d = o.width;
    for (let j = 0; j < d; j++) {
      o.weights[j] = weightOf(o.#z[j], Math.sqrt(o.#n[j]), alpha, beta, l1, l2);
    }
    o.weights[d] = weightOf(o.#z[d], Math.sqrt(o.#n[d]), alpha, beta, 0, 0);
    return o;
  }
}
